// Job progress: the generic report (core/progress.ts) kept by the JobObject, filled by a real archive visit of a
// repo built with git (objects parsed of the pack's count), and shown on the job's page and in its JSON.

import { describe, expect, it } from "vitest";
import { call, json } from "../support/http";
import { nextProgress } from "../../workers/core/progress";
import { progressRate } from "../../workers/pages/jobs";
import { gitObjects, makeRepo, repoName, visit } from "../archive/visit-support";

describe("progress records", () => {
  it("keep the phase's start so that rate and time left can be read; a new phase starts its own clock", () => {
    const a = nextProgress(null, { phase: "parsing", done: 0, total: 1000, unit: "objects" }, 1_000);
    const b = nextProgress(a, { phase: "parsing", done: 400, total: 1000, unit: "objects" }, 3_000);
    expect(b).toMatchObject({ since: 1_000, sinceDone: 0, done: 400, total: 1000 });
    expect(progressRate(b)).toEqual({ rate: 200, etaSeconds: 3 });
    const c = nextProgress(b, { phase: "storing", done: 10 }, 4_000);
    expect(c).toMatchObject({ phase: "storing", since: 4_000, sinceDone: 10, total: null, unit: null });
    expect(progressRate(c)).toEqual({ rate: null, etaSeconds: null });
  });

  it("make nonsense numbers harmless and cut long names", () => {
    const p = nextProgress(null, { phase: "x".repeat(500), done: Number.NaN, total: -5, unit: "u".repeat(99) }, 5);
    expect(p).toMatchObject({ done: 0, total: 0 });
    expect(p.phase.length).toBe(80);
    expect(p.unit!.length).toBe(20);
  });
});

describe("an archive visit reports its progress", () => {
  it("counts the objects of the pack as it parses them, and the job page shows it", async () => {
    const name = repoName("progress");
    const repo = await makeRepo(
      name,
      `for i in $(seq 1 600); do printf 'file %s\\n' "$i" > "f$i.txt"; done
git add -A && git commit -q -m "six hundred files"`,
    );
    const objects = await gitObjects(repo.bare);
    expect(objects.size).toBeGreaterThan(600);
    const job = await visit(repo.url);
    expect(job.status).toBe("full");
    const { body } = await json(call(`/api/jobs/${job.id}`));
    expect(body.job.progress).toMatchObject({
      phase: "parsing and storing",
      done: objects.size,
      total: objects.size,
      unit: "objects",
    });

    const page = await (await call(`/jobs/${job.id}`, { headers: { Accept: "text/html" } })).text();
    expect(page).toContain(`<progress max="${objects.size}" value="${objects.size}">`);
    expect(page).toContain(`${objects.size} / ${objects.size} objects`);
    // A settled job is not polled.
    expect(page).not.toContain(`data-job="${job.id}"`);
    const asJson = await json(call(`/jobs/${job.id}`, { headers: { Accept: "application/json" } }));
    expect(asJson.body.job.progress.done).toBe(objects.size);
    expect(asJson.body.job.transitions.map((t: { to: string }) => t.to)).toEqual(["created", "ongoing", "full"]);
  });
});
