// Reading and writing forge registrations in D1 (the ingress reads them on every delivery).

import { drizzle } from "drizzle-orm/d1";
import { eq } from "drizzle-orm";
import { forges } from "../../schema";
import type { ForgeFamily } from "../core/forge-event";

export type ForgeRow = typeof forges.$inferSelect;

/** A forge as the API shows it: no secret, no token, only whether one is set. */
export interface ForgePublic {
  host: string;
  kind: ForgeFamily;
  baseUrl: string;
  hasToken: boolean;
  allowedCidrs: string[];
  autoRegister: Record<string, unknown> | null;
  reachable: boolean;
  lastFailure: string | null;
  downSince: number | null;
  createdAt: number;
  updatedAt: number;
}

export async function findForge(db: D1Database, host: string): Promise<ForgeRow | null> {
  const rows = await drizzle(db).select().from(forges).where(eq(forges.host, host.toLowerCase())).limit(1);
  return rows[0] ?? null;
}

export function publicForge(row: ForgeRow): ForgePublic {
  return {
    host: row.host,
    kind: row.kind,
    baseUrl: row.baseUrl,
    hasToken: !!row.token,
    allowedCidrs: row.allowedCidrs ?? [],
    autoRegister: row.autoRegister ?? null,
    reachable: row.reachable,
    lastFailure: row.lastFailure,
    downSince: row.downSince,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Which webhook paths a registered forge kind may post to: Gitea, Forgejo and Gogs share one payload family. */
export function acceptsPath(kind: ForgeFamily, path: ForgeFamily): boolean {
  const family = (k: ForgeFamily) => (k === "gitea" || k === "forgejo" || k === "gogs" ? "gitea" : k);
  return family(kind) === family(path);
}
