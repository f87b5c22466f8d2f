// IPv4/IPv6 addresses and CIDR ranges, for the per-forge webhook source allow-list and the outbound URL policy.
// Parsing and matching are ipaddr.js's; this module only narrows what it accepts to the unambiguous forms.

import ipaddr from "ipaddr.js";

export type Address = ipaddr.IPv4 | ipaddr.IPv6;
/** A range: its base address and prefix length (bits below the prefix are ignored when matching). */
export type Cidr = [Address, number];

/**
 * The address a text names, or null. IPv4 only as four decimal parts without leading zeros (`010.0.0.1` and
 * `0x7f.1` mean different addresses to different parsers, so neither is taken); IPv6 in brackets or not, with
 * an embedded IPv4 tail held to the same rule, and without a zone (`%eth0` names no address on the internet).
 */
export function parseAddress(text: string): Address | null {
  const t = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (ipaddr.IPv4.isValidFourPartDecimal(t)) return ipaddr.IPv4.parse(t);
  if (!t.includes(":") || /[^0-9a-fA-F:.]/.test(t) || !ipaddr.IPv6.isValid(t)) return null;
  const tail = /[^:]*\.[^:]*$/.exec(t)?.[0];
  if (tail !== undefined && !ipaddr.IPv4.isValidFourPartDecimal(tail)) return null;
  return ipaddr.IPv6.parse(t);
}

/** `address/prefix`, or a bare address as a range of one; null for anything else. */
export function parseCidr(text: string): Cidr | null {
  const [addr, bits, ...rest] = text.trim().split("/");
  if (rest.length || !addr) return null;
  const a = parseAddress(addr);
  if (!a) return null;
  const width = a.kind() === "ipv4" ? 32 : 128;
  if (bits !== undefined && !/^\d{1,3}$/.test(bits)) return null;
  const prefix = bits === undefined ? width : Number(bits);
  return prefix <= width ? [a, prefix] : null;
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address it carries, so it matches IPv4 ranges and not IPv6 ones. */
function unmap(a: Address): Address {
  return a.kind() === "ipv6" && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

/** A range written over IPv4-mapped IPv6 (::ffff:10.0.0.0/104) is that IPv4 range (10.0.0.0/8). */
function unmapRange([base, prefix]: Cidr): Cidr {
  if (base.kind() === "ipv6" && (base as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96)
    return [(base as ipaddr.IPv6).toIPv4Address(), prefix - 96];
  return [base, prefix];
}

/** Whether `ip` lies in one of `cidrs`; a text that is not an address matches nothing, a bad range is skipped. */
export function inCidrs(ip: string, cidrs: readonly string[]): boolean {
  const parsed = parseAddress(ip);
  if (!parsed) return false;
  const a = unmap(parsed);
  for (const text of cidrs) {
    const range = parseCidr(text);
    if (!range) continue;
    const [base, prefix] = unmapRange(range);
    if (base.kind() === a.kind() && a.match(base, prefix)) return true;
  }
  return false;
}
