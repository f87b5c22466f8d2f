// RepoObject: the single writer of one repository: its config, its append-only event log (readable by
// cursor and watchable over WebSocket), its current error, and its chain of jobs: per pipeline, one at a time.

import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { sql as raw } from "drizzle-orm";
import type { Env } from "../workers/env";
import type { Registry } from "../workers/kinds";
import type { PlannedJob, RepoFacts } from "../workers/core/pipeline";
import { Outbox } from "../workers/core/outbox";
import { LazySchema } from "../workers/core/lazy-schema";
import { remote } from "../workers/core/remote";
import { ulid } from "../workers/core/ids";
import { EventLog, EVENTS_TABLE, PAGE_MAX, type EventPage } from "./event-log";
import { summarize } from "../workers/core/errors";
import type { RepoAddress } from "../workers/core/repo-url";
import type { ForgeEvent } from "../workers/core/forge-event";
import type { Json, JobRef, JobSpec, SettledNotice } from "../workers/core/job";
import { repos } from "../schema";

export type { EventPage, LoggedEvent, RegistryAction } from "./event-log";
export type { JobRef } from "../workers/core/job";

export interface Repo {
  id: string;
  key: string;
  url: string;
  cloneUrl: string;
  host: string;
  pipelines: Record<string, unknown>;
  error: { message: string; at: number; jobId: string | null } | null;
  createdAt: number;
  updatedAt: number;
  lastEventAt: number | null;
  version: number;
}

export type ReceiveResult =
  | { status: "accepted" | "duplicate"; event: string; jobs: JobRef[]; skipped?: string[] }
  | { status: "ignored"; reason: string };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS repo (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  ${EVENTS_TABLE}
  CREATE TABLE IF NOT EXISTS chain (
    job_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, kind TEXT NOT NULL, coalesce_key TEXT,
    status TEXT NOT NULL, seq INTEGER NOT NULL);`;

/** The entry (workers/index.ts) subclasses it with its registry: the pipelines that plan this repo's jobs. */
export class RepoObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox<{ create: JobSpec; release: { jobId: string }; sync: Repo }>;
  private readonly schema: LazySchema;
  private repo: Repo | null;
  private readonly log: EventLog;

  constructor(ctx: DurableObjectState, env: Env, private readonly registry: Registry) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new LazySchema(this.sql, SCHEMA, "events");
    this.outbox = new Outbox(this.sql, {
      create: (spec: JobSpec) => this.jobStub(spec.id).create(spec).then(() => {}),
      release: (p: { jobId: string }) => this.jobStub(p.jobId).release().then(() => {}),
      sync: (repo: Repo) => this.syncRow(repo),
    });
    // Watchers ping to keep their socket alive without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.repo = this.storedRepo();
    this.log = new EventLog(this.sql, this.schema.exists);
  }

  // ---- registry ----

  view(): Repo | null {
    return this.repo;
  }

  /** Registers the repo; a second call returns the existing one unchanged. */
  async register(address: RepoAddress, pipelines: Record<string, unknown>, via: string): Promise<{ repo: Repo; created: boolean }> {
    if (this.repo) return { repo: this.repo, created: false };
    this.commit(() => this.registerNow(address, pipelines, via));
    await this.afterCommit();
    return { repo: this.repo!, created: true };
  }

  async configure(pipelines: Record<string, unknown>): Promise<Repo | null> {
    const repo = this.repo;
    if (!repo) return null;
    if (JSON.stringify(repo.pipelines) === JSON.stringify(pipelines)) return repo;
    this.commit(() => {
      this.log.append("registry", "config_changed", { before: repo.pipelines as Json, after: pipelines as Json });
      repo.pipelines = pipelines;
      this.save();
    });
    await this.afterCommit();
    return repo;
  }

  async clearError(): Promise<Repo | null> {
    const repo = this.repo;
    if (!repo) return null;
    if (repo.error) {
      this.commit(() => {
        this.log.append("registry", "error_cleared", { message: repo.error!.message });
        repo.error = null;
        this.save();
      });
      await this.afterCommit();
    }
    return repo;
  }

  // ---- events ----

  /**
   * Appends a forge event and starts the jobs its pipelines plan. A redelivery (same delivery id)
   * answers the first result and changes nothing.
   */
  async receive(
    delivered: Omit<ForgeEvent, "id">,
    address: RepoAddress,
    autoRegister: Record<string, unknown> | null,
  ): Promise<ReceiveResult> {
    const seen = this.schema.exists ? this.log.delivered(delivered.delivery) : undefined;
    if (seen) return { status: "duplicate", event: seen.id, jobs: seen.jobs };
    if (!this.repo && !autoRegister) return { status: "ignored", reason: "repo not registered" };

    const accepted = this.commit(() => {
      if (!this.repo) this.registerNow(address, autoRegister!, `webhook from ${delivered.forge}`);
      const event: ForgeEvent = { id: this.log.nextId(), ...delivered };
      const repo = this.repo!;
      const { planned, skipped } = this.registry.planJobs(event, repo.pipelines, this.facts());
      const jobs = this.enqueue(planned, event.id);
      this.log.append("forge", event.kind, event as unknown as Json, jobs, event.id, event.delivery);
      repo.lastEventAt = Date.now();
      // The D1 row catches up with lastEventAt at the next real change: one D1 write per delivery is too dear.
      this.save(false);
      const reasons = skipped.map((name) => `${this.registry.disabledReason(name)}: nothing planned for it`);
      return { status: "accepted" as const, event: event.id, jobs, ...(reasons.length ? { skipped: reasons } : {}) };
    });
    await this.afterCommit();
    return accepted;
  }

  /**
   * Starts jobs that no forge event asked for (an API call, the scheduler). Works for repos that are not
   * registered too: the chain still serializes work on the URL.
   */
  async submit(address: RepoAddress, planned: PlannedJob[]): Promise<JobRef[]> {
    const refs = this.commit(() => this.enqueue(planned, null, address));
    await this.afterCommit();
    return refs;
  }

  events(after: string | null, limit: number): EventPage {
    if (!this.schema.exists) return { events: [], next: after, willBlock: true };
    return this.log.page(after, limit);
  }

  /** WebSocket watch: sends every event after `?after=` and then each new one as it is appended. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket")
      return Response.json({ error: { code: "upgrade_required", message: "expected a WebSocket upgrade" } }, { status: 426 });
    const after = new URL(request.url).searchParams.get("after");
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, ["watch"]);
    let cursor = after;
    for (;;) {
      const page = this.events(cursor, PAGE_MAX);
      for (const event of page.events) server.send(JSON.stringify({ type: "event", event }));
      cursor = page.next;
      if (page.willBlock) break;
    }
    server.send(JSON.stringify({ type: "caught-up", next: cursor }));
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (typeof message === "string" && message !== "ping")
      ws.send(JSON.stringify({ type: "error", message: "watchers only listen; send nothing but ping" }));
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005, 1006 and 1015 only describe a close; they cannot be sent back.
    ws.close([1005, 1006, 1015].includes(code) ? 1000 : code, "closing");
  }

  // ---- the job chain ----

  /** A job of this repo settled: the next waiting job of its pipeline may start; a blamed failure becomes the repo's error. */
  async settled(notice: SettledNotice): Promise<void> {
    this.commit(() => {
      const row = this.sql
        .exec<{ pipeline: string }>(`SELECT pipeline FROM chain WHERE job_id = ?`, notice.jobId)
        .toArray()[0];
      if (row) {
        this.sql.exec(`DELETE FROM chain WHERE job_id = ?`, notice.jobId);
        this.pump(row.pipeline);
      }
      if (notice.error && this.repo) {
        const message = summarize(`${notice.kind}: ${notice.error}`);
        this.repo.error = { message, at: Date.now(), jobId: notice.jobId };
        this.log.append("registry", "error_set", { message, job: notice.jobId });
        this.save();
      }
    });
    await this.afterCommit();
  }

  /** A settled job was retried: it goes to the back of its pipeline's chain. */
  async requeue(jobId: string, kindName: string): Promise<void> {
    const kind = this.registry.kind(kindName);
    if (!kind) throw new Error(`unknown job kind "${kindName}"`);
    this.commit(() => {
      this.sql.exec(
        `INSERT OR IGNORE INTO chain (job_id, pipeline, kind, coalesce_key, status, seq) VALUES (?, ?, ?, NULL, 'waiting', ?)`,
        jobId,
        kind.pipeline,
        kind.kind,
        this.nextSeq(),
      );
      this.pump(kind.pipeline);
    });
    await this.afterCommit();
  }

  override async alarm(): Promise<void> {
    await this.afterCommit();
  }

  // ---- internals ----

  private jobStub(id: string) {
    return remote(this.env.JOB, id);
  }

  private facts(address?: RepoAddress): RepoFacts {
    const r = this.repo;
    if (r) return { id: r.id, url: r.url, cloneUrl: r.cloneUrl, host: r.host };
    if (!address) throw new Error("repo not registered");
    return { id: "", url: address.url, cloneUrl: address.cloneUrl, host: address.host };
  }

  private registerNow(address: RepoAddress, pipelines: Record<string, unknown>, via: string): void {
    const now = Date.now();
    this.repo = {
      id: ulid(),
      key: address.key,
      url: address.url,
      cloneUrl: address.cloneUrl,
      host: address.host,
      pipelines,
      error: null,
      createdAt: now,
      updatedAt: now,
      lastEventAt: null,
      version: 0,
    };
    this.log.append("registry", "registered", { url: address.url, pipelines: pipelines as Json, via });
    this.save();
  }

  /** Adds planned jobs to the chain (joining a waiting job with the same coalesce key) and starts what may start. */
  private enqueue(planned: PlannedJob[], eventId: string | null, address?: RepoAddress): JobRef[] {
    const facts = this.facts(address);
    const key = this.repo?.key ?? address!.key;
    const refs: JobRef[] = [];
    const touched = new Set<string>();
    for (const plan of planned) {
      const kind = this.registry.kind(plan.kind);
      if (!kind) throw new Error(`pipeline planned unknown job kind "${plan.kind}"`);
      if (!this.registry.isEnabled(kind.pipeline)) throw new Error(this.registry.disabledReason(kind.pipeline));
      if (plan.coalesce) {
        const waiting = this.sql
          .exec<{ job_id: string }>(
            `SELECT job_id FROM chain WHERE pipeline = ? AND coalesce_key = ? AND status = 'waiting' ORDER BY seq LIMIT 1`,
            kind.pipeline,
            plan.coalesce,
          )
          .toArray()[0];
        if (waiting) {
          refs.push({ id: waiting.job_id, kind: kind.kind, coalesced: true });
          continue;
        }
      }
      const spec: JobSpec = {
        id: ulid(),
        kind: kind.kind,
        repoKey: key,
        repoId: facts.id || null,
        repoUrl: facts.url,
        input: plan.input,
        eventId,
      };
      this.sql.exec(
        `INSERT INTO chain (job_id, pipeline, kind, coalesce_key, status, seq) VALUES (?, ?, ?, ?, 'waiting', ?)`,
        spec.id,
        kind.pipeline,
        kind.kind,
        plan.coalesce ?? null,
        this.nextSeq(),
      );
      this.outbox.add("create", spec);
      refs.push({ id: spec.id, kind: kind.kind });
      touched.add(kind.pipeline);
    }
    for (const pipeline of touched) this.pump(pipeline);
    return refs;
  }

  /** If nothing of `pipeline` runs, releases its oldest waiting job. */
  private pump(pipeline: string): void {
    const running = this.sql
      .exec(`SELECT 1 FROM chain WHERE pipeline = ? AND status = 'running' LIMIT 1`, pipeline)
      .toArray().length;
    if (running) return;
    const next = this.sql
      .exec<{ job_id: string }>(
        `SELECT job_id FROM chain WHERE pipeline = ? AND status = 'waiting' ORDER BY seq LIMIT 1`,
        pipeline,
      )
      .toArray()[0];
    if (!next) return;
    this.sql.exec(`UPDATE chain SET status = 'running' WHERE job_id = ?`, next.job_id);
    this.outbox.add("release", { jobId: next.job_id });
  }

  private nextSeq(): number {
    return (this.sql.exec<{ seq: number | null }>(`SELECT MAX(seq) AS seq FROM chain`).one().seq ?? 0) + 1;
  }

  /** Runs `change` in one storage transaction; events it appended reach watchers only if it commits. */
  private commit<T>(change: () => T): T {
    this.schema.ensure();
    try {
      return this.ctx.storage.transactionSync(change);
    } catch (err) {
      this.log.rollback();
      this.repo = this.storedRepo(); // the change may have touched the record before it failed
      throw err;
    }
  }

  private storedRepo(): Repo | null {
    const row = this.schema.exists ? this.sql.exec<{ doc: string }>(`SELECT doc FROM repo LIMIT 1`).toArray()[0] : undefined;
    return row ? (JSON.parse(row.doc) as Repo) : null;
  }

  private save(mirror = true): void {
    const repo = this.repo!;
    if (mirror) {
      repo.version += 1;
      repo.updatedAt = Date.now();
    }
    this.sql.exec(`INSERT OR REPLACE INTO repo (id, doc) VALUES (?, ?)`, repo.id, JSON.stringify(repo));
    if (mirror) this.outbox.add("sync", repo, "sync");
  }

  private async afterCommit(): Promise<void> {
    const messages = this.log.takeUnsent();
    for (const ws of messages.length ? this.ctx.getWebSockets("watch") : []) {
      for (const message of messages) {
        try {
          ws.send(message);
        } catch {
          // A socket closing under us is the watcher's loss; it resumes from its cursor.
        }
      }
    }
    await this.outbox.drain();
    const due = this.outbox.nextDue();
    if (due !== null) await this.ctx.storage.setAlarm(due);
  }

  private async syncRow(repo: Repo): Promise<void> {
    const row = {
      id: repo.id,
      key: repo.key,
      url: repo.url,
      cloneUrl: repo.cloneUrl,
      host: repo.host,
      pipelines: repo.pipelines,
      error: repo.error?.message ?? null,
      errorAt: repo.error?.at ?? null,
      lastEventAt: repo.lastEventAt,
      createdAt: repo.createdAt,
      updatedAt: repo.updatedAt,
      version: repo.version,
    };
    const { id, ...changes } = row;
    await drizzle(this.env.DB)
      .insert(repos)
      .values(row)
      .onConflictDoUpdate({ target: repos.id, set: changes, setWhere: raw`excluded.version > ${repos.version}` });
  }
}
