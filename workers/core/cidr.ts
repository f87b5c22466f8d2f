// IPv4/IPv6 address and CIDR parsing, for the per-forge webhook source allow-list.

/** An address as a big integer plus its family, or null when the text is not an IP address. */
export interface Address {
  family: 4 | 6;
  value: bigint;
}

export function parseAddress(text: string): Address | null {
  const t = text.trim();
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(t)) {
    const parts = t.split(".").map(Number);
    if (parts.some((p) => p > 255)) return null;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  return parseIpv6(t);
}

function parseIpv6(text: string): Address | null {
  let t = text.replace(/^\[|\]$/g, "");
  if (!t.includes(":") || /[^0-9a-fA-F:.]/.test(t)) return null;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = /(\d{1,3}(\.\d{1,3}){3})$/.exec(t);
  if (v4) {
    const a = parseAddress(v4[1]!);
    if (!a || a.family !== 4) return null;
    const hi = Number(a.value >> 16n).toString(16);
    const lo = Number(a.value & 0xffffn).toString(16);
    t = t.slice(0, v4.index) + `${hi}:${lo}`;
  }
  const halves = t.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return { family: 6, value };
}

export interface Cidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

export function parseCidr(text: string): Cidr | null {
  const [addr, bits, ...rest] = text.trim().split("/");
  if (rest.length || !addr) return null;
  const a = parseAddress(addr);
  if (!a) return null;
  const width = a.family === 4 ? 32 : 128;
  const prefix = bits === undefined ? width : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= width)) return null;
  const shift = BigInt(width - prefix);
  return { family: a.family, base: (a.value >> shift) << shift, prefix };
}

/** IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 ranges. */
function unmap(a: Address): Address {
  if (a.family === 6 && a.value >> 32n === 0xffffn) return { family: 4, value: a.value & 0xffffffffn };
  return a;
}

export function inCidrs(ip: string, cidrs: readonly string[]): boolean {
  const parsed = parseAddress(ip);
  if (!parsed) return false;
  const a = unmap(parsed);
  for (const text of cidrs) {
    const c = parseCidr(text);
    if (!c || c.family !== a.family) continue;
    const shift = BigInt((c.family === 4 ? 32 : 128) - c.prefix);
    if ((a.value >> shift) << shift === c.base) return true;
  }
  return false;
}
