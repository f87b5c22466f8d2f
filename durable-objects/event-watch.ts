// Hibernating WebSocket watchers of an event log: the backlog after a cursor, "caught-up", then each new event.
// Shared by RepoObject, RegistryObject and WorkflowObject; a watcher's filter travels in its socket attachment
// so that it survives the object's hibernation.

import type { EventPage, LoggedEvent } from "./event-log";
import { PAGE_MAX } from "./event-log";

const TAG = "watch";

/** Answers a request that is not a WebSocket upgrade, or null when it is one. */
export function upgradeRequired(request: Request): Response | null {
  if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") return null;
  return Response.json(
    { error: { code: "upgrade_required", message: "expected a WebSocket upgrade" } },
    { status: 426 },
  );
}

/**
 * Accepts a watcher: sends every event `read` yields after `after`, then `caught-up`, and keeps the socket
 * (hibernating) for `broadcast`. `attachment` is what `broadcast`'s matcher later receives for this socket.
 */
export function openWatch(
  ctx: DurableObjectState,
  after: string | null,
  read: (cursor: string | null, limit: number) => EventPage,
  attachment: unknown = null,
): Response {
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  ctx.acceptWebSocket(server, [TAG]);
  server.serializeAttachment(attachment);
  let cursor = after;
  for (;;) {
    const page = read(cursor, PAGE_MAX);
    for (const event of page.events) server.send(JSON.stringify({ type: "event", event }));
    cursor = page.next;
    if (page.willBlock) break;
  }
  server.send(JSON.stringify({ type: "caught-up", next: cursor }));
  return new Response(null, { status: 101, webSocket: client });
}

/** Sends committed events to every watcher whose attachment `matches` them. */
export function broadcast<A = unknown>(
  ctx: DurableObjectState,
  events: LoggedEvent[],
  matches: (attachment: A, event: LoggedEvent) => boolean = () => true,
): void {
  if (!events.length) return;
  for (const ws of ctx.getWebSockets(TAG)) {
    let attachment = null as A;
    try {
      attachment = ws.deserializeAttachment() as A;
    } catch {
      // A socket without an attachment watches everything.
    }
    for (const event of events) {
      if (!matches(attachment, event)) continue;
      try {
        ws.send(JSON.stringify({ type: "event", event }));
      } catch {
        // A socket closing under us is the watcher's loss; it resumes from its cursor.
      }
    }
  }
}

/** Watchers only listen: anything but `ping` (answered without waking the object) gets an error line. */
export function answerWatcher(ws: WebSocket, message: string | ArrayBuffer): void {
  if (typeof message === "string" && message !== "ping")
    ws.send(JSON.stringify({ type: "error", message: "watchers only listen; send nothing but ping" }));
}

export function closeWatcher(ws: WebSocket, code: number): void {
  // 1005, 1006 and 1015 only describe a close; they cannot be sent back.
  ws.close([1005, 1006, 1015].includes(code) ? 1000 : code, "closing");
}
