// The convert step over R2: each unit's output is cached in ARTIFACTS under a key of its input blob ids and the
// converter version, so a push that changes one book converts one book; the others' pages are rebuilt from the
// cache (the template is cheap; the conversion is not). Units are converted as their blobs stream by, one at a
// time, so the whole en_ult Bible never sits in memory at once; a crash mid-way resumes from the cache.

import { sha256Hex } from "../core/digest";
import { unitPage } from "./build";
import { buildContext, convertUnit, CONVERTER_VERSION, type ConvertedUnit, type SearchEntry } from "./convert";
import type { ResourceContainer } from "./manifest";
import type { BuildPlan, Unit } from "./plan";
import { putFile } from "./site";
import { decodeSource } from "./source";
import { readBlobs, type TreeFile } from "./tree";

/** ARTIFACTS key of a unit's cached conversion. */
export const cacheKey = (key: string) => `publish/cache/v${CONVERTER_VERSION}/${key}.json`;

export interface ConvertSummary {
  converted: number;
  reused: number;
  log: string[];
  warnings: string[];
  errors: string[];
}

export interface ConvertRun {
  artifacts: R2Bucket;
  sites: R2Bucket;
  packKey: string;
  /** Where the pages go: `u/<owner>/<repo>/<commit10>/`. */
  prefix: string;
  maxObjectBytes: number;
  heartbeat: (note: string) => Promise<void>;
}

async function unitKey(unit: Unit, oidOf: Map<string, string>, linkScope: string): Promise<string> {
  return sha256Hex(
    JSON.stringify([
      CONVERTER_VERSION,
      unit.converter,
      unit.page,
      unit.book ?? "",
      unit.inputs.map((p) => [p, oidOf.get(p)]),
      unit.lists ?? null,
      linkScope,
    ]),
  );
}

/** Runs `work` over `items` at most `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

export async function convertSite(
  run: ConvertRun,
  rc: ResourceContainer,
  plan: BuildPlan,
  files: TreeFile[],
): Promise<ConvertSummary> {
  const oidOf = new Map(files.map((f) => [f.path, f.oid]));
  const ctx = buildContext(rc, plan);
  // Links between Markdown pages depend on which pages exist; a Bible book links nowhere.
  const linkScope = rc.resourceType === "bible" ? "" : await sha256Hex(plan.units.map((u) => u.page).join("\n"));
  const units = plan.units;
  const keys = await Promise.all(units.map((u) => unitKey(u, oidOf, linkScope)));
  const summary: ConvertSummary = { converted: 0, reused: 0, log: [], warnings: [], errors: [] };
  const search: SearchEntry[][] = units.map(() => []);

  const cached: boolean[] = new Array(units.length).fill(false);
  await inBatches([...units.keys()], 50, async (i) => {
    if (units[i]!.inputs.length) cached[i] = (await run.artifacts.head(cacheKey(keys[i]!))) !== null;
  });

  const publish = async (i: number, out: ConvertedUnit) => {
    const unit = units[i]!;
    for (const f of out.findings) (f.level === "error" ? summary.errors : summary.warnings).push(f.message);
    search[i] = out.search;
    await putFile(run.sites, run.prefix + unit.page, unitPage(rc, plan, unit, out));
  };

  // Units to convert, and which of their inputs each blob fills.
  const pending = new Map<number, Map<string, string>>();
  const need = new Map<string, { unit: number; path: string }[]>();
  for (const [i, unit] of units.entries()) {
    if (cached[i]) continue;
    pending.set(i, new Map());
    for (const path of unit.inputs) {
      const oid = oidOf.get(path);
      if (!oid) {
        summary.errors.push(`${path}: named by the plan but not in the tree`);
        continue;
      }
      need.set(oid, [...(need.get(oid) ?? []), { unit: i, path }]);
    }
  }
  const failedUnits = new Set<number>();
  const finish = async (i: number) => {
    const texts = pending.get(i)!;
    pending.delete(i);
    const out = convertUnit(ctx, units[i]!, texts);
    if (units[i]!.inputs.length && !out.findings.some((f) => f.level === "error"))
      await run.artifacts.put(cacheKey(keys[i]!), JSON.stringify(out));
    await publish(i, out);
    if (units[i]!.inputs.length) summary.converted++;
    summary.log.push(
      `converted ${units[i]!.inputs[0] ?? units[i]!.id}${units[i]!.inputs.length > 1 ? ` (+${units[i]!.inputs.length - 1})` : ""} → ${units[i]!.page}`,
    );
    if (summary.converted % 20 === 0) await run.heartbeat(`converted ${summary.converted} pages`);
  };
  for (const [i, unit] of units.entries()) if (!cached[i] && !unit.inputs.length) await finish(i);
  await readBlobs(run.artifacts, run.packKey, new Set(need.keys()), run.maxObjectBytes, async (oid, data) => {
    const uses = need.get(oid)!;
    const decoded = decodeSource(uses[0]!.path, data);
    for (const use of uses) {
      if (!pending.has(use.unit)) continue;
      if (!decoded.ok) {
        summary.errors.push(decoded.error.replace(uses[0]!.path, use.path));
        failedUnits.add(use.unit);
        pending.delete(use.unit);
        continue;
      }
      const texts = pending.get(use.unit)!;
      texts.set(use.path, decoded.text);
      if (units[use.unit]!.inputs.every((p) => texts.has(p))) await finish(use.unit);
    }
  });
  for (const i of pending.keys())
    summary.errors.push(`${units[i]!.page}: its sources never arrived in the fetched pack`);

  // Reused units: their cached output through today's template (the navigation may have changed).
  await inBatches(
    [...units.keys()].filter((i) => cached[i]),
    20,
    async (i) => {
      const o = await run.artifacts.get(cacheKey(keys[i]!));
      if (!o) {
        summary.errors.push(`${units[i]!.page}: cached output vanished; rebuild`);
        return;
      }
      await publish(i, (await o.json()) as ConvertedUnit);
      summary.reused++;
    },
  );
  summary.log.push(`${summary.converted} pages converted, ${summary.reused} reused from earlier builds`);
  await putFile(run.sites, `${run.prefix}search.json`, JSON.stringify(search.flat()));
  return summary;
}
