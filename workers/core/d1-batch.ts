// D1 statements in batches that keep within D1's limits: at most 100 bound parameters per statement, and a
// bounded number of statements (and bytes) per db.batch. The one batching helper of every room.

import { drizzle } from "drizzle-orm/d1";
import type { BatchItem } from "drizzle-orm/batch";

/** D1 binds at most 100 parameters per statement. */
export const MAX_BOUND_PARAMETERS = 100;
/** Statements sent in one db.batch (each batch is one round trip and one transaction). */
export const STATEMENTS_PER_BATCH = 50;
/** Bytes bound in one statement (D1 rows and strings stop at 2 MB; a quarter leaves room for the rest). */
export const MAX_STATEMENT_BYTES = 512 * 1024;
/** Bytes bound in one db.batch. */
export const MAX_BATCH_BYTES = 2 * 1024 * 1024;

export type BatchStatement = BatchItem<"sqlite">;

/** Splits `items` into runs of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  if (!(size >= 1)) throw new Error(`chunks: size must be at least 1, not ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Rows in runs that each fit one statement: `paramsPerRow` parameters a row, at most MAX_BOUND_PARAMETERS a
 * statement, and at most MAX_STATEMENT_BYTES of what `bytesOf` counts (large strings and blobs) a statement.
 */
export function statementRuns<T>(
  rows: readonly T[],
  paramsPerRow: number,
  bytesOf: (row: T) => number = () => 0,
): { rows: T[]; bytes: number }[] {
  if (paramsPerRow > MAX_BOUND_PARAMETERS)
    throw new Error(`a row of ${paramsPerRow} parameters cannot fit one D1 statement`);
  const perStatement = Math.max(1, Math.floor(MAX_BOUND_PARAMETERS / paramsPerRow));
  const runs: { rows: T[]; bytes: number }[] = [];
  let run: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = bytesOf(row);
    if (run.length && (run.length >= perStatement || bytes + size > MAX_STATEMENT_BYTES)) {
      runs.push({ rows: run, bytes });
      run = [];
      bytes = 0;
    }
    run.push(row);
    bytes += size;
  }
  if (run.length) runs.push({ rows: run, bytes });
  return runs;
}

/** Sends statements through db.batch, at most STATEMENTS_PER_BATCH (and MAX_BATCH_BYTES of `bytes[i]`) at a time. */
export async function runBatches(
  db: D1Database,
  statements: readonly BatchStatement[],
  bytes: readonly number[] = [],
): Promise<unknown[]> {
  const d = drizzle(db);
  const results: unknown[] = [];
  let group: BatchStatement[] = [];
  let groupBytes = 0;
  const flush = async () => {
    if (group.length) results.push(...(await d.batch(group as [BatchStatement, ...BatchStatement[]])));
    group = [];
    groupBytes = 0;
  };
  for (let i = 0; i < statements.length; i++) {
    const size = bytes[i] ?? 0;
    if (group.length >= STATEMENTS_PER_BATCH || (group.length && groupBytes + size > MAX_BATCH_BYTES)) await flush();
    group.push(statements[i]!);
    groupBytes += size;
  }
  await flush();
  return results;
}

/** Writes rows in as few statements and batches as the limits allow; `build` makes the statement of one run. */
export async function writeRows<T>(
  db: D1Database,
  rows: readonly T[],
  paramsPerRow: number,
  build: (run: T[]) => BatchStatement,
  bytesOf?: (row: T) => number,
): Promise<void> {
  const runs = statementRuns(rows, paramsPerRow, bytesOf);
  await runBatches(
    db,
    runs.map((r) => build(r.rows)),
    runs.map((r) => r.bytes),
  );
}

/**
 * The rows of an `IN (…)` query over many keys: the keys (deduplicated) in runs that fit one statement beside
 * the `otherParams` the query binds itself, the statements sent in batches; never one query per key.
 */
export async function selectIn<K, R>(
  db: D1Database,
  keys: Iterable<K>,
  build: (run: K[]) => BatchStatement,
  otherParams = 0,
): Promise<R[]> {
  const runs = chunks([...new Set(keys)], MAX_BOUND_PARAMETERS - otherParams);
  const results = (await runBatches(db, runs.map(build))) as R[][];
  return results.flat();
}
