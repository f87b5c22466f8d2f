// The repo's append-only event log in the RepoObject's SQLite: ids in append order, pages by cursor,
// and the lines for watchers held back until the transaction that appended them commits.

import { ulidAfter } from "../workers/core/ids";
import type { Json, JobRef } from "../workers/core/job";

export type RegistryAction = "registered" | "config_changed" | "error_set" | "error_cleared";

export interface LoggedEvent {
  id: string;
  /** `forge`: a normalized webhook delivery; `registry`: a change to the repo itself. */
  type: "forge" | "registry";
  kind: string;
  at: number;
  data: Json;
  jobs: JobRef[];
}

export interface EventPage {
  events: LoggedEvent[];
  /** Cursor for the next call: the last event returned, or the cursor given when none was. */
  next: string | null;
  /** True when the caller has caught up: the next call would wait for new events. */
  willBlock: boolean;
}

export const PAGE_MAX = 500;

export const EVENTS_TABLE = `
  CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY, type TEXT NOT NULL, kind TEXT NOT NULL, delivery TEXT UNIQUE,
    at INTEGER NOT NULL, data TEXT NOT NULL, jobs TEXT NOT NULL);`;

interface EventRow {
  id: string;
  type: LoggedEvent["type"];
  kind: string;
  at: number;
  data: string;
  jobs: string;
  [key: string]: SqlStorageValue;
}

export class EventLog {
  /** Watch messages appended in the current transaction; sent once it commits. */
  private unsent: string[] = [];
  private lastId: string | null;

  /** `ready` says whether the table exists yet (the schema is created lazily, on the first write). */
  constructor(private readonly sql: SqlStorage, ready: boolean) {
    this.lastId = ready ? this.lastLoggedId() : null;
  }

  nextId(): string {
    this.lastId = ulidAfter(this.lastId);
    return this.lastId;
  }

  /** The first result of a delivery already logged, if any. */
  delivered(delivery: string): { id: string; jobs: JobRef[] } | undefined {
    const row = this.sql.exec<{ id: string; jobs: string }>(`SELECT id, jobs FROM events WHERE delivery = ?`, delivery).toArray()[0];
    return row && { id: row.id, jobs: JSON.parse(row.jobs) };
  }

  append(type: LoggedEvent["type"], kind: string, data: Json, jobs: JobRef[] = [], id = this.nextId(), delivery: string | null = null): void {
    const at = Date.now();
    this.sql.exec(
      `INSERT INTO events (id, type, kind, delivery, at, data, jobs) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      id,
      type,
      kind,
      delivery,
      at,
      JSON.stringify(data),
      JSON.stringify(jobs),
    );
    this.unsent.push(JSON.stringify({ type: "event", event: { id, type, kind, at, data, jobs } }));
  }

  page(after: string | null, limit: number): EventPage {
    const n = Math.max(1, Math.min(PAGE_MAX, limit));
    const rows = this.sql.exec<EventRow>(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?`, after ?? "", n + 1).toArray();
    const events = rows.slice(0, n).map(toLogged);
    return { events, next: events.length ? events[events.length - 1]!.id : after, willBlock: rows.length <= n };
  }

  /** The committed lines for watchers, handed over once. */
  takeUnsent(): string[] {
    const messages = this.unsent;
    this.unsent = [];
    return messages;
  }

  /** The transaction rolled back: forget what it appended. */
  rollback(): void {
    this.unsent = [];
    this.lastId = this.lastLoggedId();
  }

  private lastLoggedId(): string | null {
    return this.sql.exec<{ id: string | null }>(`SELECT MAX(id) AS id FROM events`).one().id;
  }
}

function toLogged(row: EventRow): LoggedEvent {
  return { id: row.id, type: row.type, kind: row.kind, at: row.at, data: JSON.parse(row.data), jobs: JSON.parse(row.jobs) };
}
