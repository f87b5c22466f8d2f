// The tag-build API routes' HTML, for browsers that open them directly: drawn in the dashboard's frame (its
// stylesheet and navigation; the full pages are the dashboard's /builds and /builders). Programs get JSON.

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

/** The dashboard's navigation, so a browser that lands on an API page can go on from there. */
const NAV = [
  ["/", "Overview"],
  ["/repos", "Repos"],
  ["/jobs", "Jobs"],
  ["/builds", "Tag builds"],
  ["/builders", "Builders"],
];

export function page(title: string, body: string): string {
  const nav = NAV.map(([href, label]) => `<a href="${href}">${escapeHtml(label!)}</a>`).join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Forgeline</title><link rel="stylesheet" href="/assets/style.css"></head><body>
<header class="top"><a class="brand" href="/">Forgeline</a><nav class="main" aria-label="Main">${nav}</nav></header>
<main><h1>${escapeHtml(title)}</h1><div class="scroll">
${body}</div></main></body></html>`;
}
