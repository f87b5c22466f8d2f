// Webhook authenticity per forge family, checked over the exact raw body in constant time.

import type { ForgeFamily } from "../core/forge-event";
import { hmacSha256Hex, safeEqual } from "../core/digest";

/** The headers each family uses, in the order they are looked up. */
export const HEADERS: Record<ForgeFamily, { event: string[]; delivery: string[]; signature: string[] }> = {
  github: { event: ["X-GitHub-Event"], delivery: ["X-GitHub-Delivery"], signature: ["X-Hub-Signature-256"] },
  gitea: { event: ["X-Gitea-Event"], delivery: ["X-Gitea-Delivery"], signature: ["X-Gitea-Signature"] },
  forgejo: {
    event: ["X-Forgejo-Event", "X-Gitea-Event"],
    delivery: ["X-Forgejo-Delivery", "X-Gitea-Delivery"],
    signature: ["X-Forgejo-Signature", "X-Gitea-Signature"],
  },
  gogs: { event: ["X-Gogs-Event"], delivery: ["X-Gogs-Delivery"], signature: ["X-Gogs-Signature"] },
  gitlab: {
    event: ["X-Gitlab-Event"],
    delivery: ["Idempotency-Key", "X-Gitlab-Event-UUID"],
    signature: ["X-Gitlab-Token"],
  },
};

export function firstHeader(headers: Headers, names: string[]): string | null {
  for (const name of names) {
    const value = headers.get(name);
    if (value) return value;
  }
  return null;
}

/** The signature header's value, or null when the delivery carries none. */
export function signatureOf(forge: ForgeFamily, headers: Headers): string | null {
  return firstHeader(headers, HEADERS[forge].signature);
}

/**
 * Whether `signature` proves the delivery came from a holder of `secret`:
 * GitHub `sha256=<hex HMAC>`, Gitea/Forgejo/Gogs `<hex HMAC>`, GitLab the secret itself.
 */
export async function verifySignature(
  forge: ForgeFamily,
  signature: string,
  secret: string,
  body: Uint8Array,
): Promise<boolean> {
  if (forge === "gitlab") return safeEqual(signature, secret);
  const expected = await hmacSha256Hex(secret, body);
  const given = forge === "github" ? (signature.startsWith("sha256=") ? signature.slice(7) : "") : signature;
  return safeEqual(given.toLowerCase(), expected);
}
