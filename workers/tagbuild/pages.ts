// Minimal HTML status pages for people; the same routes answer JSON to programs.

import type { Context } from "hono";

export type Cell = string | { text: string; href: string };

/** HTML only for clients that prefer it (browsers); JSON for `Accept: application/json` and everyone else. */
export function wantsHtml(c: Context): boolean {
  const accept = c.req.header("Accept") ?? "";
  if (/application\/json/i.test(accept)) return false;
  return /text\/html/i.test(accept);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function cell(c: Cell): string {
  if (typeof c === "string") return escapeHtml(c);
  return `<a href="${escapeHtml(c.href)}">${escapeHtml(c.text)}</a>`;
}

export function table(head: string[], rows: Cell[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${cell(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}</style>
</head><body><h1>${escapeHtml(title)}</h1>
<p><a href="/api/tagbuild/jobs">tag builds</a> · <a href="/api/builders">builders</a></p>
${body}</body></html>`;
}
