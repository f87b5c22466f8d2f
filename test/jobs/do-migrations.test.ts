// Versioned Durable Object schemas: objects made before versioning (their tables created by hand here with the
// exact old DDL) are upgraded when they load, keeping their rows, and a column added by a later step reaches
// them; an object that is only read stores nothing; a failing step leaves the object at its old version.

import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import "../support/probe";
import { unique } from "../support/http";
import { remote } from "../../workers/core/remote";
import { DoSchema } from "../../workers/core/do-migrations";
import type { JobObject } from "../../durable-objects/job";
import type { RepoObject } from "../../durable-objects/repo";

// The DDL as the objects ran it before versioning (LazySchema), copied verbatim.
const OLD_JOB_DDL = `
  CREATE TABLE IF NOT EXISTS job (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,
    from_state TEXT, to_state TEXT NOT NULL, reason TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, level TEXT NOT NULL, line TEXT NOT NULL);`;
const OLD_OUTBOX_DDL = `CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        dedup TEXT UNIQUE,
        payload TEXT NOT NULL,
        due INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT)`;
const OLD_REPO_DDL = `
  CREATE TABLE IF NOT EXISTS repo (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, kind TEXT NOT NULL, delivery TEXT UNIQUE,
    at INTEGER NOT NULL, data TEXT NOT NULL, jobs TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS chain (
    job_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, kind TEXT NOT NULL, coalesce_key TEXT,
    status TEXT NOT NULL, seq INTEGER NOT NULL);`;

function userTables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>(
      `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name != 'sqlite_sequence' ORDER BY name`,
    )
    .toArray()
    .map((r) => r.name);
}

function versions(sql: SqlStorage): Record<string, number> {
  return Object.fromEntries(
    sql
      .exec<{ name: string; version: number }>(`SELECT name, version FROM schema_versions`)
      .toArray()
      .map((r) => [r.name, r.version]),
  );
}

function columns(sql: SqlStorage, table: string): string[] {
  return sql
    .exec<{ name: string }>(`SELECT name FROM pragma_table_info(?)`, table)
    .toArray()
    .map((r) => r.name);
}

describe("Durable Object schemas", () => {
  it("upgrades a JobObject made with the old schema: rows kept, the outbox's later column added, pending effects still run", async () => {
    const id = unique("job");
    const stub = env.JOB.get(env.JOB.idFromName(id));
    const now = Date.now();
    const record = {
      id,
      kind: "probe",
      repoKey: "old.forge.test/acme/old",
      repoId: null,
      repoUrl: "https://old.forge.test/acme/old",
      input: { script: ["ok"] },
      eventId: null,
      pipeline: "probe",
      state: "done",
      phase: "settled",
      result: { attempts: 1 },
      steps: {},
      attempts: 1,
      retries: 0,
      lease: 3,
      dispatch: 1,
      error: null,
      createdAt: now - 60_000,
      updatedAt: now - 30_000,
      startedAt: now - 50_000,
      finishedAt: now - 30_000,
      nextAttemptAt: null,
      watchdogAt: null,
      version: 4,
    };
    await runInDurableObject(stub, async (_i, state) => {
      const sql = state.storage.sql;
      expect(userTables(sql)).toEqual([]);
      sql.exec(OLD_JOB_DDL);
      sql.exec(OLD_OUTBOX_DDL);
      sql.exec(`INSERT INTO job (id, doc) VALUES (?, ?)`, id, JSON.stringify(record));
      sql.exec(
        `INSERT INTO transitions (at, from_state, to_state, reason) VALUES (?, NULL, 'created', 'created'), (?, 'created', 'done', 'old run')`,
        now - 60_000,
        now - 30_000,
      );
      sql.exec(`INSERT INTO log (at, level, line) VALUES (?, 'info', 'a line from before')`, now - 40_000);
      // A D1 summary sync decided before the upgrade and not yet carried out.
      sql.exec(
        `INSERT INTO outbox (topic, dedup, payload, due) VALUES ('sync', 'sync', ?, ?)`,
        JSON.stringify(record),
        now - 1,
      );
      await state.storage.setAlarm(now + 60_000); // armed for its retry (run early below)
    });
    await evictDurableObject(stub);

    // Loading upgrades it.
    const view = await remote<JobObject>(env.JOB, id).view();
    expect(view).toMatchObject({ id, state: "done", phase: "settled", version: 4 });
    expect(view!.transitions.map((t) => t.to)).toEqual(["created", "done"]);
    expect(view!.log.map((l) => l.line)).toEqual(["a line from before"]);
    await runInDurableObject(stub, async (_i, state) => {
      const sql = state.storage.sql;
      expect(versions(sql)).toEqual({ job: 1, outbox: 2 });
      expect(columns(sql, "outbox")).toContain("added_at");
      expect(sql.exec(`SELECT topic, added_at FROM outbox`).toArray()).toEqual([{ topic: "sync", added_at: null }]);
    });

    // The effect from before the upgrade runs from the upgraded table; the summary reaches D1.
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const row = await env.DB.prepare(`SELECT status, version FROM jobs WHERE id = ?`).bind(id).first();
    expect(row).toEqual({ status: "done", version: 4 });
    await runInDurableObject(stub, async (_i, state) => {
      expect(state.storage.sql.exec(`SELECT COUNT(*) AS n FROM outbox`).one().n).toBe(0);
      expect(await state.storage.getAlarm()).toBeNull();
    });
  });

  it("upgrades a RepoObject made with the old schema, keeping its record and log", async () => {
    const key = `old.forge.test/acme/${unique("repo")}`;
    const stub = env.REPO.get(env.REPO.idFromName(key));
    const now = Date.now();
    const repo = {
      id: "01K0000000000000000000OLD1",
      key,
      url: `https://${key}`,
      cloneUrl: `https://${key}.git`,
      host: "old.forge.test",
      pipelines: {},
      error: null,
      createdAt: now,
      updatedAt: now,
      lastEventAt: null,
      version: 1,
    };
    await runInDurableObject(stub, async (_i, state) => {
      state.storage.sql.exec(OLD_REPO_DDL);
      state.storage.sql.exec(`INSERT INTO repo (id, doc) VALUES (?, ?)`, repo.id, JSON.stringify(repo));
      state.storage.sql.exec(
        `INSERT INTO events (id, type, kind, delivery, at, data, jobs) VALUES ('01K0000000000000000000EVT1', 'registry', 'registered', NULL, ?, '{}', '[]')`,
        now,
      );
    });
    await evictDurableObject(stub);
    const r = remote<RepoObject>(env.REPO, key);
    expect(await r.view()).toEqual(repo);
    expect((await r.events(null, 10)).events.map((e) => e.kind)).toEqual(["registered"]);
    // It takes writes on the upgraded tables (an outbox created now has the newest shape).
    expect((await r.configure({ probe: { script: ["ok"] } }))?.pipelines).toEqual({ probe: { script: ["ok"] } });
    await runInDurableObject(stub, async (_i, state) => {
      // The repo's second step (the registry's alias table) reached it too.
      expect(versions(state.storage.sql)).toEqual({ repo: 2, outbox: 2 });
      expect(columns(state.storage.sql, "alias")).toContain("target");
      expect(columns(state.storage.sql, "outbox")).toContain("added_at");
    });
  });

  it("stores nothing for an object that is only read", async () => {
    const id = unique("never");
    expect(await remote<JobObject>(env.JOB, id).view()).toBeNull();
    await runInDurableObject(env.JOB.get(env.JOB.idFromName(id)), async (_i, state) => {
      expect(userTables(state.storage.sql)).toEqual([]);
    });
  });

  it("applies later steps to existing objects in order, and a failing step leaves the old version whole", async () => {
    const stub = env.JOB.get(env.JOB.idFromName(unique("scratch")));
    await runInDurableObject(stub, async (_i, state) => {
      const first = ["CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)"];
      const v1 = new DoSchema(state.storage, { name: "notes", steps: first });
      expect(v1.exists).toBe(false);
      v1.ensure();
      state.storage.sql.exec(`INSERT INTO notes (text) VALUES ('kept')`);
      // The next deploy adds a column; the object, loaded again, gets it at once (no write needed).
      const second = [...first, "ALTER TABLE notes ADD COLUMN at INTEGER", "CREATE INDEX notes_at ON notes (at)"];
      expect(new DoSchema(state.storage, { name: "notes", steps: second }).current).toBe(3);
      expect(columns(state.storage.sql, "notes")).toEqual(["id", "text", "at"]);
      // A broken step: nothing of the batch it belongs to stays, and the version does not move.
      expect(
        () =>
          new DoSchema(state.storage, {
            name: "notes",
            steps: [...second, "ALTER TABLE notes ADD COLUMN by TEXT", "NOT SQL"],
          }),
      ).toThrow();
      expect(columns(state.storage.sql, "notes")).toEqual(["id", "text", "at"]);
      expect(versions(state.storage.sql).notes).toBe(3);
      expect(state.storage.sql.exec(`SELECT text FROM notes`).toArray()).toEqual([{ text: "kept" }]);
    });
  });
});
