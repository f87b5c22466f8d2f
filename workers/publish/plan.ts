// What a build makes: from the normalized manifest and the tree's paths, the pages ("units") each converter
// writes, their input files, and the site's navigation. Plain data; the pipeline fetches the inputs per unit.

import { parse as parseYaml } from "yaml";
import { BOOKS, bookByCode, bookOfFileName } from "./books";
import type { ResourceContainer } from "./manifest";

export type Converter = "usfm" | "ts-usfm" | "obs" | "ts-obs" | "tw" | "ta" | "help-book" | "markdown" | "index";

export interface Unit {
  /** Stable within the resource: a book code, a story number, an article path. */
  id: string;
  /** The page's path in the site, e.g. `01-GEN.html`, `kt/grace.html`. */
  page: string;
  title: string;
  converter: Converter;
  /** Tree paths, in the order the converter reads them. */
  inputs: string[];
  /** For a Bible book, its code. */
  book?: string;
  /** An index page's content: the entries it lists. */
  lists?: NavItem[];
}

export interface NavItem {
  title: string;
  page: string;
  children?: NavItem[];
}

export interface NavSection {
  title: string;
  items: NavItem[];
}

export interface BuildPlan {
  convertModule: string;
  inputFormat: string;
  outputFormat: "html";
  units: Unit[];
  nav: NavSection[];
  warnings: string[];
}

export type PlanResult = { ok: true; plan: BuildPlan } | { ok: false; error: string; message: string };

const CONVERTERS: Record<string, { module: string; input: string }> = {
  bible: { module: "usfm2html", input: "usfm" },
  obs: { module: "md2html", input: "md" },
  tw: { module: "md2html", input: "md" },
  ta: { module: "md2html", input: "md" },
  tn: { module: "md2html", input: "md" },
  tq: { module: "md2html", input: "md" },
  markdown: { module: "md2html", input: "md" },
};

/** The extra files planning reads (tables of contents), given the manifest and the tree. */
export function planMetaPaths(rc: ResourceContainer, paths: string[]): string[] {
  if (rc.resourceType !== "ta") return [];
  const set = new Set(paths);
  return rc.projects.flatMap((p) => [`${prefix(p.path)}toc.yaml`]).filter((p) => set.has(p));
}

const prefix = (dir: string) => (dir ? `${dir}/` : "");
const under = (paths: string[], dir: string) => paths.filter((p) => p.startsWith(prefix(dir)));
const byNumber = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });

export function planBuild(rc: ResourceContainer, paths: string[], meta: Map<string, string> = new Map()): PlanResult {
  const converter = CONVERTERS[rc.resourceType];
  if (!converter) {
    const format = rc.format === "markdown" ? "md" : rc.format || "unknown";
    return {
      ok: false,
      message: "No converter found",
      error: `No converter was found to convert ${rc.resourceType} from ${format} to html`,
    };
  }
  const base = {
    convertModule: converter.module,
    inputFormat: converter.input,
    outputFormat: "html" as const,
    warnings: [] as string[],
  };
  try {
    switch (rc.resourceType) {
      case "bible":
        return { ok: true, plan: { ...base, ...planBible(rc, paths, base.warnings) } };
      case "obs":
        return { ok: true, plan: { ...base, ...planObs(rc, paths) } };
      case "tw":
        return { ok: true, plan: { ...base, ...planTw(rc, paths) } };
      case "ta":
        return { ok: true, plan: { ...base, ...planTa(rc, paths, meta, base.warnings) } };
      case "tn":
      case "tq":
        return { ok: true, plan: { ...base, ...planHelpBooks(rc, paths) } };
      default:
        return { ok: true, plan: { ...base, ...planMarkdown(rc, paths) } };
    }
  } catch (err) {
    return { ok: false, message: "Bad input", error: (err as Error).message };
  }
}

function planBible(rc: ResourceContainer, paths: string[], warnings: string[]): Pick<BuildPlan, "units" | "nav"> {
  const units: Unit[] = [];
  if (rc.layout === "ts-chunks") {
    const project = rc.projects[0]!;
    const book = bookByCode(project.identifier);
    if (!book) throw new Error(`manifest.json: project "${project.identifier}" is not a Bible book`);
    const chunks = paths.filter((p) => /^(\d+|front)\/(\d+|title)\.txt$/.test(p)).sort(byNumber);
    units.push({
      id: book.code.toLowerCase(),
      page: `${book.number}-${book.code}.html`,
      title: project.title || book.name,
      converter: "ts-usfm",
      inputs: chunks,
      book: book.code,
    });
  } else {
    const files = rc.projects.length
      ? rc.projects.map((p) => ({ path: p.path, title: p.title, id: p.identifier }))
      : [];
    if (!files.length) for (const p of paths) if (/\.u?sfm$/i.test(p)) files.push({ path: p, title: "", id: "" });
    const seen = new Set<string>();
    for (const f of files) {
      const book = bookByCode(f.id) ?? bookOfFileName(f.path);
      if (!book) {
        warnings.push(`${f.path}: not a Bible book; skipped`);
        continue;
      }
      if (seen.has(book.code)) throw new Error(`two files hold ${book.code}: the second is ${f.path}`);
      seen.add(book.code);
      units.push({
        id: book.code.toLowerCase(),
        page: `${book.number}-${book.code}.html`,
        title: f.title || book.name,
        converter: "usfm",
        inputs: [f.path],
        book: book.code,
      });
    }
    if (!units.length) throw new Error("no USFM book files found");
    units.sort((a, b) => bookByCode(a.book!)!.order - bookByCode(b.book!)!.order);
  }
  const ot = units.filter((u) => bookByCode(u.book!)!.order < 39);
  const nt = units.filter((u) => bookByCode(u.book!)!.order >= 39);
  const nav: NavSection[] = [];
  if (ot.length) nav.push({ title: "Old Testament", items: ot.map((u) => ({ title: u.title, page: u.page })) });
  if (nt.length) nav.push({ title: "New Testament", items: nt.map((u) => ({ title: u.title, page: u.page })) });
  return { units, nav };
}

function planObs(rc: ResourceContainer, paths: string[]): Pick<BuildPlan, "units" | "nav"> {
  const root = rc.projects[0]?.path ?? "";
  const files = under(paths, root).map((p) => p.slice(prefix(root).length));
  const units: Unit[] = [];
  for (let n = 1; n <= 50; n++) {
    const nn = String(n).padStart(2, "0");
    const single = files.find((f) => f === `${nn}.md`);
    const folder = files.filter((f) => f.startsWith(`${nn}/`) && /\.(md|txt)$/.test(f)).sort(byNumber);
    const inputs = single ? [single] : folder;
    if (!inputs.length)
      throw new Error(
        `Open Bible Stories: story ${nn} is missing (no ${prefix(root)}${nn}.md or ${prefix(root)}${nn}/)`,
      );
    const chunked = inputs.some((f) => f.endsWith(".txt"));
    units.push({
      id: nn,
      page: `${nn}.html`,
      title: `Story ${n}`,
      converter: chunked ? "ts-obs" : "obs",
      inputs: inputs.map((f) => prefix(root) + f),
    });
  }
  for (const part of ["front", "back"]) {
    const inputs = files.filter((f) => f.startsWith(`${part}/`) && f.endsWith(".md")).sort(byNumber);
    if (inputs.length)
      units.push({
        id: part,
        page: `${part}.html`,
        title: part === "front" ? "Introduction" : "About",
        converter: "markdown",
        inputs: inputs.map((f) => prefix(root) + f),
      });
  }
  return {
    units,
    nav: [
      {
        title: "Stories",
        items: units.filter((u) => /^\d\d$/.test(u.id)).map((u) => ({ title: u.title, page: u.page })),
      },
    ],
  };
}

function planTw(rc: ResourceContainer, paths: string[]): Pick<BuildPlan, "units" | "nav"> {
  const root = rc.projects[0]?.path ?? "bible";
  const units: Unit[] = [];
  const sections = new Map<string, Unit[]>();
  for (const p of under(paths, root).sort(byNumber)) {
    const m = /^([^/]+)\/([^/]+)\.md$/.exec(p.slice(prefix(root).length));
    if (!m) continue;
    const [, section, article] = m as unknown as [string, string, string];
    const unit: Unit = {
      id: `${section}/${article}`,
      page: `${section}/${article}.html`,
      title: article,
      converter: "tw",
      inputs: [p],
    };
    units.push(unit);
    sections.set(section, [...(sections.get(section) ?? []), unit]);
  }
  if (!units.length) throw new Error(`translationWords: no articles under ${root}/`);
  const nav: NavSection = { title: "translationWords", items: [] };
  for (const [section, articles] of sections) {
    const lists = articles.map((u) => ({ title: u.title, page: u.page }));
    units.push({ id: section, page: `${section}/index.html`, title: section, converter: "index", inputs: [], lists });
    nav.items.push({ title: section, page: `${section}/index.html` });
  }
  return { units, nav: [nav] };
}

interface TocEntry {
  title?: unknown;
  link?: unknown;
  sections?: unknown;
}

function planTa(
  rc: ResourceContainer,
  paths: string[],
  meta: Map<string, string>,
  warnings: string[],
): Pick<BuildPlan, "units" | "nav"> {
  const units: Unit[] = [];
  const nav: NavSection[] = [];
  const set = new Set(paths);
  for (const project of rc.projects) {
    const root = project.path;
    const articles = [
      ...new Set(
        under(paths, root)
          .map((p) => /^([^/]+)\/01\.md$/.exec(p.slice(prefix(root).length))?.[1])
          .filter(Boolean),
      ),
    ] as string[];
    const tocText = meta.get(`${prefix(root)}toc.yaml`);
    let toc: TocEntry | null = null;
    if (tocText !== undefined) {
      try {
        toc = parseYaml(tocText) as TocEntry;
      } catch (err) {
        throw new Error(`${prefix(root)}toc.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}`, {
          cause: err,
        });
      }
    }
    const titles = new Map<string, string>();
    // A link whose folder is spelled with "_" for "-" (en_ta's process/toc.yaml has one) is taken with a warning.
    const article = (link: string): string | null => {
      if (articles.includes(link)) return link;
      const near = articles.find((a) => a.replace(/_/g, "-") === link.replace(/_/g, "-"));
      warnings.push(
        `${prefix(root)}toc.yaml links "${link}", which has no ${prefix(root)}${link}/01.md` +
          (near ? `; taken as "${near}"` : "; left out"),
      );
      return near ?? null;
    };
    const toItems = (entries: unknown): NavItem[] =>
      (Array.isArray(entries) ? entries : []).flatMap((e: TocEntry) => {
        const written = typeof e.link === "string" ? e.link : null;
        const link = written === null ? null : article(written);
        if (written !== null && link === null) return [];
        if (link) titles.set(link, String(e.title ?? link));
        const item: NavItem = {
          title: String(e.title ?? link ?? ""),
          page: link ? `${project.identifier}/${link}.html` : `${project.identifier}/index.html`,
        };
        const children = toItems(e.sections);
        return [children.length ? { ...item, children } : item];
      });
    const items = toc
      ? toItems(toc.sections)
      : articles.sort().map((a) => ({ title: a, page: `${project.identifier}/${a}.html` }));
    const ordered = toc ? [...titles.keys(), ...articles.filter((a) => !titles.has(a)).sort()] : articles.sort();
    for (const a of ordered) {
      const inputs = ["title.md", "sub-title.md", "01.md"]
        .map((f) => `${prefix(root)}${a}/${f}`)
        .filter((p) => set.has(p));
      units.push({
        id: `${project.identifier}/${a}`,
        page: `${project.identifier}/${a}.html`,
        title: titles.get(a) ?? a,
        converter: "ta",
        inputs,
      });
    }
    units.push({
      id: project.identifier,
      page: `${project.identifier}/index.html`,
      title: project.title || project.identifier,
      converter: "index",
      inputs: [],
      lists: items,
    });
    nav.push({
      title: project.title || project.identifier,
      items: [{ title: "Contents", page: `${project.identifier}/index.html` }],
    });
  }
  return { units, nav };
}

function planHelpBooks(rc: ResourceContainer, paths: string[]): Pick<BuildPlan, "units" | "nav"> {
  const units: Unit[] = [];
  const projects = rc.projects.length
    ? rc.projects
    : BOOKS.map((b) => ({
        identifier: b.code.toLowerCase(),
        title: b.name,
        path: b.code.toLowerCase(),
        sort: b.order,
      }));
  for (const project of projects) {
    const inputs = under(paths, project.path)
      .filter((p) => p.endsWith(".md"))
      .sort(byNumber);
    if (!inputs.length) continue;
    units.push({
      id: project.identifier,
      page: `${project.identifier}.html`,
      title: project.title || project.identifier,
      converter: "help-book",
      inputs,
    });
  }
  if (!units.length) throw new Error(`${rc.resourceType}: no Markdown files under the manifest's projects`);
  return { units, nav: [{ title: rc.title, items: units.map((u) => ({ title: u.title, page: u.page })) }] };
}

function planMarkdown(rc: ResourceContainer, paths: string[]): Pick<BuildPlan, "units" | "nav"> {
  const files = paths.filter((p) => /\.md$/i.test(p)).sort(byNumber);
  if (!files.length) throw new Error("no Markdown files to convert");
  const units = files.map((p) => ({
    id: p,
    page: p.replace(/\.md$/i, ".html").replace(/(^|\/)README\.html$/i, "$1readme.html"),
    title: p,
    converter: "markdown" as const,
    inputs: [p],
  }));
  return { units, nav: [{ title: rc.title, items: units.map((u) => ({ title: u.title, page: u.page })) }] };
}
