// GET /api/mirrors/metrics in Prometheus text format: each role's runs, failures and last run, and per
// mirror how far its destination lags (the age of the last applied commit) and whether it is in error.

import type { MirrorRow } from "./store";

export interface RunStat {
  role: string;
  runs: number;
  failures: number;
  lastStatus: string;
  lastStartedAt: number;
  lastDurationMs: number;
}

export function renderMetrics(runs: RunStat[], specs: MirrorRow[], now: number): string {
  const out: string[] = [];
  const family = (name: string, type: string, help: string, samples: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  const roles = ["producer", "consumer"].map((role) => runs.find((r) => r.role === role) ?? null);
  const perRole = (f: (r: RunStat) => number) =>
    roles.flatMap((r, i) => (r ? [`{role="${["producer", "consumer"][i]}"} ${f(r)}`] : []));
  family(
    "forgeline_mirror_runs_total",
    "counter",
    "Runs of each role (job attempts and reconciles).",
    perRole((r) => r.runs).map((s) => `forgeline_mirror_runs_total${s}`),
  );
  family(
    "forgeline_mirror_failures_total",
    "counter",
    "Failed runs of each role.",
    perRole((r) => r.failures).map((s) => `forgeline_mirror_failures_total${s}`),
  );
  family(
    "forgeline_mirror_last_run_success",
    "gauge",
    "1 when the role's last run succeeded, 0 when it failed.",
    perRole((r) => (r.lastStatus === "ok" ? 1 : 0)).map((s) => `forgeline_mirror_last_run_success${s}`),
  );
  family(
    "forgeline_mirror_last_run_duration_seconds",
    "gauge",
    "Duration of the role's last run.",
    perRole((r) => r.lastDurationMs / 1000).map((s) => `forgeline_mirror_last_run_duration_seconds${s}`),
  );
  family(
    "forgeline_mirror_last_run_timestamp_seconds",
    "gauge",
    "Start of the role's last run, Unix time.",
    perRole((r) => Math.floor(r.lastStartedAt / 1000)).map((s) => `forgeline_mirror_last_run_timestamp_seconds${s}`),
  );
  const labels = (m: MirrorRow) =>
    `mirror="${esc(m.id)}",group="${esc(m.group)}",project="${esc(m.project)}",branch="${esc(m.destinationBranch)}"`;
  family(
    "forgeline_mirror_last_applied_commit_age_seconds",
    "gauge",
    "Age of the commit last pushed to the destination (how far it lags); absent until one was applied.",
    specs
      .filter((m) => m.appliedAt !== null)
      .map(
        (m) =>
          `forgeline_mirror_last_applied_commit_age_seconds{${labels(m)}} ${Math.max(0, Math.round((now - (m.appliedCommitTime ?? m.appliedAt!)) / 1000))}`,
      ),
  );
  family(
    "forgeline_mirror_last_applied_timestamp_seconds",
    "gauge",
    "When the consumer last pushed to the destination, Unix time.",
    specs
      .filter((m) => m.appliedAt !== null)
      .map((m) => `forgeline_mirror_last_applied_timestamp_seconds{${labels(m)}} ${Math.floor(m.appliedAt! / 1000)}`),
  );
  family(
    "forgeline_mirror_error",
    "gauge",
    "1 when the role's last attempt for this mirror failed.",
    specs.flatMap((m) => [
      `forgeline_mirror_error{${labels(m)},role="producer"} ${m.produceError ? 1 : 0}`,
      `forgeline_mirror_error{${labels(m)},role="consumer"} ${m.applyError ? 1 : 0}`,
    ]),
  );
  return out.join("\n") + "\n";
}

function esc(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
