// Checks every source file passes before a converter sees it: UTF-8, and no merge-conflict markers.

import type { Finding } from "./usfm-check";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The file's text, or an error naming it: a converter given mojibake would publish mojibake. */
export function decodeSource(
  path: string,
  bytes: Uint8Array,
): { ok: true; text: string } | { ok: false; error: string } {
  try {
    return { ok: true, text: utf8.decode(bytes).replace(/\r\n?/g, "\n") };
  } catch {
    // Where: the first replacement character of a lenient decode, measured back in bytes.
    const lenient = new TextDecoder("utf-8").decode(bytes);
    const at = new TextEncoder().encode(lenient.slice(0, Math.max(0, lenient.indexOf("\ufffd")))).length;
    return { ok: false, error: `${path} is not UTF-8 text (invalid byte near offset ${at})` };
  }
}

const CONFLICT = /^(<{7}|>{7})(?: |$)|^={7}$/m;

/** An error naming the file and line of the first merge-conflict marker, if any. */
export function conflictMarkers(path: string, text: string): Finding | null {
  const m = CONFLICT.exec(text);
  if (!m) return null;
  const line = text.slice(0, m.index).split("\n").length;
  return {
    level: "error",
    message: `${path} line ${line}: merge-conflict marker "${m[1] ?? "======="}" (resolve the conflict and push again)`,
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
