// One name per repository: web URL, clone URL (with or without .git) and scp-style SSH URLs
// all map to the same canonical URL and the same key.

import { badRequest } from "./errors";

export interface RepoAddress {
  /** Canonical web URL: scheme, lower-case host (with a non-default port), path without `.git` or trailing slash. */
  url: string;
  /** The URL to fetch and push over smart HTTP. */
  cloneUrl: string;
  /** Scheme-free identity (`host/path`): http and https URLs of one repo share it. Names the RepoObject. */
  key: string;
  host: string;
  /** Path segments: owner (with any subgroups) and name. */
  owner: string;
  name: string;
  fullName: string;
}

const SCP_LIKE = /^(?:[\w.-]+@)?([\w.-]+):(?!\/\/)([^\s]+)$/;

export function parseRepoUrl(input: string): RepoAddress {
  const raw = input.trim();
  if (!raw) throw badRequest("repository URL is empty", "invalid_url");
  let scheme = "https";
  let host: string;
  let path: string;
  const scp = SCP_LIKE.exec(raw);
  if (scp && !raw.includes("://")) {
    host = scp[1]!.toLowerCase();
    path = scp[2]!;
  } else {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw badRequest(`not a repository URL: ${JSON.stringify(raw.slice(0, 200))}`, "invalid_url");
    }
    if (u.protocol === "http:" || u.protocol === "https:") scheme = u.protocol.slice(0, -1);
    else if (u.protocol !== "ssh:" && u.protocol !== "git:")
      throw badRequest(`unsupported URL scheme ${u.protocol} (use https)`, "invalid_url");
    if (u.search || u.hash) throw badRequest("repository URL must not carry a query or fragment", "invalid_url");
    // ssh:// and git:// name the same repo as its https web URL; ports only carry over for http(s).
    host = scheme === "https" && u.protocol !== "https:" ? u.hostname.toLowerCase() : u.host.toLowerCase();
    path = decodeURIComponent(u.pathname);
  }
  path = path
    .replace(/\/+$/, "")
    .replace(/\.git$/i, "")
    .replace(/^\/+/, "");
  const segments = path.split("/").filter(Boolean);
  if (!host) throw badRequest("repository URL has no host", "invalid_url");
  if (segments.length < 1) throw badRequest(`repository URL has no path: ${raw}`, "invalid_url");
  if (segments.some((s) => s === "." || s === ".." || /[\s\\]/.test(s)))
    throw badRequest(`repository URL has an invalid path: ${raw}`, "invalid_url");
  const name = segments[segments.length - 1]!;
  const owner = segments.slice(0, -1).join("/");
  const cleanPath = segments.map(encodeURIComponent).join("/");
  const url = `${scheme}://${host}/${cleanPath}`;
  return {
    url,
    cloneUrl: `${url}.git`,
    key: `${host}/${segments.join("/")}`,
    host,
    owner,
    name,
    fullName: segments.join("/"),
  };
}

/** The forge key of a URL's host: host name plus any non-default port, lower case. */
export function hostOf(url: string): string {
  return new URL(url).host.toLowerCase();
}
