#!/usr/bin/env node
// The reference Forgeline observer: keeps a shadow (a bare mirror) of every repo of one registry under its path
// prefixes, following the registry's stream, each held repo's stream and the workflows of its moves (nog-style).
//
//   npx forgeline-observer --url <forgeline> --token <observer token> --registry <host> --prefix <path/>
//       [--prefix …] --root <dir> [--exec <command>]
//
// Each stream is loaded in two phases: events are folded up to `willBlock` and the final state is acted on once,
// then new events are followed one at a time over a WebSocket. Work is serialized per repo and limited by two
// separate limits (repo activities 10, registry and workflow activities 20: a repo activity may wait on a
// workflow). The cursors live in `<root>/.forgeline-observer.json`. `--exec` runs a command per action taken,
// with the action as JSON on stdin (and FORGELINE_ACTION, FORGELINE_REPO_ID, FORGELINE_SHADOW set).

import { spawn } from "node:child_process";
import { readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import {
  NotAShadow,
  checkRoot,
  dropShadow,
  fetchShadow,
  initShadow,
  moveShadow,
  setWritable,
  shadowPath,
} from "./observer/shadow.mjs";
import { Limit, normalizePrefix, underAny } from "./observer/limits.mjs";

function usage(message) {
  if (message) console.error(`forgeline-observer: ${message}`);
  console.error(
    "usage: forgeline-observer --url <forgeline URL> --token <observer token> --registry <host> --prefix <path/> [--prefix …] --root <dir> [--exec <command>]",
  );
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      registry: { type: "string" },
      prefix: { type: "string", multiple: true },
      root: { type: "string" },
      exec: { type: "string" },
      "reconnect-seconds": { type: "string", default: "15" },
      "retry-seconds": { type: "string", default: "20" },
      "repo-concurrency": { type: "string", default: "10" },
      "registry-concurrency": { type: "string", default: "20" },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (err) {
  usage(err.message);
}
if (args.help) usage();
if (!args.url || !args.token || !args.registry || !args.prefix?.length || !args.root)
  usage("--url, --token, --registry, --prefix and --root are required");

const BASE = args.url.replace(/\/+$/, "");
const HOST = args.registry.toLowerCase();
const PREFIXES = [...new Set(args.prefix.map(normalizePrefix))];
const ROOT = args.root;
const STATE_FILE = join(ROOT, ".forgeline-observer.json");
const RECONNECT_MS = Number(args["reconnect-seconds"]) * 1000;
const RETRY_MS = Number(args["retry-seconds"]) * 1000;
const repoLimit = new Limit(Number(args["repo-concurrency"]));
const registryLimit = new Limit(Number(args["registry-concurrency"]));
const say = (line) => console.error(`[forgeline-observer ${HOST} ${PREFIXES.join(",")}] ${line}`);
const trace = (line) => args.verbose && say(line);
/** A line on stdout per milestone, for scripts and tests that wait on the observer. */
const status = (what, extra = {}) =>
  process.stdout.write(`${JSON.stringify({ status: what, at: Date.now(), ...extra })}\n`);

// ---- state (cursors and held repos), written atomically after every completed action ----

/** { streams: {prefix: cursor}, repos: {id: {path, cursor, frozen}} } */
let state = { registry: HOST, streams: {}, repos: {} };
let saving = Promise.resolve();

async function loadState() {
  try {
    const saved = JSON.parse(await readFile(STATE_FILE, "utf8"));
    if (saved.registry !== HOST) throw new Error(`${STATE_FILE} belongs to registry ${saved.registry}, not ${HOST}`);
    state = { registry: HOST, streams: saved.streams ?? {}, repos: saved.repos ?? {} };
  } catch (err) {
    if (err.code !== "ENOENT") throw err;
  }
}

function save() {
  saving = saving.then(async () => {
    const tmp = `${STATE_FILE}.tmp`;
    await writeFile(tmp, JSON.stringify(state));
    await rename(tmp, STATE_FILE);
  });
  return saving;
}

// ---- the API ----

async function api(method, path, body) {
  const res = await fetch(BASE + path, {
    method,
    headers: {
      Authorization: `Bearer ${args.token}`,
      Accept: "application/json",
      ...(body ? { "Content-Type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

async function* pages(path, after) {
  let cursor = after ?? "";
  for (;;) {
    const sep = path.includes("?") ? "&" : "?";
    const page = await api("GET", `${path}${sep}after=${cursor}&limit=500`);
    yield page;
    cursor = page.next ?? cursor;
    if (page.willBlock) return;
  }
}

/** Follows a stream over a WebSocket from `cursor()`, reconnecting after RECONNECT_MS; `onEvent` runs one at a time. */
function follow(path, cursor, onEvent) {
  let chain = Promise.resolve();
  const open = () => {
    const u = new URL(`${BASE}${path}`);
    u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
    if (cursor()) u.searchParams.set("after", cursor());
    const ws = new WebSocket(u);
    ws.on("open", () => trace(`watching ${u}`));
    const ping = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), 30_000);
    ws.on("message", (data) => {
      const text = String(data);
      if (text === "pong") return;
      const msg = JSON.parse(text);
      trace(`${path}: ${msg.type} ${msg.event?.kind ?? msg.next ?? ""}`);
      if (msg.type === "event")
        chain = chain.then(() => onEvent(msg.event)).catch((err) => say(`${path}: ${err.message}`));
    });
    ws.on("error", (err) => say(`${path}: ${err.message}`));
    ws.on("close", () => {
      clearInterval(ping);
      if (!stopping) setTimeout(() => chain.then(open), RECONNECT_MS);
    });
  };
  open();
}

// ---- per-repo serialization, retries, errors, the exec hook ----

const chains = new Map();

/** Runs `work` after the repo's earlier work; a failure is reported as a weak error and retried after RETRY_MS. */
function serialize(id, what, work) {
  const run = () =>
    work().catch(async (err) => {
      const strength = err instanceof NotAShadow ? "strong" : "weak";
      say(`${what} of ${id} failed (${strength}): ${err.message}`);
      await api("POST", `/api/repos/${id}/error`, { strength, message: `${what}: ${err.message}` }).catch((e) =>
        say(`reporting: ${e.message}`),
      );
      if (strength === "weak" && !stopping) setTimeout(() => serialize(id, what, work), RETRY_MS);
    });
  const next = (chains.get(id) ?? Promise.resolve()).then(run);
  chains.set(id, next);
  return next;
}

async function exec(action) {
  trace(`${action.action} ${action.repo} ${action.path ?? ""}`);
  if (!args.exec) return;
  await new Promise((resolve) => {
    const child = spawn("sh", ["-c", args.exec], {
      stdio: ["pipe", "inherit", "inherit"],
      env: {
        ...process.env,
        FORGELINE_ACTION: action.action,
        FORGELINE_REPO_ID: action.repo,
        FORGELINE_SHADOW: action.shadow ?? "",
      },
    });
    child.on("exit", (code) => {
      if (code) say(`--exec exited ${code} for ${action.action} of ${action.repo}`);
      resolve();
    });
    child.stdin.end(JSON.stringify(action));
  });
}

const shadowOf = (id, path) => shadowPath(ROOT, HOST, path, id);
const mine = (path) => typeof path === "string" && !path.includes("://") && underAny(path, PREFIXES);

async function repoRecord(id) {
  return (await api("GET", `/api/repos/${id}`)).repo;
}

// ---- actions on held repos ----

/** Brings a repo to its desired place and mode: cloned (once) at `path`, read-only when frozen. */
async function reconcile(id, want, event) {
  const held = state.repos[id];
  if (!mine(want.path) || want.removed) {
    if (held && !want.removed && !mine(want.path)) await forget(id, event);
    if (held && want.removed) {
      await setWritable(shadowOf(id, held.path), false);
      delete state.repos[id];
      await save();
      await exec({ action: "remove", repo: id, path: held.path, shadow: shadowOf(id, held.path), event });
    }
    return;
  }
  const dir = shadowOf(id, want.path);
  if (held && held.path !== want.path) {
    const repo = await repoRecord(id);
    await repoLimit.run(() => moveShadow(ROOT, shadowOf(id, held.path), dir, repo.cloneUrl));
    await exec({ action: "move", repo: id, from: held.path, path: want.path, shadow: dir, event });
    held.path = want.path;
    await save();
  }
  if (!state.repos[id]) {
    const repo = await repoRecord(id);
    const cloned = await repoLimit.run(() => initShadow(dir, want.cloneUrl ?? repo.cloneUrl));
    state.repos[id] = { path: want.path, cursor: null, frozen: false };
    await save();
    if (cloned) await exec({ action: "init", repo: id, path: want.path, shadow: dir, event });
    startRepoStream(id, true);
  }
  const record = state.repos[id];
  if (Boolean(want.frozen) !== Boolean(record.frozen)) {
    await setWritable(dir, !want.frozen);
    record.frozen = Boolean(want.frozen);
    await save();
    await exec({ action: want.frozen ? "freeze" : "unfreeze", repo: id, path: want.path, shadow: dir, event });
  }
}

async function forget(id, event) {
  const held = state.repos[id];
  if (!held) return;
  await repoLimit.run(() => dropShadow(ROOT, shadowOf(id, held.path)));
  delete state.repos[id];
  await save();
  await exec({ action: "release", repo: id, path: held.path, event });
}

/** Waits (a registry activity) until the workflow's stream shows `step`, or the workflow has ended. */
async function waitForStep(workflow, step) {
  return registryLimit.run(async () => {
    let cursor = "";
    for (;;) {
      for await (const page of pages(`/api/workflows/${workflow}/events`, cursor)) {
        for (const e of page.events) if ([step, "committed", "failed"].includes(e.kind)) return e.kind;
        cursor = page.next ?? cursor;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });
}

/** The two halves of a move: the old place (if this observer holds it) releases, the new one (if it is ours) acquires. */
async function move(id, accepted, want) {
  const { workflow, to, toUrl } = accepted;
  const report = (event) =>
    registryLimit.run(() =>
      api("POST", `/api/workflows/${workflow}/events`, { event, by: `${HOST}:${PREFIXES.join(",")}` }),
    );
  const held = state.repos[id];
  if (held) {
    await report("released").catch((err) => say(`released of ${workflow}: ${err.message}`));
    if (!mine(to)) {
      // Let go once the move is done: until then, the old place is the only copy.
      if ((await waitForStep(workflow, "committed")) === "committed") await forget(id, accepted.event);
      return;
    }
  } else {
    if (!mine(to)) return;
    await waitForStep(workflow, "released");
  }
  await reconcile(id, { ...want, path: to, cloneUrl: `${toUrl}.git` }, accepted.event);
  await report("acquired").catch((err) => say(`acquired of ${workflow}: ${err.message}`));
}

// ---- the registry stream: fold, act once, follow ----

/** What the registry says of each repo after the events folded so far. */
const wanted = new Map();

function fold(event) {
  const d = event.data;
  if (!d.repo) return null;
  const held = state.repos[d.repo];
  const w = wanted.get(d.repo) ?? { path: d.path, frozen: held?.frozen ?? false, removed: false, move: null };
  wanted.set(d.repo, w);
  switch (event.kind) {
    case "repo_added":
      w.path = d.path;
      break;
    case "repo_move_accepted":
      w.move = { workflow: d.workflow, to: d.to, toUrl: d.toUrl, event: event.id };
      break;
    case "repo_moved":
      w.path = d.to;
      w.move = null;
      break;
    case "repo_frozen":
      w.frozen = true;
      break;
    case "repo_unfrozen":
      w.frozen = false;
      break;
    case "repo_removed":
      w.removed = true;
      break;
  }
  return w;
}

function act(id, w, event) {
  if (w.move) {
    const accepted = w.move;
    return serialize(id, "move", () => move(id, accepted, { frozen: w.frozen }));
  }
  return serialize(id, "sync", () => reconcile(id, { path: w.path, frozen: w.frozen, removed: w.removed }, event));
}

async function loadRegistry(prefix) {
  const path = `/api/registries/${encodeURIComponent(HOST)}/events?prefix=${encodeURIComponent(prefix)}`;
  let folded = 0;
  let last = state.streams[prefix] ?? "";
  for await (const page of pages(path, last)) {
    for (const e of page.events) if (fold(e)) folded++;
    last = page.next ?? last;
  }
  return { last, folded };
}

function followRegistry(prefix) {
  const path = `/api/registries/${encodeURIComponent(HOST)}/events/watch?prefix=${encodeURIComponent(prefix)}`;
  const pending = [];
  follow(
    path,
    () => state.streams[prefix],
    async (event) => {
      const w = fold(event);
      const entry = { id: event.id, done: false };
      pending.push(entry);
      const finished = () => {
        entry.done = true;
        while (pending[0]?.done) state.streams[prefix] = pending.shift().id;
        return save();
      };
      // Not awaited: other repos' events go on while this one's activity (perhaps a move waiting on its workflow) runs.
      if (w && event.data.repo) act(event.data.repo, w, event.id).then(finished);
      else finished();
    },
  );
}

// ---- each held repo's own stream: pushes fetch the shadow ----

const REF_EVENTS = new Set(["push", "tag_push", "tag_delete", "branch_delete"]);
const following = new Set();
let repoEventsFolded = 0;

function startRepoStream(id, freshClone) {
  if (following.has(id)) return;
  following.add(id);
  serialize(id, "load", async () => {
    const held = state.repos[id];
    if (!held) return;
    let changed = false;
    for await (const page of pages(`/api/repos/${id}/events`, held.cursor)) {
      changed ||= page.events.some((e) => REF_EVENTS.has(e.kind));
      repoEventsFolded += page.events.length;
      held.cursor = page.next ?? held.cursor;
    }
    if (changed && !freshClone) await fetchNow(id, held.cursor);
    await save();
    follow(
      `/api/repos/${id}/events/watch`,
      () => state.repos[id]?.cursor,
      async (event) => {
        if (!state.repos[id]) return;
        if (REF_EVENTS.has(event.kind)) await serialize(id, "fetch", () => fetchNow(id, event.id));
        if (state.repos[id]) {
          state.repos[id].cursor = event.id;
          await save();
        }
      },
    );
  });
}

async function fetchNow(id, event) {
  const held = state.repos[id];
  if (!held || held.frozen) return; // a frozen shadow is read-only
  const dir = shadowOf(id, held.path);
  await repoLimit.run(() => fetchShadow(dir));
  await exec({ action: "fetch", repo: id, path: held.path, shadow: dir, event });
}

// ---- main ----

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => ((stopping = true), process.exit(0)));

try {
  await checkRoot(ROOT);
  await loadState();
} catch (err) {
  say(err.message);
  process.exit(1);
}

const started = Date.now();
let folded = 0;
const loaded = [];
for (const prefix of PREFIXES) loaded.push([prefix, await loadRegistry(prefix)]);
// Repos this observer held before it stopped, and the registry's word on each repo since.
for (const id of Object.keys(state.repos)) if (!wanted.has(id)) startRepoStream(id, false);
const acts = [...wanted].map(([id, w]) => act(id, w, null));
await Promise.all(acts);
for (const [prefix, { last, folded: n }] of loaded) {
  state.streams[prefix] = last;
  folded += n;
}
await save();
await Promise.all([...chains.values()]);
const ms = Date.now() - started;
status("loaded", { repos: Object.keys(state.repos).length, folded, repoEvents: repoEventsFolded, ms });
say(
  `loaded: ${Object.keys(state.repos).length} shadows, ${folded} registry and ${repoEventsFolded} repo events folded in ${ms} ms`,
);
for (const prefix of PREFIXES) followRegistry(prefix);
