// WorkflowObject: one run of a repo workflow (move-repo, freeze-repo, unfreeze-repo), named by its ULID. The single
// writer of the run's state and its event stream; the repo's RepoObject holds the repo's jobs until the run ends.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/env";
import { DoSchema } from "../workers/core/do-migrations";
import { remote } from "../workers/core/remote";
import { conflict, messageOf, notFound, refuse, type Outcome } from "../workers/core/errors";
import { parseRepoUrl } from "../workers/core/repo-url";
import { WORKFLOW_STATES, type WorkflowSpec } from "../workers/core/lifecycle";
import type { Json } from "../workers/core/job";
import { EventLog, EVENTS_TABLE, type EventPage } from "./event-log";
import { answerWatcher, broadcast, closeWatcher, openWatch, upgradeRequired } from "./event-watch";

export type { WorkflowSpec } from "../workers/core/lifecycle";

export interface Workflow extends WorkflowSpec {
  state: string;
  /** The repo's jobs from before the run have ended. */
  ready: boolean;
  /** Who released and acquired a move (an observer's name, or `forgeline` when no observer is configured). */
  released: string | null;
  acquired: string | null;
  /** When a move stops waiting for an observer's half. */
  deadline: number | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
}

const RETRY_MS = 5_000;

export class WorkflowObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly schema: DoSchema;
  private readonly log: EventLog;
  private run: Workflow | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new DoSchema(ctx.storage, {
      name: "workflow",
      steps: [`CREATE TABLE IF NOT EXISTS workflow (id TEXT PRIMARY KEY, doc TEXT NOT NULL); ${EVENTS_TABLE}`],
    });
    this.log = new EventLog(this.sql, this.schema.exists);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
    if (this.schema.exists) {
      const row = this.sql.exec<{ doc: string }>(`SELECT doc FROM workflow LIMIT 1`).toArray()[0];
      this.run = row ? (JSON.parse(row.doc) as Workflow) : null;
    }
  }

  view(): Workflow | null {
    return this.run;
  }

  /** Creates the run (once: the repo's outbox may deliver this again). */
  async start(spec: WorkflowSpec): Promise<void> {
    if (this.run) return;
    this.schema.ensure();
    const now = Date.now();
    const observed = spec.kind === "move-repo" && observerCount(this.env) > 0;
    const run: Workflow = {
      ...spec,
      state: "started",
      ready: false,
      released: null,
      acquired: null,
      deadline: observed ? now + observerSeconds(this.env) * 1000 : null,
      reason: null,
      createdAt: now,
      updatedAt: now,
    };
    this.change(() => {
      this.run = run;
      const data: { [key: string]: Json } =
        spec.kind === "move-repo" ? { from: spec.from, to: spec.to } : { repo: spec.repoId, url: spec.from };
      this.log.append("workflow", spec.kind === "move-repo" ? "move_started" : "started", { ...data, by: spec.by });
    });
    if (run.deadline) await this.ctx.storage.setAlarm(run.deadline);
  }

  /** The repo's earlier jobs have ended. */
  async repoReady(): Promise<void> {
    if (!this.run || this.run.ready) return;
    this.change(() => void (this.run!.ready = true));
    await this.advance();
  }

  /** An observer's half of a move: `released` (the old place let go), then `acquired` (the new place took it). */
  async observe(step: "released" | "acquired", by: string): Promise<Outcome<Workflow>> {
    const run = this.run;
    if (!run) return refuse(notFound("no such workflow"));
    if (run.kind !== "move-repo") return refuse(conflict(`a ${run.kind} workflow has no ${step} step`, "wrong_step"));
    if (run[step]) return { ok: true, value: run }; // said again (an observer retrying): already recorded
    const expected = step === "released" ? "started" : "released";
    if (run.state !== expected)
      return refuse(
        conflict(`${step} is out of order: the workflow is ${run.state}, ${step} follows ${expected}`, "out_of_order"),
      );
    this.step(step, by, null);
    await this.advance();
    return { ok: true, value: this.run! };
  }

  events(after: string | null, limit: number): EventPage {
    if (!this.schema.exists) return { events: [], next: after, willBlock: true };
    return this.log.page(after, limit);
  }

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

  /** Deadlines (an observer that never answers) and retries of a step that could not reach the repo. */
  override async alarm(): Promise<void> {
    const run = this.run;
    if (!run || this.final()) return;
    if (run.deadline && Date.now() >= run.deadline) {
      const reason = `no observer answered within ${observerSeconds(this.env)} s`;
      if (run.state === "started") this.step("released", null, reason);
      if (this.run!.state === "released") this.step("acquired", null, reason);
    }
    await this.advance();
  }

  // ---- internals ----

  /** Takes every step that may be taken now; a failed call to the repo is retried from the alarm. */
  private async advance(): Promise<void> {
    const run = this.run!;
    if (this.final()) return;
    if (run.kind === "move-repo" && run.state === "started" && !run.deadline) {
      // No observer is configured: nothing holds the repo's files but Forgeline, which needs no hand-over.
      this.step("released", "forgeline", null);
      this.step("acquired", "forgeline", null);
    }
    const mayEnd = run.ready && (run.kind !== "move-repo" || run.state === "acquired");
    if (!mayEnd) return;
    let outcome: Outcome<unknown>;
    try {
      outcome = await remote(this.env.REPO, run.repoKey).endWorkflow(run.id, "done");
    } catch (err) {
      console.error(`workflow ${run.id}: ending it on the repo failed, retrying: ${messageOf(err)}`);
      await this.ctx.storage.setAlarm(Date.now() + RETRY_MS);
      return;
    }
    if (!outcome.ok) return this.fail(outcome.message);
    if (run.kind === "move-repo") {
      this.step("moved", null, null);
      this.step("committed", null, null);
    } else this.step("completed", null, null);
    await this.ctx.storage.deleteAlarm();
  }

  private async fail(reason: string): Promise<void> {
    const run = this.run!;
    this.change(() => {
      run.state = "failed";
      run.reason = reason;
      this.log.append("workflow", "failed", { reason });
    });
    await this.ctx.storage.deleteAlarm();
    await remote(this.env.REPO, run.repoKey).endWorkflow(run.id, "failed", reason);
    if (run.to) await remote(this.env.REPO, parseRepoUrl(run.to).key).dropAlias(run.repoKey);
  }

  private step(state: string, by: string | null, reason: string | null): void {
    const run = this.run!;
    this.change(() => {
      run.state = state;
      if (state === "released") run.released = by ?? "timeout";
      if (state === "acquired") run.acquired = by ?? "timeout";
      const data: { [key: string]: Json } = {};
      if (by) data.by = by;
      if (reason) data.reason = reason;
      if (state === "moved") Object.assign(data, { from: run.from, to: run.to });
      this.log.append("workflow", state, data);
    });
  }

  private final(): boolean {
    const run = this.run!;
    return WORKFLOW_STATES[run.kind].final.includes(run.state);
  }

  private change(edit: () => void): void {
    this.ctx.storage.transactionSync(() => {
      edit();
      const run = this.run!;
      run.updatedAt = Date.now();
      this.sql.exec(`INSERT OR REPLACE INTO workflow (id, doc) VALUES (?, ?)`, run.id, JSON.stringify(run));
    });
    broadcast(this.ctx, this.log.takeUnsent());
  }
}

export function observerTokens(env: Pick<Env, "OBSERVER_TOKENS">): string[] {
  return (env.OBSERVER_TOKENS ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

function observerCount(env: Env): number {
  return observerTokens(env).length;
}

function observerSeconds(env: Env): number {
  const n = Number(env.WORKFLOW_OBSERVER_SECONDS ?? "600");
  return Number.isFinite(n) && n > 0 ? n : 600;
}
