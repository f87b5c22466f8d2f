// The tag-build service settings from the environment, with their documented defaults.

export interface TagbuildSettings {
  /** How far in the future a tagger timestamp may be (TAG_SLOP, default 15 min). */
  slopMs: number;
  /** How old a tagger timestamp may be, and how long job rows are kept (TAG_MAX_AGE, default 72 h). */
  maxAgeMs: number;
  /** Tokens builders present as `Authorization: Bearer <token>` (BUILDER_TOKENS, comma-separated). */
  builderTokens: string[];
}

export interface TagbuildEnv {
  TAG_SLOP?: string;
  TAG_MAX_AGE?: string;
  BUILDER_TOKENS?: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `900`, `900s`, `15m`, `72h`, `3d`; a bare number is seconds. Throws on anything else. */
export function parseDuration(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!m) throw new Error(`${name}=${JSON.stringify(text)} is not a duration (e.g. 900, 15m, 72h)`);
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? "s"]!);
}

export function tagbuildSettings(env: TagbuildEnv): TagbuildSettings {
  return {
    slopMs: env.TAG_SLOP ? parseDuration(env.TAG_SLOP, "TAG_SLOP") : 15 * 60_000,
    maxAgeMs: env.TAG_MAX_AGE ? parseDuration(env.TAG_MAX_AGE, "TAG_MAX_AGE") : 72 * 3_600_000,
    builderTokens: (env.BUILDER_TOKENS ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
  };
}
