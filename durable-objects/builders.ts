// BuildersObject: the one hub that holds every builder's WebSocket (hibernation API), the queue of tag
// builds waiting for a builder, and who builds what. Builders are barely trusted: any line out of place
// ends their connection, and a job they held ends irrecoverable. Outcomes reach the job by waking it.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/env";
import { Outbox } from "../workers/core/outbox";
import { remote } from "../workers/core/remote";
import { summarize } from "../workers/core/errors";
import type { JobObject } from "./job";
import { PROTOCOL_VERSION, jobLines, parseBuilderLine, type BuilderMode } from "../workers/core/builder-protocol";
import { DoSchema } from "../workers/core/do-migrations";
import {
  BUILDERS_SCHEMA,
  MAX_MESSAGES,
  seconds,
  type BuildState,
  type BuildStatus,
  type BuildSubmission,
  type BuilderView,
  type Conn,
} from "./builder-records";

export type { BuildState, BuildStatus, BuildSubmission, BuilderView } from "./builder-records";

export class BuildersObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox<{ wake: { jobId: string; why: string } }>;
  private readonly pollMs: number;
  private readonly ackMs: number;
  private readonly buildMs: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    // Created at once, not lazily: there is one hub, and every read of it needs its tables.
    new DoSchema(ctx.storage, BUILDERS_SCHEMA).ensure();
    this.pollMs = seconds(env.BUILDER_AYT_SECONDS, 30);
    this.ackMs = seconds(env.BUILDER_ACK_SECONDS, 10);
    this.buildMs = seconds(env.BUILD_TIMEOUT_SECONDS, 6 * 3600);
    this.outbox = new Outbox(ctx.storage, {
      // Once: a job whose attempt still runs keeps the wake pending and acts on it as it defers (JobObject.wake).
      wake: async (p: { jobId: string; why: string }) => void (await remote<JobObject>(env.JOB, p.jobId).wake(p.why)),
    });
  }

  // ---- the pipeline's calls ----

  /** Queues a build (idempotent per job) and hands it to a free builder if there is one. */
  async submit(build: BuildSubmission): Promise<BuildStatus> {
    const now = Date.now();
    this.ctx.storage.transactionSync(() => {
      const seq = this.sql.exec<{ n: number | null }>(`SELECT MAX(seq) AS n FROM builds`).one().n ?? 0;
      this.sql.exec(
        `INSERT OR IGNORE INTO builds (job_id, seq, source, repo_url, tag, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
        build.jobId,
        seq + 1,
        build.source,
        build.repoUrl,
        build.tag,
        now,
        now,
      );
    });
    this.assign();
    await this.afterCommit();
    return this.status(build.jobId)!;
  }

  status(jobId: string): BuildStatus | null {
    const row = this.sql
      .exec<{
        job_id: string;
        state: BuildState;
        builder: string | null;
        outcome: BuildStatus["outcome"];
        reason: string | null;
        messages: string;
      }>(`SELECT job_id, state, builder, outcome, reason, messages FROM builds WHERE job_id = ?`, jobId)
      .toArray()[0];
    if (!row) return null;
    return {
      jobId: row.job_id,
      state: row.state,
      builder: row.builder,
      outcome: row.outcome,
      reason: row.reason,
      messages: JSON.parse(row.messages),
    };
  }

  /**
   * The job settled (its outcome came, or it was cancelled or given up): its build is taken back. A build
   * still queued or only offered is removed; a builder holding it is told `restart-builder` (protocol 1 has
   * no other line that stops a build; the reference builder stops the job's command on it) and dropped, and
   * the job is not told anything more (it has settled). Idempotent; answers the build as it stood, or null.
   */
  async withdraw(jobId: string, reason: string): Promise<BuildStatus | null> {
    const status = this.status(jobId);
    if (!status) return null;
    for (const ws of this.ctx.getWebSockets()) {
      const c = ws.deserializeAttachment() as Conn | null;
      if (c?.jobId !== jobId) continue;
      if (c.stage === "job") {
        this.send(ws, "restart-builder");
        this.drop(ws, { ...c, jobId: null }, `build of job ${jobId} withdrawn: ${reason}`, false);
      } else {
        // Offered: the `ayt` it was sent stays a plain poll; its `ack` makes it idle again.
        this.save(ws, { ...c, stage: "ayt", jobId: null });
      }
    }
    this.sql.exec(`DELETE FROM builds WHERE job_id = ?`, jobId);
    this.assign();
    await this.afterCommit();
    return status;
  }

  builders(): { builders: BuilderView[]; queued: number } {
    const known = new Map<string, BuilderView>();
    for (const row of this.sql.exec<{
      id: string;
      mode: BuilderMode | null;
      allow_testing: number;
      last_seen: number | null;
    }>(`SELECT * FROM builders ORDER BY id`)) {
      known.set(row.id, {
        id: row.id,
        mode: row.mode,
        connected: false,
        state: "disconnected",
        job: null,
        allowTesting: !!row.allow_testing,
        connectedAt: null,
        lastSeenAt: row.last_seen,
      });
    }
    for (const ws of this.ctx.getWebSockets()) {
      const c = ws.deserializeAttachment() as Conn | null;
      if (!c?.builderId) continue;
      const view = known.get(c.builderId);
      if (!view) continue;
      view.connected = true;
      view.connectedAt = c.connectedAt;
      view.job = c.jobId;
      view.state = c.stage === "job" ? "building" : c.stage === "offer" ? "offered" : "idle";
    }
    const queued = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM builds WHERE state = 'queued'`).one().n;
    return { builders: [...known.values()], queued };
  }

  /** An admin lets a testing builder take jobs (or stops it). False when no such builder ever connected. */
  async allowTesting(id: string, allow: boolean): Promise<boolean> {
    const found = this.sql.exec(`SELECT 1 FROM builders WHERE id = ?`, id).toArray().length > 0;
    if (!found) return false;
    this.sql.exec(`UPDATE builders SET allow_testing = ? WHERE id = ?`, allow ? 1 : 0, id);
    this.assign();
    await this.afterCommit();
    return true;
  }

  /** Asks a connected builder to restart (after it finishes nothing: a job it holds ends irrecoverable). */
  async restart(id: string): Promise<boolean> {
    const ws = this.socketOf(id);
    if (!ws) return false;
    this.send(ws, "restart-builder");
    this.drop(ws, null, "restart requested by an admin");
    await this.afterCommit();
    return true;
  }

  // ---- WebSockets ----

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket")
      return Response.json(
        { error: { code: "upgrade_required", message: "expected a WebSocket upgrade" } },
        { status: 426 },
      );
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const now = Date.now();
    const conn: Conn = {
      conn: crypto.randomUUID(),
      stage: "hello",
      builderId: null,
      mode: null,
      jobId: null,
      connectedAt: now,
      deadline: now + this.ackMs,
      nextPoll: null,
    };
    this.ctx.acceptWebSocket(server, [conn.conn]);
    server.serializeAttachment(conn);
    server.send("forgeline-ready");
    await this.afterCommit();
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const c = ws.deserializeAttachment() as Conn | null;
    if (!c) return;
    if (typeof message !== "string") return this.violation(ws, c, "binary message from a builder");
    const line = parseBuilderLine(message);
    const now = Date.now();
    switch (line.kind) {
      case "violation":
        return this.violation(ws, c, line.why);
      case "protocol-violation":
        this.drop(ws, c, `builder reported a protocol violation: ${line.text || "(no text)"}`, false);
        break;
      case "version":
        if (c.stage !== "hello") return this.violation(ws, c, "builder-version out of turn");
        if (line.version !== String(PROTOCOL_VERSION))
          return this.violation(
            ws,
            c,
            `unsupported protocol version ${line.version} (this server speaks ${PROTOCOL_VERSION})`,
          );
        this.save(ws, { ...c, stage: "version" });
        break;
      case "id": {
        if (c.stage !== "version") return this.violation(ws, c, "builder-id out of turn");
        if (this.socketOf(line.id)) return this.violation(ws, c, `builder ${line.id} is already connected`);
        this.sql.exec(
          `INSERT INTO builders (id, mode, last_seen) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, last_seen = excluded.last_seen`,
          line.id,
          line.mode,
          now,
        );
        this.save(ws, {
          ...c,
          stage: "idle",
          builderId: line.id,
          mode: line.mode,
          deadline: null,
          nextPoll: now + this.pollMs,
        });
        this.assign();
        break;
      }
      case "ack":
        if (c.stage === "ayt") {
          this.seen(c);
          this.save(ws, { ...c, stage: "idle", deadline: null, nextPoll: now + this.pollMs });
          this.assign();
        } else if (c.stage === "offer") {
          this.seen(c);
          this.handOver(ws, c);
        } else return this.violation(ws, c, "ack without an ayt");
        break;
      case "message":
        if (c.stage !== "job" || !c.jobId) return this.violation(ws, c, "message outside a job");
        // Kept with the build (at most MAX_MESSAGES); the job copies them when it ends.
        this.sql.exec(
          `UPDATE builds SET messages = json_insert(messages, '$[#]', json_object('at', ?, 'text', ?)) WHERE job_id = ? AND json_array_length(messages) < ?`,
          now,
          line.text.slice(0, 1000),
          c.jobId,
          MAX_MESSAGES,
        );
        break;
      case "uploaded":
      case "irrecoverable":
        if (c.stage !== "job" || !c.jobId) return this.violation(ws, c, `${line.kind} for a job it does not hold`);
        this.finish(
          c.jobId,
          line.kind,
          line.kind === "uploaded"
            ? `uploaded by builder ${c.builderId}`
            : `builder ${c.builderId} reported the build irrecoverable`,
        );
        this.seen(c);
        this.save(ws, { ...c, stage: "idle", jobId: null, deadline: null, nextPoll: now + this.pollMs });
        this.assign();
        break;
    }
    await this.afterCommit();
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    const c = ws.deserializeAttachment() as Conn | null;
    this.drop(
      ws,
      c,
      `connection to builder ${c?.builderId ?? "(unnamed)"} lost (code ${code}${reason ? `, ${reason}` : ""})`,
      false,
    );
    await this.afterCommit();
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    const c = ws.deserializeAttachment() as Conn | null;
    this.drop(ws, c, `connection to builder ${c?.builderId ?? "(unnamed)"} failed: ${String(error)}`, false);
    await this.afterCommit();
  }

  /** Polls idle builders with `ayt`, and drops those that missed a deadline. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const c = ws.deserializeAttachment() as Conn | null;
      if (!c) continue;
      if (c.deadline !== null && c.deadline <= now) {
        const why =
          c.stage === "hello" || c.stage === "version"
            ? "no greeting in time"
            : c.stage === "job"
              ? `build did not finish within ${Math.round(this.buildMs / 1000)} s`
              : "ack deadline missed";
        this.violation(ws, c, why);
      } else if (c.stage === "idle" && c.nextPoll !== null && c.nextPoll <= now) {
        this.send(ws, "ayt");
        this.save(ws, { ...c, stage: "ayt", deadline: now + this.ackMs, nextPoll: null });
      }
    }
    await this.afterCommit();
  }

  // ---- internals ----

  /** Offers the oldest queued build to each free builder allowed to take it: `ayt` first, the job on `ack`. */
  private assign(): void {
    const free = this.ctx
      .getWebSockets()
      .map((ws) => ({ ws, c: ws.deserializeAttachment() as Conn | null }))
      .filter((x): x is { ws: WebSocket; c: Conn } => x.c?.stage === "idle" && !!x.c.builderId && this.mayBuild(x.c));
    for (const { ws, c } of free) {
      const next = this.sql
        .exec<{ job_id: string }>(`SELECT job_id FROM builds WHERE state = 'queued' ORDER BY seq LIMIT 1`)
        .toArray()[0];
      if (!next) return;
      this.sql.exec(
        `UPDATE builds SET state = 'offered', builder = ?, conn = ?, updated_at = ? WHERE job_id = ?`,
        c.builderId,
        c.conn,
        Date.now(),
        next.job_id,
      );
      this.send(ws, "ayt");
      this.save(ws, { ...c, stage: "offer", jobId: next.job_id, deadline: Date.now() + this.ackMs, nextPoll: null });
    }
  }

  private mayBuild(c: Conn): boolean {
    if (c.mode === "production") return true;
    return !!this.sql
      .exec<{ a: number }>(`SELECT allow_testing AS a FROM builders WHERE id = ?`, c.builderId)
      .toArray()[0]?.a;
  }

  private handOver(ws: WebSocket, c: Conn): void {
    const build = this.sql
      .exec<{ source: string; repo_url: string; tag: ArrayBuffer }>(
        `SELECT source, repo_url, tag FROM builds WHERE job_id = ? AND state = 'offered'`,
        c.jobId,
      )
      .toArray()[0];
    if (!build || !c.jobId) {
      this.save(ws, { ...c, stage: "idle", jobId: null, deadline: null, nextPoll: Date.now() + this.pollMs });
      return;
    }
    const tag = new Uint8Array(build.tag);
    const { head, tail } = jobLines(c.jobId, build.source, build.repo_url, tag.byteLength);
    head.forEach((l) => this.send(ws, l));
    this.send(ws, tag);
    tail.forEach((l) => this.send(ws, l));
    this.sql.exec(`UPDATE builds SET state = 'building', updated_at = ? WHERE job_id = ?`, Date.now(), c.jobId);
    this.save(ws, { ...c, stage: "job", deadline: Date.now() + this.buildMs, nextPoll: null });
    this.outbox.add("wake", { jobId: c.jobId, why: `builder ${c.builderId} took the build` });
  }

  private finish(jobId: string, outcome: "uploaded" | "irrecoverable", reason: string): void {
    this.sql.exec(
      `UPDATE builds SET state = 'done', outcome = ?, reason = ?, updated_at = ? WHERE job_id = ?`,
      outcome,
      summarize(reason, 500),
      Date.now(),
      jobId,
    );
    this.outbox.add("wake", { jobId, why: `build ${outcome}` });
  }

  /** Tells the builder what it did wrong and drops it. */
  private violation(ws: WebSocket, c: Conn, why: string): void {
    this.send(ws, `protocol-violation ${why}`);
    this.drop(ws, c, `builder ${c.builderId ?? "(unnamed)"}: protocol violation: ${why}`);
  }

  /**
   * Ends a connection. A job it held since `job` ends irrecoverable with `reason` (the builder may have
   * done anything with it); a job only offered goes back to the queue.
   */
  private drop(ws: WebSocket, c: Conn | null, reason: string, close = true): void {
    if (c?.jobId) {
      if (c.stage === "job") this.finish(c.jobId, "irrecoverable", reason);
      else if (c.stage === "offer")
        this.sql.exec(
          `UPDATE builds SET state = 'queued', builder = NULL, conn = NULL WHERE job_id = ? AND state = 'offered'`,
          c.jobId,
        );
    }
    if (c?.builderId) this.sql.exec(`UPDATE builders SET last_seen = ? WHERE id = ?`, Date.now(), c.builderId);
    ws.serializeAttachment(null);
    try {
      ws.close(close ? 1008 : 1000, closeReason(reason));
    } catch {
      // Already closed.
    }
    this.assign();
  }

  private seen(c: Conn): void {
    this.sql.exec(`UPDATE builders SET last_seen = ? WHERE id = ?`, Date.now(), c.builderId);
  }

  private socketOf(builderId: string): WebSocket | null {
    for (const ws of this.ctx.getWebSockets()) {
      const c = ws.deserializeAttachment() as Conn | null;
      if (c?.builderId === builderId) return ws;
    }
    return null;
  }

  private save(ws: WebSocket, c: Conn): void {
    ws.serializeAttachment(c);
  }

  private send(ws: WebSocket, message: string | Uint8Array): void {
    try {
      ws.send(message);
    } catch {
      // A socket closing under us: its close handler settles what it held.
    }
  }

  private async afterCommit(): Promise<void> {
    await this.outbox.drain();
    const deadlines: number[] = [];
    const due = this.outbox.nextDue();
    if (due !== null) deadlines.push(due);
    for (const ws of this.ctx.getWebSockets()) {
      const c = ws.deserializeAttachment() as Conn | null;
      if (c?.deadline) deadlines.push(c.deadline);
      if (c?.nextPoll) deadlines.push(c.nextPoll);
    }
    if (deadlines.length) await this.ctx.storage.setAlarm(Math.min(...deadlines));
    else await this.ctx.storage.deleteAlarm();
  }
}

/** A close reason fits in 123 bytes of UTF-8 (a longer one makes close() throw and leaves the socket open). */
function closeReason(reason: string): string {
  const bytes = new TextEncoder().encode(summarize(reason, 100));
  return bytes.length <= 123
    ? new TextDecoder().decode(bytes)
    : new TextDecoder().decode(bytes.subarray(0, 120)).replace(/\uFFFD+$/, "");
}
