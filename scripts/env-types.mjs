// Generates the Worker's Env type (worker-configuration.d.ts) with `wrangler types` from wrangler.toml and the
// secrets named in .dev.vars.example; `--check` fails when regenerating would change the checked-in file.
// .dev.vars.example, not .dev.vars: a developer's own .dev.vars must not change the generated type.

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const file = join(root, "worker-configuration.d.ts");
const check = process.argv.includes("--check");
const before = existsSync(file) ? readFileSync(file, "utf8") : null;

execFileSync(
  process.execPath,
  [
    join(root, "node_modules/wrangler/bin/wrangler.js"),
    "types",
    "--include-runtime=false",
    "--strict-vars=false",
    "--env-file",
    ".dev.vars.example",
  ],
  {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
  },
);
const after = readFileSync(file, "utf8");

if (check) {
  // `wrangler types --check` compares only a hash and ignores --env-file, so compare the text ourselves.
  if (before === null) unlinkSync(file);
  else writeFileSync(file, before);
  if (before !== after) {
    console.error(
      "worker-configuration.d.ts is out of date with wrangler.toml / .dev.vars.example: run `npm run types`",
    );
    process.exit(1);
  }
  console.log("worker-configuration.d.ts is current");
} else {
  console.log("worker-configuration.d.ts written");
}
