// The publish pipeline's settings from the Worker's env, with their defaults.

import type { Env } from "../env";
import { hmacSha256Hex } from "../core/digest";

export interface PublishSettings {
  /** The largest unpacked tree a build fetches (PUBLISH_MAX_BYTES, default 512 MiB). */
  maxBytes: number;
  /** The most files a build's tree may have (PUBLISH_MAX_FILES, default 20000). */
  maxFiles: number;
  /** The largest single file converted (a whole USFM book is some MB; default 64 MiB). */
  maxFileBytes: number;
}

const positive = (v: string | undefined, fallback: number) => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : fallback;
};

export function publishSettings(env: Env): PublishSettings {
  const maxBytes = positive(env.PUBLISH_MAX_BYTES, 512 * 1024 * 1024);
  return {
    maxBytes,
    maxFiles: positive(env.PUBLISH_MAX_FILES, 20_000),
    maxFileBytes: Math.min(maxBytes, 64 * 1024 * 1024),
  };
}

/** The secret a repo's build callbacks are signed with: derived per repo from PUBLISH_CALLBACK_KEY, so none is stored. */
export async function callbackSecret(env: Env, repoId: string): Promise<string> {
  const key = env.PUBLISH_CALLBACK_KEY || env.ADMIN_TOKEN;
  if (!key) throw new Error("PUBLISH_CALLBACK_KEY (or ADMIN_TOKEN) must be set to sign publish callbacks");
  return hmacSha256Hex(key, new TextEncoder().encode(`publish-callback:${repoId}`));
}
