// An append-only event log in a Durable Object's SQLite (a repo's, a registry's, a workflow's): ids in append
// order, pages by cursor (optionally filtered), and the events for watchers held back until their transaction commits.

import { ulidAfter } from "../workers/core/ids";
import type { Json, JobRef } from "../workers/core/job";

export type RegistryAction = "registered" | "config_changed" | "error_set" | "error_cleared";

export interface LoggedEvent {
  id: string;
  /** `forge`: a normalized webhook delivery; `registry`: a change to the repo itself; `workflow`: a workflow's step. */
  type: "forge" | "registry" | "workflow";
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

/** A subset of a log: `where` over the events table's columns (with `params`), and the same test in code for watchers. */
export interface EventFilter {
  where: string;
  params: SqlStorageValue[];
  test(event: LoggedEvent): boolean;
}

/** Rows a filtered page looks at per call at most, so a sparse filter cannot make one read scan the whole log. */
const SCAN_MAX = 5_000;

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
  /** Events appended in the current transaction; sent to watchers once it commits. */
  private unsent: LoggedEvent[] = [];
  private lastId: string | null;

  /** `ready` says whether the table exists yet (the schema is created lazily, on the first write). */
  constructor(
    private readonly sql: SqlStorage,
    ready: boolean,
  ) {
    this.lastId = ready ? this.lastLoggedId() : null;
  }

  nextId(): string {
    this.lastId = ulidAfter(this.lastId);
    return this.lastId;
  }

  /** The first result of a delivery already logged, if any. */
  delivered(delivery: string): { id: string; jobs: JobRef[] } | undefined {
    const row = this.sql
      .exec<{ id: string; jobs: string }>(`SELECT id, jobs FROM events WHERE delivery = ?`, delivery)
      .toArray()[0];
    return row && { id: row.id, jobs: JSON.parse(row.jobs) };
  }

  append(
    type: LoggedEvent["type"],
    kind: string,
    data: Json,
    jobs: JobRef[] = [],
    id = this.nextId(),
    delivery: string | null = null,
  ): void {
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
    this.unsent.push({ id, type, kind, at, data, jobs });
  }

  page(after: string | null, limit: number, filter?: EventFilter): EventPage {
    const n = Math.max(1, Math.min(PAGE_MAX, limit));
    if (!filter) {
      const rows = this.sql
        .exec<EventRow>(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?`, after ?? "", n + 1)
        .toArray();
      const events = rows.slice(0, n).map(toLogged);
      return { events, next: events.length ? events[events.length - 1]!.id : after, willBlock: rows.length <= n };
    }
    // Filtered: look at a bounded window of ids after the cursor; the cursor moves past what was looked at,
    // matching or not, so a reader never rescans rows it was shown to skip.
    const window = this.sql
      .exec<{ id: string }>(
        `SELECT id FROM events WHERE id > ? ORDER BY id LIMIT 1 OFFSET ?`,
        after ?? "",
        SCAN_MAX - 1,
      )
      .toArray()[0]?.id;
    const bound = window ?? "\uffff";
    const rows = this.sql
      .exec<EventRow>(
        `SELECT * FROM events WHERE id > ? AND id <= ? AND (${filter.where}) ORDER BY id LIMIT ?`,
        after ?? "",
        bound,
        ...filter.params,
        n + 1,
      )
      .toArray();
    const events = rows.slice(0, n).map(toLogged);
    if (rows.length > n) return { events, next: events[events.length - 1]!.id, willBlock: false };
    if (window) return { events, next: window, willBlock: false };
    const last = this.lastLoggedId();
    const next = last && last > (after ?? "") ? last : after;
    return { events, next, willBlock: true };
  }

  /** The committed events for watchers, handed over once. */
  takeUnsent(): LoggedEvent[] {
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
  return {
    id: row.id,
    type: row.type,
    kind: row.kind,
    at: row.at,
    data: JSON.parse(row.data),
    jobs: JSON.parse(row.jobs),
  };
}
