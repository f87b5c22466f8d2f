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

/**
 * The ingress reads the forge of every delivery; a D1 round trip each time would dominate its latency.
 * Rows (and absences) are kept per isolate for a few seconds: a change made through the API takes effect
 * at once in the isolate that made it and within FORGE_CACHE_MS everywhere else.
 */
export const FORGE_CACHE_MS = 5_000;
const cached = new Map<string, { row: ForgeRow | null; until: number }>();

export async function findForgeCached(db: D1Database, host: string): Promise<ForgeRow | null> {
  const key = host.toLowerCase();
  const hit = cached.get(key);
  if (hit && hit.until > Date.now()) return hit.row;
  const row = await findForge(db, key);
  if (cached.size > 1_000) cached.clear();
  cached.set(key, { row, until: Date.now() + FORGE_CACHE_MS });
  return row;
}

export function forgetForge(host: string): void {
  cached.delete(host.toLowerCase());
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
