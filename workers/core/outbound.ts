// Outbound URL policy: https only, no private or link-local addresses; loopback http only in local development.

import { badRequest } from "./errors";
import { parseAddress, inCidrs } from "./cidr";

const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
const PRIVATE_RANGES = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "::1/128",
  "fc00::/7",
  "fe80::/10",
];

export interface OutboundPolicy {
  /** Local development: allow http:// and https:// to loopback hosts. */
  allowLoopback: boolean;
}

export function outboundPolicy(env: { ALLOW_LOOPBACK?: string }): OutboundPolicy {
  return { allowLoopback: env.ALLOW_LOOPBACK === "true" };
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.toLowerCase();
  if (LOOPBACK_NAMES.has(h) || h.endsWith(".localhost")) return true;
  return inCidrs(h.replace(/^\[|\]$/g, ""), ["127.0.0.0/8", "::1/128"]);
}

/** Throws a 400 AppError naming what is wrong when `url` may not be fetched under `policy`. */
export function checkOutboundUrl(url: string, policy: OutboundPolicy, what = "URL"): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw badRequest(`${what} is not a URL: ${url.slice(0, 200)}`, "invalid_url");
  }
  if (u.username || u.password) throw badRequest(`${what} must not carry credentials`, "invalid_url");
  const loopback = isLoopbackHost(u.hostname);
  if (loopback) {
    if (!policy.allowLoopback)
      throw badRequest(`${what} points to a loopback host; allowed only with ALLOW_LOOPBACK=true`, "url_not_allowed");
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw badRequest(`${what} must use http or https`, "url_not_allowed");
    return u;
  }
  if (u.protocol !== "https:") throw badRequest(`${what} must use https`, "url_not_allowed");
  const host = u.hostname.replace(/^\[|\]$/g, "");
  if (parseAddress(host) && inCidrs(host, PRIVATE_RANGES))
    throw badRequest(`${what} points to a private or link-local address`, "url_not_allowed");
  return u;
}
