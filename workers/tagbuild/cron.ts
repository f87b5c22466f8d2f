// The tag-build cron: retries jobs that failed while their forge was down once a preflight finds it up
// (the preflight runs at increasing intervals in the forge's ForgeObject), and prunes job rows older than
// TAG_MAX_AGE (kept at least that long: replay protection depends on them).

import type { Env } from "../env";
import type { CronTask } from "../core/pipeline";
import { messageOf } from "../core/errors";
import { remote } from "../core/remote";
import type { ForgeObject, Reachability } from "../../durable-objects/forge";
import type { JobObject } from "../../durable-objects/job";
import { tagbuildSettings } from "./settings";
import { dueForRetry, pruneBefore, updateRow } from "./store";

export interface CronReport {
  retried: string[];
  stillDown: string[];
  pruned: number;
}

export async function runTagbuildCron(env: Env, now: number): Promise<CronReport> {
  const report: CronReport = { retried: [], stillDown: [], pruned: 0 };
  const due = await dueForRetry(env.DB, now);
  const forges = new Map<string, Reachability | null>();
  for (const row of due) {
    if (!forges.has(row.host)) {
      const forge = remote<ForgeObject>(env.FORGE, row.host);
      let state: Reachability | null = await forge.status(row.host);
      // The ForgeObject's own alarm runs the preflight; run it here too if it is overdue.
      if (!state.up && state.nextPreflightAt !== null && state.nextPreflightAt <= now) state = await forge.preflight();
      forges.set(row.host, state);
    }
    const forge = forges.get(row.host);
    if (forge && !forge.up) {
      await updateRow(env.DB, row.id, { retryEarliest: forge.nextPreflightAt ?? now + 60_000 });
      report.stillDown.push(row.id);
      continue;
    }
    const outcome = await remote<JobObject>(env.JOB, row.id).retry(`forge ${row.host} is reachable again`, false);
    if (outcome.ok) {
      await updateRow(env.DB, row.id, { status: "noticed", retryEarliest: null });
      report.retried.push(row.id);
    } else {
      // Not failed any more (e.g. already retried): the row caught up late; stop offering it.
      await updateRow(env.DB, row.id, { retryEarliest: null });
      console.warn(`tagbuild cron: job ${row.id} not retried: ${outcome.message}`);
    }
  }
  // A tag may be dated up to TAG_SLOP ahead, so it stays acceptable that much longer: keep its row as long.
  const settings = tagbuildSettings(env);
  report.pruned = await pruneBefore(env.DB, now - settings.maxAgeMs - settings.slopMs);
  return report;
}

export const tagbuildCron: CronTask = {
  name: "tagbuild",
  async run(env, now) {
    try {
      await runTagbuildCron(env, now);
    } catch (err) {
      console.error(`tagbuild cron: ${messageOf(err)}`);
      throw err;
    }
  },
};
