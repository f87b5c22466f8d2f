// Calling the real Worker through its fetch handler, as an admin or as anyone.

import { SELF } from "cloudflare:test";

export const ADMIN = { Authorization: "Bearer test-admin-token" };

export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(new Request(`https://forgeline.test${path}`, init));
}

export function admin(
  path: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return call(path, {
    method,
    headers: { ...ADMIN, ...(body !== undefined ? { "Content-Type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * A JSON answer as a test reads it: its shape is what the assertions check at run time (typing every route's
 * answer again in the tests would only restate the routes). The one `any` the lint lets the tests have.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer = any;

export async function json<T = Answer>(res: Response | Promise<Response>): Promise<{ status: number; body: T }> {
  const r = await res;
  const text = await r.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`expected JSON, got ${r.status}: ${text.slice(0, 300)}`);
  }
  return { status: r.status, body };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
  what = "condition",
): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let counter = 0;
/** A name unique within this test file's storage (storage is shared by the tests of a file). */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}`;
}
