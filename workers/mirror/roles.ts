// Which half of the mirror this deployment is (MIRROR_ROLE), and the settings each half reads.

import type { Env } from "../env";
import { MIB } from "../core/limits";

export type MirrorRole = "producer" | "consumer";

/** The mirror's own bindings and settings, beside the spine's (wrangler.toml, .dev.vars). */
export interface MirrorEnv extends Env {
  /** `both` (default: local development), `producer` or `consumer`. */
  MIRROR_ROLE?: string;
  /** Scratch space for fetched packs (producer) and extracted packs (consumer). */
  MIRROR_STAGING: R2Bucket;
  /** Producer: age recipients (age1…), comma, space or newline separated. */
  SYNC_RECIPIENTS?: string;
  /** Consumer: age identity (AGE-SECRET-KEY-1…), secret. */
  SYNC_IDENTITY?: string;
  /** Consumer in another account: read SYNC through R2's S3-compatible endpoint. */
  SYNC_S3_ENDPOINT?: string;
  SYNC_S3_ACCESS_KEY_ID?: string;
  SYNC_S3_SECRET_ACCESS_KEY?: string;
  SYNC_S3_BUCKET?: string;
  /** Largest object (ciphertext) and largest unpacked tarball the consumer accepts, and the producer makes. */
  MIRROR_MAX_TAR_BYTES?: string;
  /** Minutes between reconciles of each role (default 5). */
  MIRROR_RECONCILE_MINUTES?: string;
  /** Consumer: base URL for destinations with no spec here, `<base>/<group>/<project>` (as git-partition-sync's GITLAB_BASE_URL). */
  MIRROR_DESTINATION_BASE?: string;
}

export function roleEnabled(env: MirrorEnv, role: MirrorRole): boolean {
  const configured = (env.MIRROR_ROLE ?? "both").trim().toLowerCase();
  if (configured !== "both" && configured !== "producer" && configured !== "consumer")
    throw new Error(`MIRROR_ROLE must be both, producer or consumer, not ${JSON.stringify(env.MIRROR_ROLE)}`);
  return configured === "both" || configured === role;
}

export function maxTarBytes(env: MirrorEnv): number {
  const n = Number(env.MIRROR_MAX_TAR_BYTES ?? "");
  return Number.isFinite(n) && n > 0 ? n : 2048 * MIB;
}

export function reconcileMinutes(env: MirrorEnv): number {
  const n = Number(env.MIRROR_RECONCILE_MINUTES ?? "");
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 5;
}
