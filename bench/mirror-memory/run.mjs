// Peak RSS of workerd while one piece of the mirror's pipeline streams N MiB, each in a fresh workerd:
//   node bench/mirror-memory/run.mjs age:64 gzip:64 pako:64 gunzip:64 pakogunzip:64 r2:64
// It is how gzip.ts came to use pako: the native (de)compression streams grow RSS with the bytes passed.
import { unstable_startWorker } from "wrangler";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
process.env.WRANGLER_SEND_METRICS = "false";
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
const state = mkdtempSync(join(tmpdir(), "forgeline-mirror-memory-"));
const pids = () =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return (
          readFileSync(`/proc/${p}/cmdline`, "utf8").includes("workerd") &&
          readFileSync(`/proc/${p}/status`, "utf8").includes(`PPid:\t${process.pid}`)
        );
      } catch {
        return false;
      }
    });
for (const what of process.argv.slice(2)) {
  const w = await unstable_startWorker({
    config: new URL("./wrangler.toml", import.meta.url).pathname,
    dev: {
      inspector: false,
      persist: state,
      watch: false,
      server: { hostname: "127.0.0.1", port: 8799 },
      logLevel: "warn",
    },
  });
  await w.ready;
  const rss = (k) =>
    Math.max(
      ...pids().map(
        (p) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(readFileSync(`/proc/${p}/status`, "utf8"))[1]) / 1024,
      ),
    );
  const idle = rss("VmRSS");
  const t = Date.now();
  const body = await (await fetch(`http://127.0.0.1:8799/${what.replace(":", "?mb=")}`)).text();
  console.log(
    what,
    "bytes",
    body,
    "idle",
    idle.toFixed(0),
    "MiB; peak",
    rss("VmHWM").toFixed(0),
    "MiB;",
    Date.now() - t,
    "ms",
  );
  await w.dispose();
}
rmSync(state, { recursive: true, force: true });
