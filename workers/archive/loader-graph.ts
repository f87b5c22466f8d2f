// Stores the staged trees, commits and tags in the archive's order (directories, revisions, releases), in
// batches, from a position where one step stopped and the next continues; each batch only once everything it
// points to is in the pack or already archived. Storing a batch again (a step redone) adds nothing.

import { knownObjects, storeDirectories, storeReleases, storeRevisions, type ArchiveEnv } from "./store";
import { directoryFromTree, releaseFromTag, revisionFromCommit } from "./convert";
import { parseDirectory } from "./manifest";
import type { PackIds } from "./loader-ids";
import {
  BadObjectError,
  IncompletePackError,
  STAGED_ORDER,
  decodeRecords,
  type LoadCounts,
  type Staged,
  type StagedKeys,
  type StagedRecord,
} from "./loader-objects";
import { StagedPackError } from "./loader-pack";
import type { Directory, Release, Revision } from "./model";

/** Directories, revisions or releases per store call at most. */
export const GRAPH_BATCH = 500;

/** The next staged record to store: type (index in STAGED_ORDER), staged key, record within it. */
export interface GraphPosition {
  [key: string]: number;
  type: number;
  key: number;
  record: number;
}

export const GRAPH_START: GraphPosition = { type: 0, key: 0, record: 0 };

export interface GraphRun {
  env: ArchiveEnv;
  staged: StagedKeys;
  /** Every id in the pack: what a stored object may point to without asking the archive. */
  ids: PackIds;
  counts: LoadCounts;
  batch: number;
  /** Called after each batch with the records it stored; true stops the run there. */
  after: (stored: number) => Promise<boolean>;
}

/** Stores from `from` on; answers where it stopped, or null once everything staged is stored. */
export async function storeStaged(run: GraphRun, from: GraphPosition): Promise<GraphPosition | null> {
  for (let t = from.type; t < STAGED_ORDER.length; t++) {
    const type = STAGED_ORDER[t]!;
    const keys = run.staged[type];
    for (let k = t === from.type ? from.key : 0; k < keys.length; k++) {
      const records = await stagedRecords(run.env, keys[k]!);
      let r = t === from.type && k === from.key ? from.record : 0;
      while (r < records.length) {
        const batch = records.slice(r, r + run.batch);
        await storeGraph(run, type, batch);
        r += batch.length;
        if (await run.after(batch.length))
          return r < records.length ? { type: t, key: k, record: r } : { type: t, key: k + 1, record: 0 };
      }
    }
  }
  return null;
}

async function stagedRecords(env: ArchiveEnv, key: string): Promise<StagedRecord[]> {
  const obj = await env.ARCHIVE.get(key);
  if (!obj) throw new StagedPackError(`staged objects ${key} are missing from R2`);
  return [...decodeRecords(new Uint8Array(await obj.arrayBuffer()))];
}

async function storeGraph(run: GraphRun, type: Staged, records: StagedRecord[]): Promise<void> {
  const convert = <T>(f: (oid: string, data: Uint8Array) => T) =>
    records.map((r) => {
      try {
        return f(r.oid, r.data);
      } catch (err) {
        throw new BadObjectError(type, r.oid, err);
      }
    });
  const { env, counts } = run;
  if (type === "tree") {
    const dirs: Directory[] = convert(directoryFromTree);
    // Gitlinks (submodules) point into another repository: not ours to hold.
    await checkReferences(
      run,
      dirs.flatMap((d) =>
        parseDirectory(d.raw).flatMap((e) => (e.type === "rev" ? [] : [{ from: d.id, to: e.target }])),
      ),
    );
    counts.directories += (await storeDirectories(env, dirs)).added;
  } else if (type === "commit") {
    const revs: Revision[] = convert(revisionFromCommit);
    await checkReferences(
      run,
      revs.flatMap((r) => [r.directory, ...r.parents].map((to) => ({ from: r.id, to }))),
    );
    counts.revisions += (await storeRevisions(env, revs)).added;
  } else {
    const rels: Release[] = convert(releaseFromTag);
    await checkReferences(
      run,
      rels.map((r) => ({ from: r.id, to: r.target })),
    );
    counts.releases += (await storeReleases(env, rels)).added;
  }
}

/**
 * Every object a batch points to must be in the pack or already archived, before the batch is stored: a
 * corrupt object served under another id, or a server's broken repo, fails here rather than leaving a
 * directory or revision that points nowhere.
 */
async function checkReferences(run: GraphRun, refs: { from: string; to: string }[]): Promise<void> {
  const outside = refs.filter((r) => !run.ids.has(r.to));
  if (!outside.length) return;
  const known = await knownObjects(
    run.env,
    outside.map((r) => r.to),
  );
  const missing = outside.filter((r) => !known.has(r.to));
  if (missing.length) throw new IncompletePackError(missing);
}
