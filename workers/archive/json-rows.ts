// Bulk D1 writes and lookups through one bound parameter: rows (or ids) travel as one JSON text that SQLite
// unpacks with json_each, so a statement carries hundreds of rows while binding 1 of D1's 100 parameters. A
// visit of 30,000 objects then takes tens of D1 statements instead of thousands (D1 also caps an invocation at
// 1,000 queries). Blob columns travel as hex and are stored as bytes again with unhex().

import { getTableColumns, getTableName, type Column } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/** JSON text bound per statement: well under D1's 2 MB per string and its 100 KB of SQL (the SQL stays short). */
const MAX_STATEMENT_JSON = 900 * 1024;
/** Rows per statement at most (SQLite's work per statement stays small). */
const MAX_STATEMENT_ROWS = 2000;
/** Statements per db.batch, and JSON bytes per batch. */
const STATEMENTS_PER_BATCH = 20;
/** Ids looked up per statement (~220 KB of JSON). */
const IDS_PER_STATEMENT = 5000;
const MAX_BATCH_JSON = 4 * 1024 * 1024;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

function hexOf(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/** Sends statements in batches bounded in count and bytes; answers each statement's result rows. */
export async function sendBatched(
  db: D1Database,
  statements: { statement: D1PreparedStatement; bytes: number }[],
): Promise<unknown[][]> {
  const results: unknown[][] = [];
  let group: D1PreparedStatement[] = [];
  let bytes = 0;
  const flush = async () => {
    if (!group.length) return;
    for (const r of await db.batch(group)) results.push(r.results ?? []);
    group = [];
    bytes = 0;
  };
  for (const s of statements) {
    if (group.length >= STATEMENTS_PER_BATCH || (group.length && bytes + s.bytes > MAX_BATCH_JSON)) await flush();
    group.push(s.statement);
    bytes += s.bytes;
  }
  await flush();
  return results;
}

/** Rows as JSON arrays in runs that each fit one statement. */
function jsonRuns(rows: unknown[][]): string[] {
  const runs: string[] = [];
  let run: string[] = [];
  let size = 2;
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (run.length && (run.length >= MAX_STATEMENT_ROWS || size + text.length + 1 > MAX_STATEMENT_JSON)) {
      runs.push(`[${run.join(",")}]`);
      run = [];
      size = 2;
    }
    run.push(text);
    size += text.length + 1;
  }
  if (run.length) runs.push(`[${run.join(",")}]`);
  return runs;
}

/**
 * Inserts rows of a drizzle table, ignoring those whose key is already there. Values are mapped as drizzle maps
 * them (booleans, JSON columns, custom byte columns); a missing value takes the column's default.
 */
export async function insertJsonRows<T extends SQLiteTable>(
  db: D1Database,
  table: T,
  rows: T["$inferInsert"][],
): Promise<void> {
  if (!rows.length) return;
  const columns = Object.entries(getTableColumns(table)) as [string, Column][];
  const blob = columns.map(([, c]) => c.getSQLType() === "blob");
  const values = rows.map((row) =>
    columns.map(([key, column], i) => {
      let v = (row as Record<string, unknown>)[key];
      if (v === undefined) v = column.hasDefault && !(column.default instanceof Object) ? column.default : null;
      if (v === null || v === undefined) return null;
      const driver = column.mapToDriverValue(v);
      if (blob[i]) return hexOf(driver instanceof ArrayBuffer ? new Uint8Array(driver) : (driver as Uint8Array));
      return typeof driver === "boolean" ? Number(driver) : driver;
    }),
  );
  const names = columns.map(([, c]) => `"${c.name}"`).join(", ");
  const picks = columns.map((_, i) => (blob[i] ? `unhex(value->>${i})` : `value->>${i}`)).join(", ");
  const sql = `INSERT INTO "${getTableName(table)}" (${names}) SELECT ${picks} FROM json_each(?1) WHERE true ON CONFLICT DO NOTHING`;
  const prepared = db.prepare(sql);
  await sendBatched(
    db,
    jsonRuns(values).map((json) => ({ statement: prepared.bind(json), bytes: json.length })),
  );
}

/** Which of `ids` are in `column` of `table`: one statement per few thousand ids. */
export async function presentIds(db: D1Database, table: string, column: string, ids: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (!ids.length) return found;
  const prepared = db.prepare(
    `SELECT "${column}" AS id FROM "${table}" WHERE "${column}" IN (SELECT value FROM json_each(?1))`,
  );
  const runs: { statement: D1PreparedStatement; bytes: number }[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_STATEMENT) {
    const json = JSON.stringify(ids.slice(i, i + IDS_PER_STATEMENT));
    runs.push({ statement: prepared.bind(json), bytes: json.length });
  }
  for (const rows of await sendBatched(db, runs)) for (const r of rows as { id: string }[]) found.add(r.id);
  return found;
}
