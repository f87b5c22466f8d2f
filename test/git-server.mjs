// A loopback git server for tests and benchmarks: serves the bare repos under a root directory over
// smart HTTP through the real `git http-backend` (protocol v0 and v2, fetch and push), plus:
//   /_fault/status/<code>/<repo>/...      answers <code> instead of serving
//   /_fault/cut/<bytes>/<repo>/...        serves, but cuts the connection after <bytes> bytes of the response
//   /_fault/slow/<ms>/<repo>/...          waits <ms> before serving
//   /_fault/dumb/<repo>/...               answers like a dumb HTTP server (no smart protocol)
//   /_fault/corrupt/<offset>/<repo>/...   serves, but flips the bits of the response's byte at <offset>
//   /_fault/switch/<name>/<repo>/...      answers the status set for switch <name>, or serves when it is off
//   POST /_control/switch {name, status}  sets switch <name> to an HTTP status, or to "cut:<bytes>" or
//                                         "corrupt:<offset>" (serve with that fault); null turns it off
//   /_auth/<user>:<password>/<repo>/...   serves only with that Basic auth (push credentials tests)
//   POST /_hook/<name>                    records the request (headers, body) and answers 200, or the status
//                                         set for switch <name>; GET /_control/hook/<name> lists what it got
//   POST /_control/sh {script, cwd?, stdin?}  runs a bash script under the root (tests in workerd cannot
//                                         spawn processes; this is how they build repos with the git CLI)
// Usage: node test/git-server.mjs <root> [port]   (prints the base URL on stdout)

import { createServer } from "node:http";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";

const SHELL_TIMEOUT_MS = 120_000;

/** Maps a URL path (`/a/b`, `/a/b.git`, `/a/b.git/info/refs`) to the bare repo it names, or null. */
function locate(root, path) {
  const parts = path.split("/").filter(Boolean);
  for (let i = parts.length; i > 0; i--) {
    const repo = parts.slice(0, i).join("/");
    for (const candidate of [repo, repo.endsWith(".git") ? null : `${repo}.git`]) {
      if (!candidate) continue;
      const dir = resolve(root, candidate);
      if (!dir.startsWith(resolve(root) + sep)) return null;
      if (existsSync(join(dir, "HEAD")) && statSync(dir).isDirectory())
        return { repo: candidate, rest: "/" + parts.slice(i).join("/") };
    }
  }
  return null;
}

function runBackend(root, req, res, path, query, { cutAfter, corruptAt, user } = {}) {
  const found = locate(root, path);
  if (!found) {
    res.writeHead(404, { "Content-Type": "text/plain" }).end("Repository not found\n");
    return;
  }
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME ?? "/tmp",
    GIT_PROJECT_ROOT: resolve(root),
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_HTTP_MAX_REQUEST_BUFFER: "1000M",
    PATH_INFO: `/${found.repo}${found.rest}`,
    QUERY_STRING: query,
    REQUEST_METHOD: req.method,
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: "127.0.0.1",
    GIT_CONFIG_COUNT: "2",
    GIT_CONFIG_KEY_0: "http.receivepack",
    GIT_CONFIG_VALUE_0: "true",
    GIT_CONFIG_KEY_1: "uploadpack.allowFilter",
    GIT_CONFIG_VALUE_1: "true",
  };
  if (req.headers["git-protocol"]) env.GIT_PROTOCOL = req.headers["git-protocol"];
  if (req.headers["content-encoding"]) env.HTTP_CONTENT_ENCODING = req.headers["content-encoding"];
  if (req.headers["content-length"]) env.CONTENT_LENGTH = req.headers["content-length"];
  if (user) env.REMOTE_USER = user;
  const cgi = spawn("git", ["http-backend"], { env });
  req.pipe(cgi.stdin);
  cgi.stdin.on("error", () => {});
  let head = Buffer.alloc(0);
  let headersDone = false;
  let sent = 0;
  const stderr = [];
  cgi.stderr.on("data", (d) => stderr.push(d));
  cgi.stdout.on("data", (chunk) => {
    if (!headersDone) {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      const headers = {};
      for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
        const i = line.indexOf(":");
        if (i < 0) continue;
        const name = line.slice(0, i).trim();
        const value = line.slice(i + 1).trim();
        if (name.toLowerCase() === "status") status = parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      chunk = head.subarray(end + 4);
    }
    if (corruptAt !== undefined && sent <= corruptAt && corruptAt < sent + chunk.length) {
      chunk = Buffer.from(chunk);
      chunk[corruptAt - sent] ^= 0xff;
    }
    if (cutAfter !== undefined && sent + chunk.length > cutAfter) {
      res.write(chunk.subarray(0, Math.max(0, cutAfter - sent)));
      cgi.kill("SIGKILL");
      res.socket?.destroy();
      return;
    }
    sent += chunk.length;
    if (!res.write(chunk)) {
      cgi.stdout.pause();
      res.once("drain", () => cgi.stdout.resume());
    }
  });
  cgi.on("close", (code) => {
    if (!headersDone) {
      res
        .writeHead(500, { "Content-Type": "text/plain" })
        .end(`git http-backend failed (${code}): ${Buffer.concat(stderr)}`);
    } else if (!res.destroyed) {
      res.end();
    }
  });
}

function runShell(root, req, res) {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d) => (body += d));
  req.on("end", () => {
    let input;
    try {
      input = JSON.parse(body);
    } catch {
      res.writeHead(400).end("expected JSON {script, cwd?, stdin?}");
      return;
    }
    const cwd = resolve(root, input.cwd ?? ".");
    if (cwd !== resolve(root) && !cwd.startsWith(resolve(root) + sep)) {
      res.writeHead(400).end("cwd escapes the root");
      return;
    }
    mkdirSync(cwd, { recursive: true });
    const child = spawn("bash", ["-euo", "pipefail", "-c", input.script], {
      cwd,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: "Forgeline Test",
        GIT_AUTHOR_EMAIL: "test@forgeline.invalid",
        GIT_COMMITTER_NAME: "Forgeline Test",
        GIT_COMMITTER_EMAIL: "test@forgeline.invalid",
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_SERVER_ROOT: resolve(root),
        ...(input.env ?? {}),
      },
    });
    const out = [];
    const err = [];
    child.stdout.on("data", (d) => out.push(d));
    child.stderr.on("data", (d) => err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), SHELL_TIMEOUT_MS);
    // A script that exits before its stdin is written must not take the server down (EPIPE).
    child.stdin.on("error", () => {});
    if (input.stdinBase64) child.stdin.end(Buffer.from(input.stdinBase64, "base64"));
    else child.stdin.end(input.stdin ?? "");
    child.on("close", (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out);
      res.writeHead(200, { "Content-Type": "application/json" }).end(
        JSON.stringify({
          code,
          stdout: stdout.toString("utf8"),
          stdoutBase64: input.binary ? stdout.toString("base64") : undefined,
          stderr: Buffer.concat(err).toString("utf8"),
        }),
      );
    });
  });
}

export function startGitServer(root, port = 0) {
  mkdirSync(root, { recursive: true });
  const switches = new Map();
  const hooks = new Map();
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const query = url.search.slice(1);
    let path = decodeURIComponent(url.pathname);
    if (path === "/_control/sh" && req.method === "POST") return runShell(root, req, res);
    if (path === "/_health") return res.writeHead(200).end("ok");
    let hook;
    if ((hook = /^\/_hook\/([^/]+)$/.exec(path)) && req.method === "POST") {
      const chunks = [];
      req.on("data", (d) => chunks.push(d));
      req.on("end", () => {
        const name = hook[1];
        hooks.set(name, [
          ...(hooks.get(name) ?? []),
          { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") },
        ]);
        const status = switches.get(name);
        res.writeHead(typeof status === "number" ? status : 200).end("recorded");
      });
      return;
    }
    if ((hook = /^\/_control\/hook\/([^/]+)$/.exec(path)))
      return res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify(hooks.get(hook[1]) ?? []));
    if (path === "/_control/switch" && req.method === "POST") {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const { name, status } = JSON.parse(body || "{}");
        if (typeof status === "string" && /^(cut|corrupt):\d+$/.test(status)) switches.set(name, status);
        else if (status) switches.set(name, Number(status));
        else switches.delete(name);
        res
          .writeHead(200, { "Content-Type": "application/json" })
          .end(JSON.stringify({ name, status: status ?? null }));
      });
      return;
    }
    let m;
    if ((m = /^\/_fault\/switch\/([^/]+)(\/.*)$/.exec(path))) {
      const status = switches.get(m[1]);
      if (!status) return runBackend(root, req, res, m[2], query);
      if (typeof status === "string") {
        const [fault, n] = status.split(":");
        return runBackend(
          root,
          req,
          res,
          m[2],
          query,
          fault === "cut" ? { cutAfter: Number(n) } : { corruptAt: Number(n) },
        );
      }
      req.resume();
      return res.writeHead(status, { "Content-Type": "text/plain" }).end(`switch ${m[1]}: HTTP ${status}\n`);
    }
    if ((m = /^\/_fault\/status\/(\d{3})(\/.*)$/.exec(path))) {
      req.resume();
      return res.writeHead(Number(m[1]), { "Content-Type": "text/plain" }).end(`fault: HTTP ${m[1]}\n`);
    }
    if ((m = /^\/_fault\/cut\/(\d+)(\/.*)$/.exec(path)))
      return runBackend(root, req, res, m[2], query, { cutAfter: Number(m[1]) });
    if ((m = /^\/_fault\/corrupt\/(\d+)(\/.*)$/.exec(path)))
      return runBackend(root, req, res, m[2], query, { corruptAt: Number(m[1]) });
    if ((m = /^\/_fault\/slow\/(\d+)(\/.*)$/.exec(path))) {
      const rest = m[2];
      return void setTimeout(() => runBackend(root, req, res, rest, query), Number(m[1]));
    }
    if (/^\/_fault\/dumb(\/.*)$/.test(path)) {
      req.resume();
      return res
        .writeHead(200, { "Content-Type": "text/plain" })
        .end("0000000000000000000000000000000000000000\trefs/heads/main\n");
    }
    if ((m = /^\/_auth\/([^/:]+):([^/]+)(\/.*)$/.exec(path))) {
      const expected = "Basic " + Buffer.from(`${m[1]}:${m[2]}`).toString("base64");
      if (req.headers.authorization !== expected) {
        req.resume();
        return res
          .writeHead(401, { "WWW-Authenticate": 'Basic realm="test"', "Content-Type": "text/plain" })
          .end("auth required\n");
      }
      return runBackend(root, req, res, m[3], query, { user: m[1] });
    }
    runBackend(root, req, res, path, query);
  });
  return new Promise((resolvePromise) => {
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${address.port}`,
        close: () => new Promise((r) => server.close(() => r())),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = process.argv[2];
  if (!root) {
    console.error("usage: node test/git-server.mjs <root> [port]");
    process.exit(2);
  }
  const { url } = await startGitServer(root, Number(process.argv[3] ?? 0));
  console.log(url);
}
