// A whole build over files held in memory: detection, planning, conversion, pages. The pipeline runs the same
// steps streamed unit by unit (workers/publish/job.ts); this form serves the tests and small trees.

import { buildStatus, type BuildStatus } from "./build-log";
import { buildContext, convertUnit, type ConvertedUnit, type SearchEntry } from "./convert";
import { detectManifest, MANIFEST_FILES, type ResourceContainer } from "./manifest";
import { renderIndex, renderPage, renderSearchPage, SEARCH_JS, SITE_CSS } from "./page";
import { planBuild, planMetaPaths, type BuildPlan, type Unit } from "./plan";
import { decodeSource } from "./source";
import { bookByCode } from "./books";

export interface BuildOutcome {
  status: BuildStatus;
  message: string;
  rc: ResourceContainer | null;
  plan: BuildPlan | null;
  log: string[];
  warnings: string[];
  errors: string[];
  /** Site path → content, when the build did not fail. */
  pages: Map<string, string>;
}

/** The page of one converted unit, through the template. */
export function unitPage(rc: ResourceContainer, plan: BuildPlan, unit: Unit, converted: ConvertedUnit): string {
  const book = unit.book ? bookByCode(unit.book) : undefined;
  const chapters =
    book && converted.chapters
      ? converted.chapters.map((n) => ({ number: n, id: `${book.number}-ch-${String(n).padStart(3, "0")}` }))
      : undefined;
  return renderPage({
    rc,
    plan,
    page: unit.page,
    title: converted.title,
    body: converted.body,
    ...(chapters ? { chapters } : {}),
  });
}

/** The files every site has besides its pages. */
export function siteFiles(rc: ResourceContainer, plan: BuildPlan, search: SearchEntry[]): Map<string, string> {
  return new Map([
    ["index.html", renderIndex(rc, plan)],
    ["search.html", renderSearchPage(rc, plan)],
    ["search.json", JSON.stringify(search)],
    ["site.css", SITE_CSS],
    ["search.js", SEARCH_JS],
    ["manifest.json", JSON.stringify(rc, null, 2)],
  ]);
}

/** Detects and plans from a tree of paths and a way to read a file's text; the first step of every build. */
export function prepare(
  paths: string[],
  read: (path: string) => string | undefined,
  repoName: string,
):
  | { ok: true; rc: ResourceContainer; plan: BuildPlan; warnings: string[] }
  | { ok: false; message: string; error: string } {
  const texts = new Map<string, string>();
  for (const f of MANIFEST_FILES) {
    const t = read(f);
    if (t !== undefined) texts.set(f, t);
  }
  const detected = detectManifest(texts, paths, repoName);
  if (!detected.ok) return { ok: false, message: "Bad manifest", error: detected.error };
  const meta = new Map<string, string>();
  for (const p of planMetaPaths(detected.rc, paths)) {
    const t = read(p);
    if (t !== undefined) meta.set(p, t);
  }
  const planned = planBuild(detected.rc, paths, meta);
  if (!planned.ok) return planned;
  return { ok: true, rc: detected.rc, plan: planned.plan, warnings: [...detected.warnings, ...planned.plan.warnings] };
}

export function buildInMemory(files: Map<string, Uint8Array>, repoName: string): BuildOutcome {
  const log: string[] = [];
  const warnings: string[] = [];
  const errors: string[] = [];
  const texts = new Map<string, string>();
  const read = (path: string): string | undefined => {
    if (texts.has(path)) return texts.get(path);
    const bytes = files.get(path);
    if (!bytes) return undefined;
    const decoded = decodeSource(path, bytes);
    if (!decoded.ok) {
      errors.push(decoded.error);
      return undefined;
    }
    texts.set(path, decoded.text);
    return decoded.text;
  };
  const failed = (message: string): BuildOutcome => ({
    status: "failed",
    message,
    rc: null,
    plan: null,
    log,
    warnings,
    errors,
    pages: new Map(),
  });
  const prepared = prepare([...files.keys()], read, repoName);
  if (!prepared.ok) {
    errors.push(prepared.error);
    return failed(prepared.message);
  }
  const { rc, plan } = prepared;
  warnings.push(...prepared.warnings);
  log.push(`${rc.source}: ${rc.resourceType} (${rc.format}) "${rc.title}", ${plan.units.length} pages`);
  const ctx = buildContext(rc, plan);
  const pages = new Map<string, string>();
  const search: SearchEntry[] = [];
  for (const unit of plan.units) {
    // A source that could not be read is already an error; its unit is not converted from a hole.
    if (unit.inputs.map(read).some((t) => t === undefined)) continue;
    const converted = convertUnit(ctx, unit, texts);
    for (const f of converted.findings) (f.level === "error" ? errors : warnings).push(f.message);
    search.push(...converted.search);
    pages.set(unit.page, unitPage(rc, plan, unit, converted));
    log.push(`converted ${unit.inputs.join(", ") || unit.id} → ${unit.page}`);
  }
  const status = buildStatus(errors, warnings);
  if (status === "failed") return { ...failed("Conversion failed"), rc, plan };
  for (const [path, content] of siteFiles(rc, plan, search)) pages.set(path, content);
  return {
    status,
    message: status === "success" ? "Conversion successful" : "Conversion successful with warnings",
    rc,
    plan,
    log,
    warnings,
    errors,
    pages,
  };
}
