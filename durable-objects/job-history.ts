// A job's history in its JobObject's SQLite: every state transition, and a bounded log of what happened.

import type { LogLine, Transition } from "../workers/core/job";

const LOG_KEEP = 500;
const NOTABLE_KEEP = 100;
const LINE_MAX = 2_000;

export const HISTORY_TABLES = `
  CREATE TABLE IF NOT EXISTS transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,
    from_state TEXT, to_state TEXT NOT NULL, reason TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, level TEXT NOT NULL, line TEXT NOT NULL);`;

export class JobHistory {
  constructor(private readonly sql: SqlStorage) {}

  transition(from: string | null, to: string, reason: string): void {
    this.sql.exec(
      `INSERT INTO transitions (at, from_state, to_state, reason) VALUES (?, ?, ?, ?)`,
      Date.now(),
      from,
      to,
      reason.slice(0, LINE_MAX),
    );
  }

  log(level: LogLine["level"], line: string): void {
    this.sql.exec(`INSERT INTO log (at, level, line) VALUES (?, ?, ?)`, Date.now(), level, line.slice(0, LINE_MAX));
    // Bounded: the newest info lines, and the newest warnings and errors kept apart so noise cannot push them out.
    const keep = level === "info" ? LOG_KEEP : NOTABLE_KEEP;
    this.sql.exec(
      `DELETE FROM log WHERE level = ? AND seq <= (SELECT seq FROM log WHERE level = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
      level,
      level,
      keep,
    );
  }

  transitions(): Transition[] {
    return this.sql
      .exec<{ at: number; from_state: string | null; to_state: string; reason: string }>(
        `SELECT at, from_state, to_state, reason FROM transitions ORDER BY seq`,
      )
      .toArray()
      .map((t) => ({ at: t.at, from: t.from_state, to: t.to_state, reason: t.reason }));
  }

  lines(): LogLine[] {
    return this.sql
      .exec<LogLine & Record<string, SqlStorageValue>>(`SELECT at, level, line FROM log ORDER BY seq`)
      .toArray()
      .map((l) => ({ at: l.at, level: l.level, line: l.line }));
  }
}
