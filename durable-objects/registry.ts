// RegistryObject: one per forge host (named by the host). Its event log says which repos exist on that forge
// and what happened to them (added, moved, frozen, errors), readable by cursor and path prefix, and watchable.

import { DurableObject } from "cloudflare:workers";
import type { Env } from "../workers/env";
import { DoSchema } from "../workers/core/do-migrations";
import { normalizePrefix, underPrefix, type RegistryEntry } from "../workers/core/lifecycle";
import type { Json } from "../workers/core/job";
import { EventLog, EVENTS_TABLE, type EventFilter, type EventPage, type LoggedEvent } from "./event-log";
import { answerWatcher, broadcast, closeWatcher, openWatch, upgradeRequired } from "./event-watch";

/** The paths an event concerns: where the repo is after it, and where a move takes it from or to. */
const PATHS = ["$.path", "$.from", "$.to"];

function prefixFilter(prefix: string): EventFilter | undefined {
  if (!prefix) return undefined;
  const clause = PATHS.map((p) => `substr(coalesce(json_extract(data, '${p}'), '') || '/', 1, ?) = ?`).join(" OR ");
  return {
    where: clause,
    params: PATHS.flatMap(() => [prefix.length, prefix]),
    test: (event) => matches(event, prefix),
  };
}

function matches(event: LoggedEvent, prefix: string): boolean {
  const data = event.data as Record<string, Json>;
  return [data.path, data.from, data.to].some((p) => underPrefix(p as string, prefix));
}

export class RegistryObject extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly schema: DoSchema;
  private readonly log: EventLog;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.schema = new DoSchema(ctx.storage, { name: "registry", steps: [EVENTS_TABLE] });
    this.log = new EventLog(this.sql, this.schema.exists);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** Logs an entry once per source id (the caller's outbox may deliver it again); answers its event id. */
  record(host: string, entry: RegistryEntry): string {
    this.schema.ensure();
    const seen = this.log.delivered(entry.source);
    if (seen) return seen.id;
    const id = this.log.nextId();
    this.log.append(
      "registry",
      entry.kind,
      { repo: entry.repo, path: entry.path, host, ...entry.data },
      [],
      id,
      entry.source,
    );
    broadcast(this.ctx, this.log.takeUnsent(), (prefix: string | null, event) => !prefix || matches(event, prefix));
    return id;
  }

  events(after: string | null, limit: number, prefix = ""): EventPage {
    if (!this.schema.exists) return { events: [], next: after, willBlock: true };
    return this.log.page(after, limit, prefixFilter(normalizePrefix(prefix)));
  }

  /** WebSocket watch: `?after=&prefix=`; the prefix is kept with the socket, through hibernation. */
  override async fetch(request: Request): Promise<Response> {
    const refused = upgradeRequired(request);
    if (refused) return refused;
    const q = new URL(request.url).searchParams;
    const prefix = normalizePrefix(q.get("prefix") ?? "");
    return openWatch(
      this.ctx,
      q.get("after") || null,
      (cursor, limit) => this.events(cursor, limit, prefix),
      prefix || null,
    );
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    answerWatcher(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    closeWatcher(ws, code);
  }
}
