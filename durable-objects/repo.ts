// RepoObject: the single writer of one repository: its config, its append-only event log (readable by
// cursor and watchable over WebSocket), its current error, and its chain of jobs: per pipeline, one at a time.

import { DurableObject } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { sql as raw } from "drizzle-orm";
import type { Env } from "../workers/env";
import type { Registry } from "../workers/kinds";
import type { PlannedJob, RepoFacts } from "../workers/core/pipeline";
import { Outbox } from "../workers/core/outbox";
import { DoSchema, type SchemaSpec } from "../workers/core/do-migrations";
import { remote } from "../workers/core/remote";
import { ulid } from "../workers/core/ids";
import { EventLog, EVENTS_TABLE, type EventPage } from "./event-log";
import { answerWatcher, broadcast, closeWatcher, openWatch, upgradeRequired } from "./event-watch";
import { conflict, notFound, refuse, type Outcome } from "../workers/core/errors";
import { parseRepoUrl, type RepoAddress } from "../workers/core/repo-url";
import {
  storedError,
  WEAK_RETRIES,
  type RegistryEntry,
  type RegistryEventKind,
  type RepoHold,
  type WorkflowKind,
  type WorkflowSpec,
} from "../workers/core/lifecycle";
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
  /** Lifecycle (registry room); absent on records written before it. A frozen or removed repo starts no job. */
  frozen?: boolean;
  removed?: boolean;
  /** The workflow the repo is in: it holds new jobs until it ends. */
  hold?: RepoHold | null;
  /** Weak errors reported by observers since the last stored or cleared error. */
  weakErrors?: number;
  /** Init: the pipelines whose first work is still to do, and the job doing it now. */
  init?: { pending: string[]; jobs: Record<string, string> } | null;
}

export type ReceiveResult =
  | { status: "accepted" | "duplicate"; event: string; jobs: JobRef[]; skipped?: string[] }
  | { status: "ignored"; reason: string };

/** The record, the event log and the chain (see do-migrations.ts): never edit a step, append one. */
export const REPO_SCHEMA: SchemaSpec = {
  name: "repo",
  legacyTable: "events",
  steps: [
    `
  CREATE TABLE IF NOT EXISTS repo (id TEXT PRIMARY KEY, doc TEXT NOT NULL);
  ${EVENTS_TABLE}
  CREATE TABLE IF NOT EXISTS chain (
    job_id TEXT PRIMARY KEY, pipeline TEXT NOT NULL, kind TEXT NOT NULL, coalesce_key TEXT,
    status TEXT NOT NULL, seq INTEGER NOT NULL);`,
    // The URL this repo's object stands in for after a move (the registry's lifecycle workflows).
    `CREATE TABLE IF NOT EXISTS alias (target TEXT NOT NULL);`,
  ],
};

/** The entry (workers/index.ts) subclasses it with its registry: the pipelines that plan this repo's jobs. */
export class RepoObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox<{
    create: JobSpec;
    release: { jobId: string };
    sync: Repo;
    registry: { host: string; entry: RegistryEntry };
    "workflow-start": WorkflowSpec;
    "workflow-ready": { id: string };
  }>;
  private readonly schema: DoSchema;
  private repo: Repo | null;
  private readonly log: EventLog;

  constructor(
    ctx: DurableObjectState,
    env: Env,
    private readonly registry: Registry,
  ) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new DoSchema(ctx.storage, REPO_SCHEMA);
    this.outbox = new Outbox(ctx.storage, {
      create: (spec: JobSpec) =>
        this.jobStub(spec.id)
          .create(spec)
          .then(() => {}),
      release: (p: { jobId: string }) =>
        this.jobStub(p.jobId)
          .release()
          .then(() => {}),
      sync: (repo: Repo) => this.syncRow(repo),
      registry: (p: { host: string; entry: RegistryEntry }) =>
        remote(env.REGISTRY, p.host)
          .record(p.host, p.entry)
          .then(() => {}),
      "workflow-start": (spec: WorkflowSpec) => remote(env.WORKFLOW, spec.id).start(spec),
      "workflow-ready": (p: { id: string }) => remote(env.WORKFLOW, p.id).repoReady(),
    });
    // Watchers ping to keep their socket alive without waking the object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    this.repo = this.storedRepo();
    this.log = new EventLog(this.sql, this.schema.exists);
  }

  // ---- registry ----

  /** The repo, also through this object's name when it is a moved repo's new URL. */
  async view(): Promise<Repo | null> {
    const target = this.aliasOf();
    if (target) return remote(this.env.REPO, target).view();
    return this.repo;
  }

  /** Registers the repo; a second call returns the existing one unchanged. */
  async register(
    address: RepoAddress,
    pipelines: Record<string, unknown>,
    via: string,
  ): Promise<{ repo: Repo; created: boolean }> {
    const target = this.aliasOf();
    if (target) return remote(this.env.REPO, target).register(address, pipelines, via);
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
      const added = Object.keys(pipelines).filter((name) => !(name in repo.pipelines));
      repo.pipelines = pipelines;
      // A pipeline taken off the repo has no first work left to do.
      if (repo.init) repo.init.pending = repo.init.pending.filter((name) => name in pipelines);
      if (repo.init && !repo.init.pending.length) repo.init = null;
      this.startInit(added);
      this.save();
    });
    await this.afterCommit();
    return repo;
  }

  /** Clears the stored error; the init steps it left pending run again. */
  async clearError(): Promise<Repo | null> {
    const repo = this.repo;
    if (!repo) return null;
    if (repo.error) {
      this.commit(() => {
        this.log.append("registry", "error_cleared", { message: repo.error!.message });
        this.toRegistry("repo_error_cleared", { message: repo.error!.message });
        repo.error = null;
        repo.weakErrors = 0;
        this.runInit();
        this.save();
      });
      await this.afterCommit();
    }
    return repo;
  }

  /**
   * An error reported from outside (an observer): a strong one is stored at once; a weak one counts, and is
   * stored once it has been retried WEAK_RETRIES times. Answers whether it was stored.
   */
  async reportError(
    strength: "strong" | "weak",
    message: string,
    by: string,
  ): Promise<Outcome<{ stored: boolean; weakErrors: number }>> {
    const repo = this.repo;
    if (!repo) return refuse(notFound("repo is not registered"));
    const stored = this.commit(() => {
      repo.weakErrors = strength === "weak" ? (repo.weakErrors ?? 0) + 1 : 0;
      if (strength === "weak" && repo.weakErrors <= WEAK_RETRIES) {
        this.save(false);
        return false;
      }
      this.storeError(`${by}: ${message}`, null);
      return true;
    });
    await this.afterCommit();
    return { ok: true, value: { stored, weakErrors: repo.weakErrors ?? 0 } };
  }

  // ---- workflows (the registry room's WorkflowObject drives them; this object serializes them with jobs) ----

  /**
   * Starts a workflow on the repo: refused while another runs, for a freeze of a frozen repo or an unfreeze of
   * one that is not. New jobs are held from now; the workflow is told once the jobs that were there have ended.
   */
  async beginWorkflow(id: string, kind: WorkflowKind, to: RepoAddress | null, by: string): Promise<Outcome<Repo>> {
    const repo = this.repo;
    if (!repo) return refuse(notFound("repo is not registered"));
    if (repo.hold)
      return refuse(
        conflict(`repo is in workflow ${repo.hold.workflow} (${repo.hold.kind}); wait for it to end`, "repo_busy"),
      );
    if (kind === "freeze-repo" && repo.frozen) return refuse(conflict("repo is already frozen", "already_frozen"));
    if (kind === "unfreeze-repo" && !repo.frozen) return refuse(conflict("repo is not frozen", "not_frozen"));
    if (kind === "move-repo" && (!to || to.url === repo.url))
      return refuse(conflict("the repo is already at that URL", "same_url"));
    this.commit(() => {
      // Archive's last visit comes before the freeze: it is queued ahead of the hold.
      if (kind === "freeze-repo")
        for (const jobs of this.registry.planLifecycle("beforeFreeze", repo.pipelines, this.facts()).values())
          this.enqueue(jobs, null);
      repo.hold = { workflow: id, kind, seq: this.nextSeq(), ...(to ? { to: to.url } : {}) };
      const started =
        kind === "move-repo" ? "move_started" : kind === "freeze-repo" ? "freeze_started" : "unfreeze_started";
      this.log.append("registry", started, { workflow: id, from: repo.url, ...(to ? { to: to.url } : {}), by });
      if (to)
        this.toRegistry("repo_move_accepted", {
          workflow: id,
          to: to.host === repo.host ? to.fullName : to.url,
          toUrl: to.url,
        });
      const spec: WorkflowSpec = {
        id,
        kind,
        repoId: repo.id,
        repoKey: repo.key,
        from: repo.url,
        to: to?.url ?? null,
        by,
      };
      this.outbox.add("workflow-start", spec);
      this.save();
      this.checkDrained();
    });
    await this.afterCommit();
    return { ok: true, value: repo };
  }

  /**
   * Ends the repo's side of a workflow: a move takes the new URL (id, log and jobs stay), a freeze or unfreeze
   * takes effect, a failure changes nothing; then held jobs may start. Idempotent per workflow id.
   */
  async endWorkflow(id: string, outcome: "done" | "failed", reason = ""): Promise<Outcome<Repo>> {
    const repo = this.repo;
    if (!repo) return refuse(notFound("repo is not registered"));
    if (repo.hold?.workflow !== id) return { ok: true, value: repo };
    const hold = repo.hold;
    this.commit(() => {
      if (outcome === "failed")
        this.log.append("registry", `${hold.kind.replace("-repo", "")}_failed`, { workflow: id, reason });
      else if (hold.kind === "move-repo") this.moveTo(parseRepoUrl(hold.to!), id);
      else {
        repo.frozen = hold.kind === "freeze-repo";
        this.log.append("registry", repo.frozen ? "frozen" : "unfrozen", { workflow: id });
        this.toRegistry(repo.frozen ? "repo_frozen" : "repo_unfrozen", { workflow: id });
      }
      repo.hold = null;
      this.save();
      for (const pipeline of this.chainPipelines()) this.pump(pipeline);
    });
    await this.afterCommit();
    return { ok: true, value: repo };
  }

  /** The forge deleted the repo: it is kept (archives never forget) but starts no job any more. */
  async remove(by: string): Promise<Repo | null> {
    const repo = this.repo;
    if (!repo || repo.removed) return repo;
    this.commit(() => {
      repo.removed = true;
      this.log.append("registry", "removed", { by });
      this.toRegistry("repo_removed", { by });
      this.save();
    });
    await this.afterCommit();
    return repo;
  }

  /** Reserves this object's name (a move's destination) for the repo whose object is `target`. */
  /** Answers whether this call made the claim (false: it was already this repo's). */
  claimAlias(target: string): Outcome<boolean> {
    const current = this.aliasOf();
    if (current === target) return { ok: true, value: false };
    if (this.repo || current)
      return refuse(conflict(`${this.repo?.url ?? "that URL"} is already registered as another repo`, "url_taken"));
    this.schema.ensure();
    this.sql.exec(`CREATE TABLE IF NOT EXISTS alias (target TEXT NOT NULL)`);
    this.sql.exec(`INSERT INTO alias (target) VALUES (?)`, target);
    return { ok: true, value: true };
  }

  dropAlias(target: string): void {
    if (this.aliasOf() === target) this.sql.exec(`DELETE FROM alias`);
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
    const target = this.aliasOf();
    if (target) return remote(this.env.REPO, target).receive(delivered, address, autoRegister);
    const seen = this.schema.exists ? this.log.delivered(delivered.delivery) : undefined;
    if (seen) return { status: "duplicate", event: seen.id, jobs: seen.jobs };
    if (!this.repo && !autoRegister) return { status: "ignored", reason: "repo not registered" };

    const accepted = this.commit(() => {
      if (!this.repo) this.registerNow(address, autoRegister!, `webhook from ${delivered.forge}`);
      const event: ForgeEvent = { id: this.log.nextId(), ...delivered };
      const repo = this.repo!;
      const plan = this.registry.planJobs(event, repo.pipelines, this.facts());
      // A frozen or removed repo records its forge events and starts nothing.
      const { planned, skipped } = repo.frozen || repo.removed ? { planned: [], skipped: [] } : plan;
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
    const target = this.aliasOf();
    if (target) return remote(this.env.REPO, target).submit(address, planned);
    if (this.repo?.frozen || this.repo?.removed) return [];
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
    const refused = upgradeRequired(request);
    if (refused) return refused;
    return openWatch(this.ctx, new URL(request.url).searchParams.get("after"), (cursor, limit) =>
      this.events(cursor, limit),
    );
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    answerWatcher(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    closeWatcher(ws, code);
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
      const repo = this.repo;
      if (repo?.init) this.settleInit(notice);
      if (notice.error && repo) this.storeError(`${notice.kind}: ${notice.error}`, notice.jobId);
      this.checkDrained();
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
    this.toRegistry("repo_added", { url: address.url, via });
    this.startInit(Object.keys(pipelines));
    this.save();
  }

  // ---- lifecycle internals ----

  /** Hands an entry to the registry of the repo's host (or of `host`), after the transaction commits. */
  private toRegistry(kind: RegistryEventKind, data: { [key: string]: Json }, at?: RepoAddress): void {
    const repo = this.repo!;
    const address = at ?? parseRepoUrl(repo.url);
    const entry: RegistryEntry = {
      source: `${repo.id}:${this.log.nextId()}`,
      kind,
      repo: repo.id,
      path: address.fullName,
      data,
    };
    this.outbox.add("registry", { host: address.host, entry });
  }

  private storeError(message: string, jobId: string | null): void {
    const repo = this.repo!;
    const at = Date.now();
    const stored = storedError(message, at);
    repo.error = { message: stored, at, jobId };
    repo.weakErrors = 0;
    this.log.append("registry", "error_set", { message: stored, job: jobId });
    this.toRegistry("repo_error_set", { message: stored });
    this.save();
  }

  /** Marks the given pipelines' first work as pending (those that have any) and runs it unless an error is stored. */
  private startInit(names: string[]): void {
    const repo = this.repo!;
    const plans = this.registry.planLifecycle(
      "init",
      Object.fromEntries(names.map((n) => [n, repo.pipelines[n]])),
      this.facts(),
    );
    if (!plans.size) return;
    const init = (repo.init ??= { pending: [], jobs: {} });
    init.pending = [...new Set([...init.pending, ...plans.keys()])];
    this.log.append("registry", "init_started", { pipelines: [...plans.keys()] });
    this.runInit();
  }

  /** Starts each pending init step that has no job yet; never while an error is stored. */
  private runInit(): void {
    const repo = this.repo!;
    const init = repo.init;
    if (!init || repo.error || repo.frozen || repo.removed) return;
    const plans = this.registry.planLifecycle("init", repo.pipelines, this.facts());
    for (const name of init.pending) {
      if (init.jobs[name]) continue;
      const refs = this.enqueue(plans.get(name) ?? [], null);
      if (refs[0]) init.jobs[name] = refs[0].id;
    }
  }

  private settleInit(notice: SettledNotice): void {
    const init = this.repo!.init!;
    const name = Object.keys(init.jobs).find((n) => init.jobs[n] === notice.jobId);
    if (!name) return;
    delete init.jobs[name];
    if (!notice.error) init.pending = init.pending.filter((n) => n !== name);
    if (!init.pending.length) {
      this.repo!.init = null;
      this.log.append("registry", "init_completed", {});
    }
    this.save(false);
  }

  /** A workflow waiting for the jobs that were there before it is told once none is left. */
  private checkDrained(): void {
    const hold = this.repo?.hold;
    if (!hold || hold.ready) return;
    if (this.sql.exec(`SELECT 1 FROM chain WHERE seq < ? LIMIT 1`, hold.seq).toArray().length) return;
    hold.ready = true;
    this.outbox.add("workflow-ready", { id: hold.workflow });
    this.save(false);
  }

  private moveTo(to: RepoAddress, workflow: string): void {
    const repo = this.repo!;
    const from = parseRepoUrl(repo.url);
    const before = this.facts();
    repo.url = to.url;
    repo.cloneUrl = to.cloneUrl;
    repo.host = to.host;
    this.log.append("registry", "moved", { workflow, from: from.url, to: to.url });
    const paths = {
      workflow,
      from: from.host === to.host ? from.fullName : from.url,
      to: to.fullName,
      fromUrl: from.url,
      toUrl: to.url,
    };
    this.toRegistry("repo_moved", paths, to);
    if (from.host !== to.host) this.toRegistry("repo_moved", { ...paths, from: from.fullName, to: to.url }, from);
    if (!repo.frozen && !repo.removed)
      for (const jobs of this.registry.planLifecycle("moved", repo.pipelines, this.facts(), before).values())
        this.enqueue(jobs, null);
  }

  private chainPipelines(): string[] {
    return this.sql
      .exec<{ pipeline: string }>(`SELECT DISTINCT pipeline FROM chain`)
      .toArray()
      .map((r) => r.pipeline);
  }

  /** The object this one forwards to, when its name is a moved repo's new URL. */
  private aliasOf(): string | null {
    if (!this.schema.exists) return null;
    const table = this.sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alias'`).toArray().length;
    return table
      ? (this.sql.exec<{ target: string }>(`SELECT target FROM alias LIMIT 1`).toArray()[0]?.target ?? null)
      : null;
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
    // A workflow holds the jobs queued after it began.
    const held = this.repo?.hold?.seq ?? Number.MAX_SAFE_INTEGER;
    const next = this.sql
      .exec<{ job_id: string }>(
        `SELECT job_id FROM chain WHERE pipeline = ? AND status = 'waiting' AND seq < ? ORDER BY seq LIMIT 1`,
        pipeline,
        held,
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
    const row = this.schema.exists
      ? this.sql.exec<{ doc: string }>(`SELECT doc FROM repo LIMIT 1`).toArray()[0]
      : undefined;
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
    broadcast(this.ctx, this.log.takeUnsent());
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
