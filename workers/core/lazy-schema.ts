// A Durable Object's tables, created on its first write: an object that is only read (a webhook for a repo
// that is not registered, a status call) stores nothing at all.

export class LazySchema {
  private ready: boolean;

  constructor(
    private readonly sql: SqlStorage,
    private readonly ddl: string,
    /** A table the DDL creates, to tell whether the schema exists already. */
    probeTable: string,
  ) {
    this.ready =
      sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`, probeTable).toArray().length > 0;
  }

  get exists(): boolean {
    return this.ready;
  }

  ensure(): void {
    if (this.ready) return;
    this.sql.exec(this.ddl);
    this.ready = true;
  }
}
