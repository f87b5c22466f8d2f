// Test helpers for the git layer: run git CLI scripts on the loopback git server, read packs and answers.

import { env } from "cloudflare:workers";
import type { Answer } from "../support/http";

export const server = () => env.GIT_SERVER;

let counter = 0;
/** A repo name unique within the test run (the server's root is shared by every test file). */
export function repoName(prefix: string): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}-${counter}`;
}

export interface ShResult {
  code: number;
  stdout: string;
  stderr: string;
  bytes?: Uint8Array;
}

/** Runs a bash script (set -euo pipefail) under the server's root; fails the test when it fails. */
export async function sh(
  script: string,
  opts: { cwd?: string; binary?: boolean; allowFail?: boolean; stdin?: Uint8Array } = {},
): Promise<ShResult> {
  const res = await fetch(`${server()}/_control/sh`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      script,
      cwd: opts.cwd,
      binary: opts.binary,
      stdinBase64: opts.stdin ? b64(opts.stdin) : undefined,
    }),
  });
  const out = (await res.json()) as { code: number; stdout: string; stderr: string; stdoutBase64?: string };
  if (out.code !== 0 && !opts.allowFail)
    throw new Error(`script failed (${out.code}): ${out.stderr}\n--- script:\n${script}`);
  return { ...out, bytes: out.stdoutBase64 !== undefined ? unb64(out.stdoutBase64) : undefined };
}

export function b64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function unb64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** A bare repo `<name>.git` on the server, filled by `script` run in a scratch work tree; returns its URL. */
export async function makeRepo(name: string, script: string): Promise<string> {
  await sh(
    `rm -rf "work-${name}" && git init -q -b main "work-${name}" && cd "work-${name}" && ${script}
cd .. && git clone -q --bare "work-${name}" "${name}.git" && rm -rf "work-${name}"`,
  );
  return `${server()}/${name}.git`;
}

/** Runs a script inside the bare repo `<name>.git`; returns stdout. */
export async function inRepo(name: string, script: string): Promise<string> {
  return (await sh(script, { cwd: `${name}.git` })).stdout;
}

export { readAll as collect } from "../../workers/core/bytes";

/** A stream giving `bytes` in chunks of `size` (to cross entry boundaries at odd places). */
export function chunked(bytes: Uint8Array, size = 4096): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** Rejects with the error `p` fails with (fails the test if it resolves). */
export async function failure(p: Promise<unknown>): Promise<Answer> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a failure, got success");
}
