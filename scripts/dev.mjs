// `npm start`: applies the local D1 migrations, then runs the whole system with `wrangler dev` on
// http://127.0.0.1:8787 (state persisted under .wrangler/). Settings come from .dev.vars, or from
// .dev.vars.example when there is none. Extra arguments go to `wrangler dev` (`npm start -- --port 9000`).
// wrangler dev does not fire cron triggers locally, so this script ticks the scheduled handler once a
// minute itself (FORGELINE_CRON=off turns that off). No telemetry, no network.

import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };
const args = process.argv.slice(2);

const settings = existsSync(join(root, ".dev.vars")) ? [] : ["--env-file", ".dev.vars.example"];
if (settings.length) console.log("forgeline: no .dev.vars, using the defaults in .dev.vars.example");

const migrate = spawnSync(wrangler, ["d1", "migrations", "apply", "DB", "--local"], {
  cwd: root,
  env: { ...env, CI: "true" }, // no confirmation prompt
  stdio: "inherit",
});
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

/** The value of `--flag v` or `--flag=v` among the arguments. */
function option(flag) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === flag) return args[i + 1];
    if (args[i].startsWith(`${flag}=`)) return args[i].slice(flag.length + 1);
  }
  return undefined;
}
const ip = option("--ip") ?? "127.0.0.1";
const port = option("--port") ?? "8787";
const defaults = [...(option("--ip") ? [] : ["--ip", ip]), ...(option("--port") ? [] : ["--port", port])];
const dev = spawn(wrangler, ["dev", ...defaults, ...settings, ...args], { cwd: root, env, stdio: "inherit" });

let ticker;
if (process.env.FORGELINE_CRON !== "off") {
  const host = ip === "0.0.0.0" ? "127.0.0.1" : ip;
  ticker = setInterval(() => {
    fetch(`http://${host}:${port}/cdn-cgi/handler/scheduled?cron=${encodeURIComponent("* * * * *")}`).catch(() => {});
  }, 60_000);
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code, signal) => {
  clearInterval(ticker);
  process.exit(code ?? (signal ? 1 : 0));
});
