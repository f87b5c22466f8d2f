#!/usr/bin/env node
// The reference Forgeline builder: connects to a Forgeline Worker's builder WebSocket, speaks protocol
// version 1, and for each job runs a command in a fresh temporary directory holding the raw tag object.
// The command's exit status is the outcome (0: uploaded, anything else: irrecoverable); stdout lines of the
// form `forgeline-message <text>` are published as the job's public messages.
//
//   npx forgeline-builder --url https://forgeline.example.org --token <builder token> --exec '<command>'
//       [--id <builder id>] [--mode production|testing] [--once] [--exit-on-restart]
//
// The command sees FORGELINE_JOB_ID, FORGELINE_SOURCE, FORGELINE_REPO_URL, FORGELINE_TAG_FILE,
// FORGELINE_TAG_NAME, FORGELINE_TAG_OBJECT_ID and FORGELINE_TAGGED_OBJECT in its environment; its working
// directory (with the file `tag`) is removed afterwards.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";

const PROTOCOL_VERSION = 1;

function usage(message) {
  if (message) console.error(`forgeline-builder: ${message}`);
  console.error(
    "usage: forgeline-builder --url <forgeline URL> --token <builder token> --exec <command> [--id ID] [--mode production|testing] [--once] [--exit-on-restart]",
  );
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      url: { type: "string" },
      token: { type: "string" },
      exec: { type: "string" },
      id: { type: "string" },
      mode: { type: "string", default: "production" },
      once: { type: "boolean", default: false },
      "exit-on-restart": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  }).values;
} catch (err) {
  usage(err.message);
}
if (args.help) usage();
if (!args.url || !args.token || !args.exec) usage("--url, --token and --exec are required");
if (args.mode !== "production" && args.mode !== "testing") usage("--mode must be production or testing");
const builderId =
  args.id ??
  `${hostname()
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, 40)}-${process.pid}`;
if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(builderId))
  usage(`builder id ${builderId} is not valid (letters, digits, . _ -)`);

const endpoint = (() => {
  const u = new URL("/api/builders/connect", args.url);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
})();

const log = (line) => console.error(`[forgeline-builder ${builderId}] ${line}`);
let stopping = false;
/** How to stop each job command running now. */
const commands = new Set();
let backoff = 1000;

function connect() {
  const ws = new WebSocket(endpoint, { headers: { Authorization: `Bearer ${args.token}` } });
  /** What the builder expects next: greeting, idle (ayt or job), the job's data block, or a running job. */
  let stage = "greeting";
  let job = null;
  /** The running job's command: stopped when the server takes the build back (`restart-builder`) or the
   * connection ends, since its outcome could no longer be reported and the server has ended the job. */
  const running = new AbortController();
  const stopJob = (why) => {
    if (stage !== "running") return;
    log(`job ${job?.id}: stopping its command: ${why}`);
    running.abort();
  };

  const send = (line) => ws.readyState === WebSocket.OPEN && ws.send(line);
  const violation = (why) => {
    log(`protocol violation: ${why}`);
    send(`protocol-violation ${why}`);
    ws.close(1008, "protocol violation");
  };

  ws.on("unexpected-response", (_req, res) => {
    log(`server refused the connection: HTTP ${res.statusCode}`);
    if (res.statusCode === 401 || res.statusCode === 403) process.exit(1);
  });
  ws.on("open", () => log(`connected to ${endpoint}`));
  ws.on("error", (err) => log(`connection error: ${err.message}`));
  ws.on("close", (code, reason) => {
    log(`connection closed (${code}${reason.length ? ` ${reason}` : ""})`);
    stopJob("the connection closed");
    if (stopping || args.once) process.exit(stopping === "failed" ? 1 : 0);
    setTimeout(connect, backoff);
    backoff = Math.min(backoff * 2, 60_000);
  });

  ws.on("message", (data, isBinary) => {
    if (isBinary) {
      if (stage !== "data" || !job || job.bytes) return violation("unexpected binary message");
      const bytes = Buffer.from(data);
      if (bytes.length !== job.size) return violation(`data block of ${bytes.length} bytes, announced ${job.size}`);
      job.bytes = bytes;
      return;
    }
    const line = data.toString("utf8");
    if (stage === "greeting") {
      if (line !== "forgeline-ready")
        return violation(`expected forgeline-ready, got ${JSON.stringify(line.slice(0, 60))}`);
      send(`builder-version ${PROTOCOL_VERSION}`);
      send(`builder-id ${builderId} ${args.mode}`);
      stage = "idle";
      backoff = 1000;
      return;
    }
    if (line.startsWith("protocol-violation")) {
      log(`server says: ${line}`);
      return;
    }
    if (line === "restart-builder") {
      log("server asks for a restart");
      stopJob("the server asked for a restart");
      if (args["exit-on-restart"]) {
        stopping = true;
        process.exitCode = 75;
      }
      ws.close(1000, "restarting");
      return;
    }
    if (stage === "idle") {
      if (line === "ayt") return send("ack");
      const m = /^job (\S+) (\S+) (\S+)$/.exec(line);
      if (!m) return violation(`unexpected line ${JSON.stringify(line.slice(0, 60))}`);
      job = { id: m[1], source: m[2], repoUrl: m[3], size: null, bytes: null };
      stage = "block";
      return;
    }
    if (stage === "block") {
      const m = /^data-block (\d+)$/.exec(line);
      if (!m) return violation("expected data-block");
      job.size = Number(m[1]);
      stage = "data";
      return;
    }
    if (stage === "data") {
      if (line !== "data-end" || !job.bytes) return violation("expected the data block, then data-end");
      stage = "running";
      const current = job;
      run(current, (text) => send(`message ${text}`), running.signal).then(
        (ok) => {
          send(ok ? "uploaded" : "irrecoverable");
          log(`job ${current.id}: ${ok ? "uploaded" : "irrecoverable"}`);
          job = null;
          stage = "idle";
          if (args.once) {
            stopping = true;
            ws.close(1000, "done");
          }
        },
        (err) => {
          send(
            `message builder failure: ${String(err.message ?? err)
              .replace(/[\r\n\0]/g, " ")
              .slice(0, 300)}`,
          );
          send("irrecoverable");
          job = null;
          stage = "idle";
        },
      );
      return;
    }
    violation(`unexpected line while a job runs: ${JSON.stringify(line.slice(0, 60))}`);
  });
}

/** Runs the command for one job; resolves true when it exits 0. `signal` stops it (SIGTERM to its group). */
async function run(job, publish, signal) {
  const dir = await mkdtemp(join(tmpdir(), "forgeline-job-"));
  try {
    const tagFile = join(dir, "tag");
    await writeFile(tagFile, job.bytes);
    const text = job.bytes.toString("utf8");
    const header = (name) => new RegExp(`^${name} (.*)$`, "m").exec(text.split("\n\n")[0] ?? "")?.[1] ?? "";
    const objectId = createHash("sha1").update(`tag ${job.bytes.length}\0`).update(job.bytes).digest("hex");
    log(`job ${job.id}: ${job.source} from ${job.repoUrl} (tag ${objectId})`);
    const child = spawn("sh", ["-c", args.exec], {
      cwd: dir,
      stdio: ["ignore", "pipe", "inherit"],
      // Its own process group, so that stopping it stops what it started too (a build is many processes).
      detached: true,
      env: {
        ...process.env,
        FORGELINE_JOB_ID: job.id,
        FORGELINE_SOURCE: job.source,
        FORGELINE_REPO_URL: job.repoUrl,
        FORGELINE_TAG_FILE: tagFile,
        FORGELINE_TAG_NAME: header("tag"),
        FORGELINE_TAGGED_OBJECT: header("object"),
        FORGELINE_TAG_OBJECT_ID: objectId,
      },
    });
    const stop = () => {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
    commands.add(stop);
    child.on("close", () => commands.delete(stop));
    let pending = "";
    child.stdout.on("data", (chunk) => {
      pending += chunk.toString("utf8");
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const m = /^forgeline-message (.+)$/.exec(line);
        if (m)
          publish(m[1].replace(/[\r\n\0]/g, "").slice(0, 1000)); // the protocol refuses control characters
        else process.stdout.write(line + "\n");
      }
    });
    const code = await new Promise((resolve) => child.on("close", (c, signal) => resolve(c ?? (signal ? 128 : 1))));
    if (code !== 0) publish(`build command exited with status ${code}`);
    return code === 0;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    for (const stop of commands) stop(); // their own process group: a signal to ours does not reach them
    process.exit(130);
  });
connect();
