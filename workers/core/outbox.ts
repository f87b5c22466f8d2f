// A Durable Object's outbox: effects (RPC, queue sends, D1 writes) decided inside a storage transaction
// and carried out after it, in order, retried from the alarm until they succeed. Nothing decided is lost.

import { messageOf } from "./errors";
import { DoSchema, type SchemaSpec } from "./do-migrations";

/**
 * The effect of each topic, by its payload's type (`{ sync: JobRecord, … }`). Payloads are stored as JSON, so
 * they must survive `JSON.stringify`: plain data only.
 */
export type EffectHandlers<Topics> = { [T in keyof Topics]: (payload: Topics[T]) => Promise<void> };

/** The outbox table's steps (see do-migrations.ts): never edit one, append. */
export const OUTBOX_SCHEMA: SchemaSpec = {
  name: "outbox",
  legacyTable: "outbox",
  steps: [
    `CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        topic TEXT NOT NULL,
        dedup TEXT UNIQUE,
        payload TEXT NOT NULL,
        due INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT)`,
    // When the effect was decided: `due` moves with every backoff, so without it a stuck effect's age is lost.
    `ALTER TABLE outbox ADD COLUMN added_at INTEGER`,
  ],
};

const RETRY_BASE_MS = 2_000;
const RETRY_MAX_MS = 5 * 60_000;

export class Outbox<Topics extends object> {
  private running = false;
  private readonly schema: DoSchema;
  private readonly sql: SqlStorage;

  constructor(
    storage: DurableObjectStorage,
    private readonly handlers: EffectHandlers<Topics>,
    private readonly onError: (topic: string, message: string, pendingMs: number) => void = warn,
  ) {
    this.sql = storage.sql;
    this.schema = new DoSchema(storage, OUTBOX_SCHEMA);
  }

  /**
   * Adds an effect. With `dedup`, a pending effect of the same key is replaced by this one
   * (e.g. one pending D1 sync of a job, carrying its newest summary).
   */
  add<T extends keyof Topics & string>(topic: T, payload: Topics[T], dedup?: string): void {
    if (!(topic in this.handlers)) throw new Error(`outbox: no handler for topic ${topic}`);
    this.schema.ensure();
    const body = JSON.stringify(payload);
    if (dedup) {
      this.sql.exec(
        `INSERT INTO outbox (topic, dedup, payload, due, added_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(dedup) DO UPDATE SET payload = excluded.payload`,
        topic,
        dedup,
        body,
        Date.now(),
        Date.now(),
      );
    } else {
      this.sql.exec(
        `INSERT INTO outbox (topic, payload, due, added_at) VALUES (?, ?, ?, ?)`,
        topic,
        body,
        Date.now(),
        Date.now(),
      );
    }
  }

  /**
   * When the drain can next make progress, or null when there is nothing to wait for. Effects run in order, so
   * that is when the oldest one is due (a newer one due earlier still waits behind it). While a drain runs, null:
   * its caller asks again once it ends (an alarm set now would fire while it runs, drain nothing, and re-arm).
   */
  nextDue(): number | null {
    if (this.running || !this.schema.exists) return null;
    const row = this.sql.exec<{ due: number }>(`SELECT due FROM outbox ORDER BY seq LIMIT 1`).toArray()[0];
    return row?.due ?? null;
  }

  pending(): number {
    if (!this.schema.exists) return 0;
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox`).one().n;
  }

  /**
   * Runs due effects in order; stops at the first failure so that order holds, and backs it off.
   * While a drain runs, another call returns at once: the running loop takes the new entries too.
   * (Waiting for it instead would deadlock when an effect calls an object that calls back here.)
   */
  async drain(): Promise<void> {
    if (this.running || !this.schema.exists) return;
    this.running = true;
    try {
      for (;;) {
        const now = Date.now();
        const row = this.sql
          .exec<{
            seq: number;
            topic: string;
            payload: string;
            attempts: number;
            due: number;
            added_at: number | null;
          }>(`SELECT seq, topic, payload, attempts, due, added_at FROM outbox ORDER BY seq LIMIT 1`)
          .toArray()[0];
        if (!row || row.due > now) return;
        try {
          const handle = this.handlers[row.topic as keyof Topics] as ((payload: unknown) => Promise<void>) | undefined;
          if (!handle) throw new Error(`outbox: no handler for topic ${row.topic}`);
          await handle(JSON.parse(row.payload));
          // A replacement payload written while the effect ran stays pending and runs next.
          this.sql.exec(`DELETE FROM outbox WHERE seq = ? AND payload = ?`, row.seq, row.payload);
        } catch (err) {
          const attempts = row.attempts + 1;
          const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 10));
          const message = messageOf(err);
          this.sql.exec(
            `UPDATE outbox SET attempts = ?, due = ?, last_error = ? WHERE seq = ?`,
            attempts,
            now + delay,
            message.slice(0, 500),
            row.seq,
          );
          this.onError(row.topic, message, row.added_at === null ? 0 : now - row.added_at);
          return;
        }
      }
    } finally {
      this.running = false;
    }
  }
}

function warn(topic: string, message: string, pendingMs: number): void {
  console.warn(`outbox: ${topic} failed (pending ${Math.round(pendingMs / 1000)} s, retried later): ${message}`);
}
