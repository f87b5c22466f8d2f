// Smart-HTTP requests to a git remote: outbound policy on every hop, auth, and HTTP outcomes as GitErrors.

import { env } from "cloudflare:workers";
import { AppError } from "../core/errors";
import { checkOutboundUrl, outboundPolicy, type OutboundPolicy } from "../core/outbound";
import { encoder } from "./bytes";
import { GitError, gitGone, gitStrong, gitWeak } from "./errors";

export interface GitAuth {
  username?: string;
  password: string;
}

/** Auth for a forge access token (GitHub, Gitea and GitLab accept any user name with a token as password). */
export function tokenAuth(token: string, username = "x-access-token"): GitAuth {
  return { username, password: token };
}

export interface TransportOptions {
  auth?: GitAuth;
  signal?: AbortSignal;
  /** Defaults to the Worker's own policy (ALLOW_LOOPBACK from its env). */
  policy?: OutboundPolicy;
  /** Highest protocol version to ask for (default 2; 0 talks v0 even to a v2 server). */
  protocol?: 0 | 2;
}

const AGENT = "git/forgeline";
const MAX_REDIRECTS = 5;

export function policyOf(opts: TransportOptions): OutboundPolicy {
  return opts.policy ?? outboundPolicy(env as { ALLOW_LOOPBACK?: string });
}

/** Checks a remote URL against the policy; a refused URL is a strong GitError (retrying cannot fix it). */
export function checkRemote(url: string, policy: OutboundPolicy): URL {
  try {
    const u = checkOutboundUrl(url, policy, "git remote URL");
    u.hash = "";
    u.search = "";
    return u;
  } catch (err) {
    if (err instanceof AppError) throw gitStrong(err.code, err.message);
    throw err;
  }
}

/** `base` + `/path`, keeping the repo path (with or without .git) as given. */
export function endpoint(base: URL, path: string): URL {
  const u = new URL(base.href);
  u.pathname = u.pathname.replace(/\/+$/, "") + path;
  return u;
}

function authHeader(auth: GitAuth | undefined): Record<string, string> {
  if (!auth) return {};
  const raw = encoder.encode(`${auth.username ?? "git"}:${auth.password}`);
  let bin = "";
  for (const b of raw) bin += String.fromCharCode(b);
  return { Authorization: `Basic ${btoa(bin)}` };
}

export interface GitRequest {
  method: "GET" | "POST";
  headers?: Record<string, string>;
  body?: BodyInit;
}

/**
 * Sends one request, following redirects by hand so each hop passes the outbound policy.
 * Resolves only with a 2xx response; every other outcome is a GitError.
 */
export async function gitRequest(
  url: URL,
  req: GitRequest,
  opts: TransportOptions,
): Promise<{ res: Response; url: URL }> {
  const policy = policyOf(opts);
  let at = url;
  for (let hop = 0; ; hop++) {
    let res: Response;
    try {
      res = await fetch(at.href, {
        method: req.method,
        // Credentials go only to the origin they were given for, never to where a redirect points (as git does).
        headers: { "User-Agent": AGENT, ...(at.origin === url.origin ? authHeader(opts.auth) : {}), ...req.headers },
        body: req.body,
        redirect: "manual",
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof GitError) throw err;
      const aborted = opts.signal?.aborted;
      throw gitWeak(
        aborted ? "aborted" : "network",
        `${req.method} ${redacted(at)}: ${aborted ? "aborted" : String((err as Error)?.message ?? err)}`,
      );
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get("Location")) {
      await res.body?.cancel();
      if (req.method !== "GET" || hop >= MAX_REDIRECTS)
        throw gitStrong("redirect", `${req.method} ${redacted(at)}: unexpected redirect`, res.status);
      const next = new URL(res.headers.get("Location")!, at);
      at = checkRemote(next.href, policy);
      at.search = next.search;
      continue;
    }
    if (res.ok) return { res, url: at };
    const text = (await res.text().catch(() => "")).slice(0, 300).trim();
    throw statusError(res.status, `${req.method} ${redacted(at)}: HTTP ${res.status}${text ? `: ${text}` : ""}`);
  }
}

export function statusError(status: number, message: string): GitError {
  if (status === 401 || status === 403) return gitGone("unauthorized", message, status);
  if (status === 404 || status === 410) return gitGone("not_found", message, status);
  if (status >= 500 || status === 408 || status === 429) return gitWeak("server_error", message, status);
  return gitStrong("http_status", message, status);
}

/** A URL for messages: never its credentials or query. */
export function redacted(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}
