// Which half of the mirror this deployment is (MIRROR_ROLE), and the settings each half reads.

import type { Env } from "../env";
import { MIB } from "../core/limits";

/** The settings of each half, with their defaults here: MIRROR_ROLE may be unset (both halves). */
type RoleSettings = Partial<Pick<Env, "MIRROR_ROLE" | "MIRROR_MAX_TAR_BYTES" | "MIRROR_RECONCILE_MINUTES">>;

export type MirrorRole = "producer" | "consumer";

export function roleEnabled(env: RoleSettings, role: MirrorRole): boolean {
  const configured = (env.MIRROR_ROLE ?? "both").trim().toLowerCase();
  if (configured !== "both" && configured !== "producer" && configured !== "consumer")
    throw new Error(`MIRROR_ROLE must be both, producer or consumer, not ${JSON.stringify(env.MIRROR_ROLE)}`);
  return configured === "both" || configured === role;
}

export function maxTarBytes(env: RoleSettings): number {
  const n = Number(env.MIRROR_MAX_TAR_BYTES ?? "");
  return Number.isFinite(n) && n > 0 ? n : 2048 * MIB;
}

export function reconcileMinutes(env: RoleSettings): number {
  const n = Number(env.MIRROR_RECONCILE_MINUTES ?? "");
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 5;
}
