// Converting one unit (a book, a story, an article) from its source texts to an HTML fragment, with its title,
// search entries and findings. Plain functions: the pipeline and the tests hand in the texts.

import { bookByCode } from "./books";
import type { ResourceContainer } from "./manifest";
import { firstHeading, joinPath, plainLine, relativeHref, renderMarkdown, type LinkResolver } from "./markdown";
import type { BuildPlan, NavItem, Unit } from "./plan";
import { conflictMarkers, escapeHtml } from "./source";
import { renderUsfmBook } from "./usfm-render";
import type { Finding } from "./usfm-check";

/** Bump when any converter's output changes: cached outputs are keyed by it. */
export const CONVERTER_VERSION = "1";

export interface SearchEntry {
  /** Page path in the site. */
  p: string;
  /** Heading text. */
  h: string;
  /** Anchor id in the page ("" for the top). */
  id?: string;
}

export interface ConvertedUnit {
  title: string;
  body: string;
  /** For a Bible book, its chapter numbers (the page's chapter navigation). */
  chapters?: number[];
  search: SearchEntry[];
  findings: Finding[];
}

/** What every unit of one build shares: where each source file is published, for link rewriting. */
export interface BuildContext {
  rc: ResourceContainer;
  plan: BuildPlan;
  pageOfSource: Map<string, string>;
}

export function buildContext(rc: ResourceContainer, plan: BuildPlan): BuildContext {
  const pageOfSource = new Map<string, string>();
  for (const unit of plan.units)
    for (const input of unit.inputs) {
      pageOfSource.set(input, unit.page);
      const dir = input.replace(/\/[^/]+$/, "");
      if (unit.converter === "ta" && !pageOfSource.has(dir)) pageOfSource.set(dir, unit.page);
    }
  return { rc, plan, pageOfSource };
}

/** The resolver for links in `unit`'s sources: rc:// links into this resource and relative links to published pages. */
function linkResolver(ctx: BuildContext, unit: Unit): LinkResolver {
  return (href, source) => {
    if (/^(https?:|mailto:|#)/i.test(href)) return href;
    let target: string | null;
    const rc = /^rc:\/\/[^/]+\/([^/]+)\/(?:[^/]+)\/(.+)$/.exec(href);
    if (rc) {
      const [, resource, rest] = rc as unknown as [string, string, string];
      if (resource !== ctx.rc.identifier && resource !== ctx.rc.resourceType) return null;
      const page = ctx.rc.resourceType === "tw" ? `${rest.replace(/^bible\//, "")}.html` : `${rest}.html`;
      target = ctx.plan.units.some((u) => u.page === page) ? page : null;
    } else {
      const [path, anchor] = href.split("#") as [string, string | undefined];
      const joined = joinPath(source, decodeURI(path));
      const page =
        joined === null ? undefined : (ctx.pageOfSource.get(joined) ?? ctx.pageOfSource.get(joined.replace(/\/$/, "")));
      target = page ? page + (anchor ? `#${anchor}` : "") : null;
    }
    return target === null ? null : relativeHref(unit.page, target);
  };
}

/** Converts `unit` from `texts` (input path → text; every input must be there). */
export function convertUnit(ctx: BuildContext, unit: Unit, texts: Map<string, string>): ConvertedUnit {
  const findings: Finding[] = [];
  for (const path of unit.inputs) {
    const found = conflictMarkers(path, texts.get(path) ?? "");
    if (found) findings.push(found);
  }
  if (findings.length) return { title: unit.title, body: "", search: [], findings };
  const text = (path: string) => texts.get(path) ?? "";
  const md = (path: string) => renderMarkdown(text(path), { source: path, resolve: linkResolver(ctx, unit) });
  switch (unit.converter) {
    case "usfm":
    case "ts-usfm": {
      const book = bookByCode(unit.book!)!;
      const source = unit.converter === "usfm" ? text(unit.inputs[0]!) : joinChunks(unit, texts);
      const r = renderUsfmBook(source, book);
      const located = r.findings.map((f) => ({ ...f, message: `${unit.inputs[0]}: ${f.message}` }));
      const search: SearchEntry[] = [{ p: unit.page, h: r.title }];
      for (const c of r.chapters)
        search.push({ p: unit.page, h: `${r.title} ${c}`, id: `${book.number}-ch-${String(c).padStart(3, "0")}` });
      for (const h of r.headings) search.push({ p: unit.page, h: h.text, id: h.id });
      return { title: r.title, body: r.html, chapters: r.chapters, search, findings: located };
    }
    case "obs":
    case "ts-obs": {
      const source = unit.converter === "obs" ? unit.inputs.map(text).join("\n\n") : joinObsChunks(unit, texts);
      const title = firstHeading(source) ?? unit.title;
      const body = renderMarkdown(source, { source: unit.inputs[0], resolve: linkResolver(ctx, unit) });
      const findings: Finding[] = [];
      if (!/<img /.test(body)) findings.push({ level: "warning", message: `story ${unit.id}: no images` });
      return {
        title,
        body: `<article class="obs-story">${body}</article>`,
        search: [{ p: unit.page, h: title }],
        findings,
      };
    }
    case "tw": {
      const title = firstHeading(text(unit.inputs[0]!)) ?? unit.title;
      return {
        title,
        body: `<article class="tw">${md(unit.inputs[0]!)}</article>`,
        search: [{ p: unit.page, h: title }],
        findings: [],
      };
    }
    case "ta": {
      const of = (name: string) => unit.inputs.find((p) => p.endsWith(`/${name}`));
      const titleFile = of("title.md");
      const title = titleFile ? plainLine(text(titleFile)) || unit.title : unit.title;
      const sub = of("sub-title.md");
      const article = of("01.md");
      const findings: Finding[] = article ? [] : [{ level: "error", message: `${unit.id}: no 01.md` }];
      const body =
        `<article class="ta"><h1>${escapeHtml(title)}</h1>` +
        (sub ? `<p class="sub-title">${escapeHtml(plainLine(text(sub)))}</p>` : "") +
        (article ? md(article) : "") +
        "</article>";
      return { title, body, search: [{ p: unit.page, h: title }], findings };
    }
    case "help-book": {
      const parts = unit.inputs.map((p) => {
        const ref = p
          .split("/")
          .slice(-2)
          .join(":")
          .replace(/\.md$/, "")
          .replace(/^0+(\d)/, "$1")
          .replace(/:0+(\d)/, ":$1");
        return `<section class="help-chunk" id="${escapeHtml(ref.replace(":", "-"))}"><h2>${escapeHtml(ref)}</h2>${md(p)}</section>`;
      });
      return {
        title: unit.title,
        body: `<h1>${escapeHtml(unit.title)}</h1>${parts.join("")}`,
        search: [{ p: unit.page, h: unit.title }],
        findings: [],
      };
    }
    case "markdown": {
      const source = unit.inputs.map(text).join("\n\n");
      const title = firstHeading(source) ?? unit.title;
      return { title, body: unit.inputs.map(md).join(""), search: [{ p: unit.page, h: title }], findings: [] };
    }
    case "index": {
      const list = (items: NavItem[]): string =>
        `<ul>${items.map((i) => `<li><a href="${escapeHtml(relativeHref(unit.page, i.page))}">${escapeHtml(i.title)}</a>${i.children ? list(i.children) : ""}</li>`).join("")}</ul>`;
      return {
        title: unit.title,
        body: `<h1>${escapeHtml(unit.title)}</h1><nav class="toc">${list(unit.lists ?? [])}</nav>`,
        search: [{ p: unit.page, h: unit.title }],
        findings: [],
      };
    }
  }
}

/** translationStudio's chapter folders of chunk files joined back into one USFM book. */
export function joinChunks(unit: Unit, texts: Map<string, string>): string {
  const book = bookByCode(unit.book!)!;
  const title = texts.get("front/title.txt")?.trim() || unit.title;
  const out = [`\\id ${book.code}`, "\\ide UTF-8", `\\h ${title}`, `\\toc1 ${title}`, `\\mt ${title}`];
  let chapter = "";
  for (const path of unit.inputs) {
    const [dir, file] = path.split("/") as [string, string];
    if (dir === "front" || file === "title.txt") continue;
    let chunk = texts.get(path) ?? "";
    if (dir !== chapter) {
      chapter = dir;
      if (!/\\c\s+\d+/.test(chunk)) chunk = `\\c ${Number(dir)}\n\\p\n${chunk}`;
    }
    out.push(chunk.trim());
  }
  return out.join("\n") + "\n";
}

/** translationStudio's OBS story folder (`NN/title.txt`, `NN/MM.txt`, `NN/reference.txt`) as one story in Markdown. */
export function joinObsChunks(unit: Unit, texts: Map<string, string>): string {
  const get = (name: string) => {
    const path = unit.inputs.find((p) => p.endsWith(`/${name}`));
    return path ? (texts.get(path) ?? "").trim() : "";
  };
  const parts = [`# ${get("title.txt") || unit.title}`];
  for (const path of unit.inputs) {
    const m = /\/(\d+)\.txt$/.exec(path);
    if (!m) continue;
    parts.push(
      `![OBS Image](https://cdn.door43.org/obs/jpg/360px/obs-en-${unit.id}-${m[1]}.jpg)`,
      (texts.get(path) ?? "").trim(),
    );
  }
  const reference = get("reference.txt");
  if (reference) parts.push(`_${reference}_`);
  return parts.join("\n\n");
}
