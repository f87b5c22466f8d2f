// Small pieces of the reference observer: a concurrency limit, and path prefixes as the registry normalizes them.

/** At most `size` activities at once; the others wait in order. */
export class Limit {
  constructor(size) {
    this.size = Math.max(1, size || 1);
    this.active = 0;
    this.waiting = [];
  }

  async run(work) {
    if (this.active >= this.size) await new Promise((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await work();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

/** `acme`, `/acme/` and `acme//` are all `acme/` (the registry's own normalization). */
export function normalizePrefix(prefix) {
  const trimmed = prefix.trim().replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed ? `${trimmed}/` : "";
}

/** Whether `path` lies under one of the prefixes: `acme/` holds `acme/x`, never `acme-corp/x`. */
export function underAny(path, prefixes) {
  return prefixes.some((p) => p === "" || `${path}/`.startsWith(p));
}
