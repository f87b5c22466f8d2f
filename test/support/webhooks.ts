// Signed webhook deliveries, the way each forge family sends them.

import { hmacSha256Hex } from "../../workers/core/digest";
import type { ForgeFamily } from "../../workers/core/forge-event";
import { admin, call } from "./http";

export async function registerForge(host: string, kind: ForgeFamily, extra: Record<string, unknown> = {}) {
  const res = await admin("/api/forges", "POST", {
    host,
    kind,
    webhookSecret: `secret-of-${host}`,
    baseUrl: /^(localhost|127\.0\.0\.1)(:|$)/.test(host) ? `http://${host}` : `https://${host}`,
    ...extra,
  });
  if (res.status !== 201) throw new Error(`registering forge ${host}: ${res.status} ${await res.text()}`);
  return `secret-of-${host}`;
}

export interface Delivery {
  forge: ForgeFamily;
  event: string;
  body: string | Uint8Array;
  secret: string;
  delivery?: string;
  headers?: Record<string, string>;
}

export async function signedHeaders(d: Delivery): Promise<Record<string, string>> {
  const bytes = typeof d.body === "string" ? new TextEncoder().encode(d.body) : d.body;
  const sig = await hmacSha256Hex(d.secret, bytes);
  const id = d.delivery ?? crypto.randomUUID();
  switch (d.forge) {
    case "github":
      return { "X-GitHub-Event": d.event, "X-GitHub-Delivery": id, "X-Hub-Signature-256": `sha256=${sig}` };
    case "gitea":
      return { "X-Gitea-Event": d.event, "X-Gitea-Delivery": id, "X-Gitea-Signature": sig };
    case "forgejo":
      return {
        "X-Forgejo-Event": d.event,
        "X-Forgejo-Delivery": id,
        "X-Forgejo-Signature": sig,
        "X-Gitea-Event": d.event,
        "X-Gitea-Delivery": id,
        "X-Gitea-Signature": sig,
      };
    case "gogs":
      return { "X-Gogs-Event": d.event, "X-Gogs-Delivery": id, "X-Gogs-Signature": sig };
    case "gitlab":
      return { "X-Gitlab-Event": d.event, "X-Gitlab-Event-UUID": id, "X-Gitlab-Token": d.secret };
  }
}

export async function deliver(d: Delivery): Promise<Response> {
  const headers = { "Content-Type": "application/json", ...(await signedHeaders(d)), ...(d.headers ?? {}) };
  return call(`/hooks/${d.forge}`, { method: "POST", headers, body: d.body });
}
