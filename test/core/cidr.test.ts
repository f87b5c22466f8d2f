// Addresses and ranges (allowed webhook sources) and the outbound URL policy built on them: IPv4, IPv6,
// IPv4-mapped IPv6, and the malformed forms each must refuse.

import { describe, expect, it } from "vitest";
import { inCidrs, parseAddress, parseCidr } from "../../workers/core/cidr";
import { checkOutboundUrl, isLoopbackHost } from "../../workers/core/outbound";
import { AppError } from "../../workers/core/errors";

describe("parseAddress", () => {
  it("reads IPv4 and IPv6, bracketed or not", () => {
    expect(parseAddress("192.0.2.7")?.toString()).toBe("192.0.2.7");
    expect(parseAddress(" 10.0.0.1 ")?.toString()).toBe("10.0.0.1");
    expect(parseAddress("2001:DB8::1")?.toNormalizedString()).toBe("2001:db8:0:0:0:0:0:1");
    expect(parseAddress("[::1]")?.toNormalizedString()).toBe("0:0:0:0:0:0:0:1");
    expect(parseAddress("::ffff:192.0.2.1")?.kind()).toBe("ipv6");
  });

  it("refuses what is not one unambiguous address", () => {
    for (const bad of [
      "",
      "example.org",
      "256.1.1.1",
      "1.2.3",
      "1.2.3.4.5",
      "010.0.0.1", // octal to some parsers, decimal to others
      "0x7f.0.0.1",
      "127.1",
      "1::2::3",
      "1:2:3:4:5:6:7:8:9",
      "12345::1",
      "fe80::1%eth0",
      "::ffff:010.0.0.1",
      "::ffff:0x7f.0.0.1",
      "::ffff:1.2.3",
      "[::1",
    ])
      expect(parseAddress(bad), bad).toBeNull();
  });
});

describe("parseCidr", () => {
  it("reads IPv4 and IPv6 ranges, and a bare address as a range of one", () => {
    expect(parseCidr("10.0.0.0/8")?.[1]).toBe(8);
    expect(parseCidr("2001:db8::/32")?.[1]).toBe(32);
    expect(parseCidr("192.0.2.7")?.[1]).toBe(32);
    expect(parseCidr("2001:db8::1")?.[1]).toBe(128);
    expect(parseCidr("0.0.0.0/0")?.[1]).toBe(0);
    expect(parseCidr("::/0")?.[1]).toBe(0);
  });

  it("refuses malformed ranges", () => {
    for (const bad of [
      "",
      "/8",
      "10.0.0.0/",
      "10.0.0.0/33",
      "2001:db8::/129",
      "10.0.0.0/-1",
      "10.0.0.0/8/8",
      "10.0.0.0/ 8",
      "10.0.0.0/0x8",
      "10.0.0.0/1000",
      "300.1.1.1/8",
      "10.0.0/8",
      "2001:db8:::/32",
      "fe80::%eth0/64",
      "example.org/24",
    ])
      expect(parseCidr(bad), bad).toBeNull();
  });
});

describe("inCidrs", () => {
  it("matches IPv4 ranges, whatever the base's host bits", () => {
    expect(inCidrs("10.1.2.3", ["10.0.0.0/8"])).toBe(true);
    expect(inCidrs("10.1.2.3", ["10.9.9.9/8"])).toBe(true);
    expect(inCidrs("11.1.2.3", ["10.0.0.0/8"])).toBe(false);
    expect(inCidrs("192.0.2.55", ["198.51.100.0/24", "192.0.2.0/24"])).toBe(true);
    expect(inCidrs("192.0.2.7", ["192.0.2.7"])).toBe(true);
    expect(inCidrs("192.0.2.8", ["192.0.2.7"])).toBe(false);
    expect(inCidrs("203.0.113.1", ["0.0.0.0/0"])).toBe(true);
  });

  it("matches IPv6 ranges at any prefix, and never across families", () => {
    expect(inCidrs("2001:db8::1", ["2001:db8::/32"])).toBe(true);
    expect(inCidrs("2001:db8:ffff:ffff::1", ["2001:db8::/32"])).toBe(true);
    expect(inCidrs("2001:db9::1", ["2001:db8::/32"])).toBe(false);
    expect(inCidrs("2001:db8::1:0:0:1", ["2001:db8:0:0:1::/80"])).toBe(true);
    expect(inCidrs("2001:db8::1:0:0:1", ["2001:db8:0:0:2::/80"])).toBe(false);
    expect(inCidrs("2001:db8::7", ["2001:db8::7/128"])).toBe(true);
    expect(inCidrs("2001:db8::8", ["2001:db8::7/128"])).toBe(false);
    expect(inCidrs("10.0.0.1", ["::/0"])).toBe(false);
    expect(inCidrs("2001:db8::1", ["0.0.0.0/0"])).toBe(false);
  });

  it("treats IPv4-mapped IPv6 as the IPv4 address it carries", () => {
    expect(inCidrs("::ffff:192.0.2.9", ["192.0.2.0/24"])).toBe(true);
    expect(inCidrs("::ffff:c000:209", ["192.0.2.0/24"])).toBe(true);
    expect(inCidrs("[::ffff:192.0.2.9]", ["192.0.2.0/24"])).toBe(true);
    expect(inCidrs("::ffff:198.51.100.1", ["192.0.2.0/24"])).toBe(false);
    // A range written over mapped addresses is the IPv4 range, for mapped and plain sources alike.
    expect(inCidrs("192.0.2.9", ["::ffff:192.0.2.0/120"])).toBe(true);
    expect(inCidrs("::ffff:192.0.2.9", ["::ffff:192.0.2.0/120"])).toBe(true);
    expect(inCidrs("192.0.3.9", ["::ffff:192.0.2.0/120"])).toBe(false);
    // A mapped address is not in an IPv6 range that does not cover the mapped block as IPv4.
    expect(inCidrs("::ffff:192.0.2.9", ["2001:db8::/32"])).toBe(false);
  });

  it("matches nothing for a source that is not an address, and skips malformed ranges", () => {
    expect(inCidrs("", ["0.0.0.0/0"])).toBe(false);
    expect(inCidrs("unknown", ["0.0.0.0/0", "::/0"])).toBe(false);
    expect(inCidrs("010.0.0.1", ["10.0.0.0/8", "8.0.0.0/8"])).toBe(false);
    expect(inCidrs("10.0.0.1", ["10.0.0.0/33", "nonsense", "10.0.0.0/8"])).toBe(true);
    expect(inCidrs("10.0.0.1", ["10.0.0.0/33", "nonsense"])).toBe(false);
  });
});

describe("outbound policy", () => {
  const production = { allowLoopback: false };
  const local = { allowLoopback: true };
  const refusal = (url: string, policy = production) => {
    try {
      checkOutboundUrl(url, policy);
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      return (err as AppError).code;
    }
    return null;
  };

  it("knows loopback hosts in every spelling, IPv4-mapped included", () => {
    for (const h of [
      "localhost",
      "dev.localhost",
      "127.0.0.1",
      "127.8.9.10",
      "[::1]",
      "::1",
      "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]",
    ])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["example.org", "10.0.0.1", "[::2]", "[::ffff:10.0.0.1]", "localhost.example.org"])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it("refuses private, link-local and loopback addresses (IPv4, IPv6, mapped) in production", () => {
    for (const url of [
      "https://10.1.2.3/x",
      "https://172.16.0.1/",
      "https://192.168.1.1/",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://[::ffff:10.0.0.1]/",
      "https://[::ffff:169.254.169.254]/",
      "https://127.0.0.1/",
      "https://[::1]/",
      "https://[::ffff:127.0.0.1]/",
    ])
      expect(refusal(url), url).toBe("url_not_allowed");
  });

  it("allows public addresses and names over https, and loopback only when local development says so", () => {
    for (const url of [
      "https://192.0.2.1/x",
      "https://[2001:db8::1]/",
      "https://git.example.org/o/r",
      "https://[::ffff:192.0.2.1]/",
    ])
      expect(refusal(url), url).toBeNull();
    expect(refusal("http://git.example.org/")).toBe("url_not_allowed");
    expect(refusal("http://127.0.0.1:3000/o/r", local)).toBeNull();
    expect(refusal("http://[::ffff:127.0.0.1]:3000/o/r", local)).toBeNull();
    expect(refusal("ftp://127.0.0.1/", local)).toBe("url_not_allowed");
    expect(refusal("https://user:pw@git.example.org/")).toBe("invalid_url");
    expect(refusal("not a url")).toBe("invalid_url");
  });
});
