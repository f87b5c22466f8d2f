// The D1 batching helper against the real local D1: runs that fit the 100-parameter limit, batches, IN queries;
// and the mirror's forgetObjects, which deletes many (key, etag) pairs through it.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { inArray, sql } from "drizzle-orm";
import { sqliteTable, text, integer } from "drizzle-orm/sqlite-core";
import {
  chunks,
  MAX_BOUND_PARAMETERS,
  MAX_STATEMENT_BYTES,
  selectIn,
  statementRuns,
  writeRows,
} from "../../workers/core/d1-batch";
import { forgetObjects, objectsDone, recordObject } from "../../workers/mirror/store";

const probe = sqliteTable("batch_probe", {
  id: text("id").primaryKey(),
  n: integer("n").notNull(),
  note: text("note"),
});

async function probeTable() {
  await env.DB.exec("CREATE TABLE IF NOT EXISTS batch_probe (id TEXT PRIMARY KEY, n INTEGER NOT NULL, note TEXT)");
}

describe("statementRuns and chunks", () => {
  it("keeps every run within the parameter limit and the statement byte budget", () => {
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const runs = statementRuns(rows, 3);
    expect(runs.every((r) => r.rows.length * 3 <= MAX_BOUND_PARAMETERS)).toBe(true);
    expect(runs[0]!.rows).toHaveLength(33);
    expect(runs.flatMap((r) => r.rows)).toEqual(rows);
    const big = statementRuns([1, 2, 3, 4], 1, () => MAX_STATEMENT_BYTES / 2 + 1);
    expect(big.map((r) => r.rows)).toEqual([[1], [2], [3], [4]]);
  });

  it("refuses a row wider than one statement and a run size below one", () => {
    expect(() => statementRuns([1], MAX_BOUND_PARAMETERS + 1)).toThrow(/cannot fit/);
    expect(() => chunks([1, 2], 0)).toThrow(/at least 1/);
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe("writeRows and selectIn on D1", () => {
  it("writes thousands of rows and reads them back by IN queries, beside other bound parameters", async () => {
    await probeTable();
    const d = drizzle(env.DB);
    const rows = Array.from({ length: 2500 }, (_, i) => ({ id: `w-${i}`, n: i, note: i % 7 ? null : "x".repeat(100) }));
    await writeRows(
      env.DB,
      rows,
      3,
      (run) => d.insert(probe).values(run).onConflictDoNothing(),
      (r) => r.note?.length ?? 0,
    );
    const [{ count }] = (await d
      .select({ count: sql<number>`count(*)` })
      .from(probe)
      .where(sql`${probe.id} LIKE 'w-%'`)) as [{ count: number }];
    expect(count).toBe(2500);

    const asked = [...rows.map((r) => r.id), "w-missing", "w-0", "w-1"];
    const found = await selectIn<string, { id: string }>(env.DB, asked, (run) =>
      d.select({ id: probe.id }).from(probe).where(inArray(probe.id, run)),
    );
    expect(found.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());

    // One parameter of the query's own: each run keeps room for it.
    const odd = await selectIn<string, { id: string }>(
      env.DB,
      asked,
      (run) =>
        d
          .select({ id: probe.id })
          .from(probe)
          .where(sql`${inArray(probe.id, run)} AND ${probe.n} % 2 = ${1}`),
      1,
    );
    expect(odd).toHaveLength(1250);
    expect(await selectIn(env.DB, [], () => d.select().from(probe))).toEqual([]);
  });
});

describe("mirror forgetObjects", () => {
  it("forgets every object gone from the bucket and keeps the others, over many rows", async () => {
    const objects = Array.from({ length: 130 }, (_, i) => ({ key: `batch/forget-${i}.tar.gz.age`, etag: `e${i}` }));
    for (const o of objects)
      await recordObject(env.DB, { ...o, status: "applied", commit: null, mirrorId: null, error: null });
    const keep = new Set(objects.filter((_, i) => i % 3 === 0).map((o) => o.key));
    await forgetObjects(env.DB, keep);
    const left = [...(await objectsDone(env.DB))].filter((k) => k.startsWith("batch/forget-"));
    expect(left.sort()).toEqual(
      objects
        .filter((o) => keep.has(o.key))
        .map((o) => `${o.key}\n${o.etag}`)
        .sort(),
    );
  });
});
