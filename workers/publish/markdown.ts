// Markdown to HTML with markdown-it (raw HTML in a source is escaped, never passed through), rewriting rc:// and
// relative links to the published pages.

import MarkdownIt from "markdown-it";

/** Maps a link's target (as written, and the source file it is in) to the href to publish, or null to drop the link. */
export type LinkResolver = (href: string, fromSource: string) => string | null;

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

const defaultLinkOpen =
  md.renderer.rules.link_open ?? ((tokens, idx, options, _env, self) => self.renderToken(tokens, idx, options));
md.renderer.rules.link_open = (tokens, idx, options, env, self) => {
  const token = tokens[idx]!;
  const href = token.attrGet("href") ?? "";
  const { resolve, source } = (env ?? {}) as { resolve?: LinkResolver; source?: string };
  if (resolve && source !== undefined) {
    const target = resolve(href, source);
    if (target === null) {
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== "href");
      token.attrSet("class", "unresolved");
      token.attrSet("title", href);
    } else token.attrSet("href", target);
  }
  return defaultLinkOpen(tokens, idx, options, env, self);
};

// markdown-it refuses rc:// as a link scheme by default; these are ours to rewrite.
const validateLink = md.validateLink.bind(md);
md.validateLink = (url: string) => url.startsWith("rc://") || validateLink(url);

export function renderMarkdown(text: string, opts: { source?: string; resolve?: LinkResolver } = {}): string {
  return md.render(text, { source: opts.source, resolve: opts.resolve });
}

/** The first heading's text (`# Title #` → "Title"), or null. */
export function firstHeading(text: string): string | null {
  const m = /^\s{0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
  return m ? m[1]!.trim() : null;
}

/** Plain text of one line of Markdown (a title.md file), for `<title>` and navigation. */
export function plainLine(text: string): string {
  return text
    .replace(/^[#\s]+|[#\s]+$/g, "")
    .replace(/[*_`]/g, "")
    .split("\n")[0]!
    .trim();
}

/** Joins `rel` onto the directory of `from` (both tree paths); null if it climbs out of the tree. */
export function joinPath(from: string, rel: string): string | null {
  const parts = from.split("/").slice(0, -1);
  for (const seg of rel.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (!parts.length) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

/** A relative href from page `from` to page `to` (both site paths like `kt/grace.html`). */
export function relativeHref(from: string, to: string): string {
  const a = from.split("/").slice(0, -1);
  const b = to.split("/");
  let i = 0;
  while (i < a.length && i < b.length - 1 && a[i] === b[i]) i++;
  return "../".repeat(a.length - i) + b.slice(i).join("/");
}
