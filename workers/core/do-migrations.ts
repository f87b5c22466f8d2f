// Versioned SQLite schemas for Durable Objects: each module that owns tables in an object (JobObject's record
// and history, the outbox, …) declares its ordered steps, and the object's `schema_versions` table keeps one
// version row per module. Steps are applied lazily on the first write (an object that is only read, e.g. a
// webhook for a repo that is not registered, stores nothing at all), but an object that already stores
// something is brought to the newest version as soon as it loads: a step added later reaches every object
// that exists in production, not only new ones (which is what `CREATE TABLE IF NOT EXISTS` alone could not do).

export interface SchemaSpec {
  /** The module owning the tables, e.g. `job`, `outbox`: the key of its version row. */
  name: string;
  /**
   * Ordered steps; applying step i brings the module to version i + 1. A shipped step is never edited or
   * removed (objects in production have run it): a change is a new step appended at the end.
   */
  steps: readonly string[];
  /**
   * A table the first step creates. Objects made before schemas were versioned hold it with no version row:
   * they are at version 1 (the first step is their exact old DDL) and get the later steps.
   */
  legacyTable?: string;
}

const VERSIONS_DDL = `CREATE TABLE IF NOT EXISTS schema_versions (name TEXT PRIMARY KEY, version INTEGER NOT NULL)`;

export class DoSchema {
  private version: number;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly spec: SchemaSpec,
  ) {
    if (spec.steps.length === 0) throw new Error(`schema ${spec.name}: no steps`);
    const stored = storedVersion(storage.sql, spec);
    this.version = stored.version;
    // Synchronous (no await between reading the version and writing the steps), so no request can see the
    // object half-migrated: blockConcurrencyWhile is not needed. An object from before versioning gets its
    // version row even when it needs no step.
    if (this.version > 0 && (this.version < spec.steps.length || !stored.recorded)) this.migrate();
  }

  /** Whether the module's tables exist (false for an object that never stored anything). */
  get exists(): boolean {
    return this.version > 0;
  }

  /** The version the tables are at; 0 before the first write. */
  get current(): number {
    return this.version;
  }

  /** Creates (or upgrades) the tables; call before the first write. Cheap once done. */
  ensure(): void {
    if (this.version < this.spec.steps.length) this.migrate();
  }

  private migrate(): void {
    const { sql } = this.storage;
    const from = this.version;
    const to = Math.max(from, this.spec.steps.length);
    // One transaction: a step that fails leaves the object at its old version, not between two.
    this.storage.transactionSync(() => {
      sql.exec(VERSIONS_DDL);
      for (let v = from; v < to; v++) sql.exec(this.spec.steps[v]!);
      sql.exec(
        `INSERT INTO schema_versions (name, version) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET version = excluded.version`,
        this.spec.name,
        to,
      );
    });
    this.version = to;
  }
}

/**
 * The module's version as stored: its row, else 1 for an object made before versioning, else 0. A version
 * above the newest step (a rolled-back deploy) is kept as it is: steps are additive, older code still works.
 */
function storedVersion(sql: SqlStorage, spec: SchemaSpec): { version: number; recorded: boolean } {
  const tables = new Set(
    sql
      .exec<{ name: string }>(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('schema_versions', ?)`,
        spec.legacyTable ?? "",
      )
      .toArray()
      .map((r) => r.name),
  );
  if (tables.has("schema_versions")) {
    const row = sql
      .exec<{ version: number }>(`SELECT version FROM schema_versions WHERE name = ?`, spec.name)
      .toArray()[0];
    if (row) return { version: row.version, recorded: true };
  }
  return { version: spec.legacyTable && tables.has(spec.legacyTable) ? 1 : 0, recorded: false };
}
