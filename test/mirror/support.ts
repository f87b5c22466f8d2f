// Helpers for the mirror tests: age test keys (made with age-keygen, for tests and local development only) and
// a line to the loopback git server's shell, where the real `age`, `tar` and `git` run.

import { env } from "cloudflare:workers";

/** The consumer's identity in tests and .dev.vars.example, and its recipient. */
export const IDENTITY = "AGE-SECRET-KEY-1H55KMTJ4ARG8K4VSKTDX5ZNWNXMHT0EHJWT4ZP4RYK4V6KNMYLWQNXNMR6";
export const RECIPIENT = "age1nyx3vkv2kdvnzvyxkzt2n4regk8hre4ds8tjetl8h8sqa754r5cs6fk2rw";
/** Somebody else's key pair: objects for it must not open with IDENTITY. */
export const OTHER_IDENTITY = "AGE-SECRET-KEY-100ZR9369VRDCXXG48NY43NHX6XMQV0XJUMYH7Q905XWQ58UNR04Q6MS8RR";
export const OTHER_RECIPIENT = "age1yesayslfvmr2as73xtvp2whrupgu4s8z0pth0enjqxjr862cf35qxppxdu";

export interface ShellResult {
  code: number;
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
}

/** Runs a bash script on the git server's side (cwd relative to its root); stdin and stdout may be binary. */
export async function sh(script: string, opts: { cwd?: string; stdin?: Uint8Array } = {}): Promise<ShellResult> {
  const res = await fetch(`${env.GIT_SERVER}/_control/sh`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      script,
      cwd: opts.cwd,
      binary: true,
      ...(opts.stdin ? { stdinBase64: toBase64(opts.stdin) } : {}),
    }),
  });
  if (!res.ok) throw new Error(`shell: HTTP ${res.status}: ${await res.text()}`);
  const out = (await res.json()) as { code: number; stdout: string; stderr: string; stdoutBase64: string };
  return { code: out.code, stdout: out.stdout, stderr: out.stderr, bytes: fromBase64(out.stdoutBase64 ?? "") };
}

/** Like `sh`, but a non-zero exit fails the test with the script's stderr. */
export async function run(script: string, opts: { cwd?: string; stdin?: Uint8Array } = {}): Promise<ShellResult> {
  const out = await sh(script, opts);
  if (out.code !== 0) throw new Error(`script failed (${out.code}): ${script}\n${out.stderr}`);
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

let counter = 0;
/** A name no other test of this run uses. */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

/** Random bytes of any length (getRandomValues takes at most 64 KiB at once). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65_536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65_536)));
  return out;
}
