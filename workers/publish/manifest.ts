// Finding a repo's manifest and normalizing it to one Resource Container shape: RC 0.2 manifest.yaml, else
// translationStudio manifest.json, else an older tool's package.json/meta.json/status.json, else a guess.

import { parse as parseYaml } from "yaml";
import { bookByCode, bookOfFileName } from "./books";

/** Parsed JSON/YAML (or usfm-js output) of unknown shape, read field by field with checks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

/** What the converters understand; anything else ends the build with "No converter found". */
export type ResourceType = "bible" | "obs" | "tw" | "ta" | "tn" | "tq" | "markdown";

export interface RcProject {
  identifier: string;
  title: string;
  /** Relative to the tree's root, without a leading "./"; "" for the root itself. */
  path: string;
  sort: number;
}

export interface ResourceContainer {
  /** Where the manifest came from. */
  source: "manifest.yaml" | "manifest.json" | "package.json" | "meta.json" | "status.json" | "guess";
  identifier: string;
  title: string;
  /** The converter family, or the manifest's own word when no converter handles it. */
  resourceType: ResourceType | string;
  /** `usfm`, `markdown`, or the manifest's own word. */
  format: string;
  /** translationStudio projects keep chapters as folders of chunk files. */
  layout: "files" | "ts-chunks";
  language: { identifier: string; title: string; direction: "ltr" | "rtl" };
  projects: RcProject[];
}

export type ManifestResult = { ok: true; rc: ResourceContainer; warnings: string[] } | { ok: false; error: string };

/** The files whose text detection needs, if present: read these and pass them to `detectManifest`. */
export const MANIFEST_FILES = ["manifest.yaml", "manifest.json", "package.json", "meta.json", "status.json"];

const BIBLE_IDS = new Set([
  "ult",
  "ulb",
  "udb",
  "ust",
  "reg",
  "bible",
  "glt",
  "gst",
  "ugnt",
  "uhb",
  "t4t",
  "asv",
  "kjv",
  "web",
]);
const HELP_IDS: Record<string, ResourceType> = { obs: "obs", tw: "tw", ta: "ta", tn: "tn", tq: "tq" };

function typeOfIdentifier(id: string, format: string): ResourceType | null {
  const lower = id.toLowerCase();
  if (HELP_IDS[lower]) return HELP_IDS[lower];
  if (/[-_]obs$/.test(lower)) return "obs";
  if (BIBLE_IDS.has(lower)) return "bible";
  if (/usfm/.test(format)) return "bible";
  return null;
}

const cleanPath = (p: unknown) =>
  String(p ?? "")
    .replace(/^\.\/?/, "")
    .replace(/\/+$/, "");
const str = (v: unknown, fallback = "") => (typeof v === "string" || typeof v === "number" ? String(v) : fallback);
const direction = (v: unknown): "ltr" | "rtl" => (str(v).toLowerCase() === "rtl" ? "rtl" : "ltr");

/**
 * Normalizes the manifest found among `texts` (path → text of the files in MANIFEST_FILES that exist), checking its
 * projects against `paths` (every file of the tree). `repoName` helps the guess.
 */
export function detectManifest(texts: Map<string, string>, paths: string[], repoName: string): ManifestResult {
  const tree = new Set(paths);
  const dirs = new Set<string>([""]);
  for (const p of paths) for (let i = p.indexOf("/"); i > 0; i = p.indexOf("/", i + 1)) dirs.add(p.slice(0, i));
  const exists = (p: string) => tree.has(p) || dirs.has(p);
  let result: ManifestResult;
  if (texts.has("manifest.yaml")) result = fromRcYaml(texts.get("manifest.yaml")!);
  else if (texts.has("manifest.json")) result = fromTsManifest(texts.get("manifest.json")!, "manifest.json", paths);
  else {
    const older = ["package.json", "meta.json", "status.json"].find((f) => texts.has(f));
    result = older
      ? fromOlderTool(texts.get(older)!, older as "package.json", paths, repoName)
      : guess(paths, repoName);
  }
  if (!result.ok) return result;
  for (const project of result.rc.projects)
    if (!exists(project.path))
      return {
        ok: false,
        error: `${result.rc.source}: project "${project.identifier}" names ${project.path || "."}, which is not in the tree`,
      };
  return result;
}

function fromRcYaml(text: string): ManifestResult {
  let doc: Loose;
  try {
    doc = parseYaml(text);
  } catch (err) {
    return { ok: false, error: `manifest.yaml is not valid YAML: ${(err as Error).message.split("\n")[0]}` };
  }
  const dc = doc?.dublin_core;
  if (!dc || typeof dc !== "object") return { ok: false, error: "manifest.yaml has no dublin_core section" };
  const identifier = str(dc.identifier);
  const format = str(dc.format)
    .replace(/^text\//, "")
    .replace(/^usfm\d?$/, "usfm");
  const type =
    typeOfIdentifier(identifier, format) ??
    (format === "markdown" && str(dc.type) !== "help" ? "markdown" : identifier || str(dc.type));
  const projects: RcProject[] = (Array.isArray(doc.projects) ? doc.projects : []).map((p: Loose, i: number) => ({
    identifier: str(p?.identifier, `project-${i + 1}`),
    title: str(p?.title),
    path: cleanPath(p?.path),
    sort: Number.isFinite(Number(p?.sort)) ? Number(p.sort) : i,
  }));
  return {
    ok: true,
    warnings: [],
    rc: {
      source: "manifest.yaml",
      identifier,
      title: str(dc.title, identifier),
      resourceType: type,
      format: format === "markdown" || format === "md" ? "markdown" : format,
      layout: "files",
      language: {
        identifier: str(dc.language?.identifier, "en"),
        title: str(dc.language?.title),
        direction: direction(dc.language?.direction),
      },
      projects: projects.sort((a, b) => a.sort - b.sort),
    },
  };
}

function parseJson(text: string, file: string): { ok: true; value: Loose } | { ok: false; error: string } {
  try {
    const value = JSON.parse(text);
    if (!value || typeof value !== "object") return { ok: false, error: `${file} is not a JSON object` };
    return { ok: true, value };
  } catch (err) {
    return { ok: false, error: `${file} is not valid JSON: ${(err as Error).message}` };
  }
}

/** translationStudio's manifest.json: one project (a book, or obs) of one resource, chunked by chapter. */
function fromTsManifest(text: string, file: "manifest.json", paths: string[]): ManifestResult {
  const parsed = parseJson(text, file);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const projectId = str(m.project?.id ?? m.project);
  const resourceId = str(m.resource?.id ?? m.resource?.slug);
  const format = str(m.format, "usfm") === "md" ? "markdown" : str(m.format, "usfm");
  const book = bookByCode(projectId);
  let type: string;
  if (projectId === "obs" || resourceId === "obs") type = "obs";
  else if (HELP_IDS[resourceId]) type = HELP_IDS[resourceId]!;
  else if (book && (BIBLE_IDS.has(resourceId) || (resourceId === "" && format === "usfm"))) type = "bible";
  else type = resourceId || projectId || "unknown";
  const chunked = paths.some((p) => /^(\d+|front)\/(\d+|title|reference)\.txt$/.test(p));
  return {
    ok: true,
    warnings: [],
    rc: {
      source: file,
      identifier: resourceId || projectId,
      title: str(m.project?.name ?? m.resource?.name, projectId),
      resourceType: type,
      format,
      layout: chunked ? "ts-chunks" : "files",
      language: {
        identifier: str(m.target_language?.id, "und"),
        title: str(m.target_language?.name),
        direction: direction(m.target_language?.direction),
      },
      projects: [{ identifier: projectId || "project", title: str(m.project?.name, projectId), path: "", sort: 0 }],
    },
  };
}

/** Older tools' package.json / meta.json, and the old Door43 catalog's status.json. */
function fromOlderTool(
  text: string,
  file: "package.json" | "meta.json" | "status.json",
  paths: string[],
  repoName: string,
): ManifestResult {
  const parsed = parseJson(text, file);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  const slug = str(m.resource?.id ?? m.resource_id ?? m.slug ?? m.resource, "");
  const identifier = slug.split("-")[0] || repoName;
  const lang = m.target_language ?? m.language ?? {};
  const guessed = guess(paths, repoName);
  const type = typeOfIdentifier(identifier, "") ?? (guessed.ok ? guessed.rc.resourceType : identifier);
  const base = guessed.ok ? guessed.rc : null;
  return {
    ok: true,
    warnings: [],
    rc: {
      source: file,
      identifier,
      title: str(m.name ?? m.title ?? m.resource?.name, identifier),
      resourceType: type,
      format: base?.format ?? (type === "bible" ? "usfm" : "markdown"),
      layout: base?.layout ?? "files",
      language: {
        identifier: str(typeof lang === "string" ? lang : (lang.id ?? lang.slug ?? m.lang), "und"),
        title: str(lang.name),
        direction: direction(lang.direction ?? m.direction),
      },
      projects: base?.projects ?? [],
    },
  };
}

/** No manifest: a Bible if books are named like books, OBS by its layout or name, else generic Markdown. */
function guess(paths: string[], repoName: string): ManifestResult {
  const lang = { identifier: repoName.split(/[-_]/)[0] || "und", title: "", direction: "ltr" as const };
  const usfm = paths.filter((p) => /\.u?sfm$/i.test(p) && bookOfFileName(p));
  if (usfm.length) {
    return {
      ok: true,
      warnings: [`no manifest: guessed a Bible from ${usfm.length} USFM book file${usfm.length === 1 ? "" : "s"}`],
      rc: {
        source: "guess",
        identifier: repoName,
        title: repoName,
        resourceType: "bible",
        format: "usfm",
        layout: "files",
        language: lang,
        projects: usfm.map((p) => {
          const b = bookOfFileName(p)!;
          return { identifier: b.code.toLowerCase(), title: b.name, path: p, sort: b.order };
        }),
      },
    };
  }
  const obsLayout = paths.some((p) => /^(content\/)?\d\d\/\d\d\.(md|txt)$/.test(p) || /^content\/\d\d\.md$/.test(p));
  if (obsLayout || /[-_]obs$/i.test(repoName)) {
    const path = paths.some((p) => p.startsWith("content/")) ? "content" : "";
    return {
      ok: true,
      warnings: [`no manifest: guessed Open Bible Stories from ${obsLayout ? "the story files" : "the repo name"}`],
      rc: {
        source: "guess",
        identifier: "obs",
        title: "Open Bible Stories",
        resourceType: "obs",
        format: "markdown",
        layout: paths.some((p) => /^\d\d\/\d\d\.txt$/.test(p)) ? "ts-chunks" : "files",
        language: lang,
        projects: [{ identifier: "obs", title: "Open Bible Stories", path, sort: 0 }],
      },
    };
  }
  if (paths.some((p) => /\.md$/i.test(p))) {
    return {
      ok: true,
      warnings: ["no manifest: guessed generic Markdown"],
      rc: {
        source: "guess",
        identifier: repoName,
        title: repoName,
        resourceType: "markdown",
        format: "markdown",
        layout: "files",
        language: lang,
        projects: [{ identifier: repoName, title: repoName, path: "", sort: 0 }],
      },
    };
  }
  return {
    ok: false,
    error:
      "no manifest (manifest.yaml, manifest.json, package.json, meta.json) and nothing to guess a resource type from",
  };
}
