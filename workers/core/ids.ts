// ULIDs for jobs and events: sortable by creation time, monotonic within one isolate.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

let lastTime = -1;
let lastRandom: Uint8Array = new Uint8Array(10);

function encodeTime(ms: number): string {
  let out = "";
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base-32 characters, most significant first.
  let out = "";
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** Increments the 80-bit random part; ULIDs made in the same millisecond stay ordered. */
function increment(bytes: Uint8Array): Uint8Array {
  const next = bytes.slice();
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i]! < 255) {
      next[i]!++;
      return next;
    }
    next[i] = 0;
  }
  throw new Error("ULID random part overflowed within one millisecond");
}

export function ulid(now = Date.now()): string {
  if (now <= lastTime) {
    lastRandom = increment(lastRandom);
    now = lastTime;
  } else {
    lastTime = now;
    lastRandom = crypto.getRandomValues(new Uint8Array(10));
  }
  return encodeTime(now) + encodeRandom(lastRandom);
}

export function isUlid(value: string): boolean {
  return ULID_RE.test(value);
}

/** The creation time of a ULID, in ms since the epoch. */
export function ulidTime(id: string): number {
  let ms = 0;
  for (const ch of id.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return ms;
}

/**
 * A ULID greater than `previous`: a log whose cursor is its ids must never append an id that sorts
 * before one already handed out, even if the clock stepped back (an object moved to another machine).
 */
export function ulidAfter(previous: string | null): string {
  const id = ulid();
  if (!previous || id > previous) return id;
  const chars = previous.split("");
  for (let i = chars.length - 1; i >= 10; i--) {
    const v = ALPHABET.indexOf(chars[i]!);
    if (v < 31) {
      chars[i] = ALPHABET[v + 1]!;
      return chars.join("");
    }
    chars[i] = ALPHABET[0]!;
  }
  throw new Error("ULID random part overflowed");
}
