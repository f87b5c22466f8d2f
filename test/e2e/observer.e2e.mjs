// The reference observer end to end on the real system: `wrangler dev`, the loopback git server, repos built with
// the git CLI, and observer processes. A move between two observers' prefixes ends with one shadow at the new place
// holding every commit; an observer killed mid-load and restarted does each action once; a frozen shadow is
// read-only; a bad root or a foreign directory where a shadow should be is refused. Runs in Node (vitest.e2e.config.ts).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  OBSERVER_TOKENS,
  api,
  commit,
  deliverPush,
  git,
  kill,
  makeRepo,
  startObserver,
  startSystem,
  until,
} from "./observer-system.mjs";

let sys;
const observers = [];

beforeAll(async () => {
  sys = await startSystem({ port: 8850, vars: { WORKFLOW_OBSERVER_SECONDS: "120" } });
});

afterAll(async () => {
  for (const o of observers) kill(o);
  await sys?.stop();
});

async function register(path, commits = 1) {
  const repo = makeRepo(sys.gitRoot, path, commits);
  const url = `${sys.git}/${path}`;
  const made = await api(sys.base, "POST", "/api/repos", { url, pipelines: {} });
  return { ...repo, url, path, id: made.repo.id };
}

const shadow = (dir, path, id) => join(dir, sys.host, ...path.split("/"), `${id}.git`);
const head = (gitDir) => git(["--git-dir", gitDir, "rev-parse", "refs/heads/main"]);
const loaded = (o) => until(async () => o.statuses.find((s) => s.status === "loaded"), 120_000, "observer loaded");

async function workflowState(id) {
  return (await api(sys.base, "GET", `/api/workflows/${id}`)).workflow.state;
}

describe("the reference observer", () => {
  it("follows pushes, and a move between two observers' prefixes ends with one shadow at the new place", async () => {
    const dirA = mkdtempSync(join(tmpdir(), "observer-a-"));
    const dirB = mkdtempSync(join(tmpdir(), "observer-b-"));
    const r = await register("team-a/widget", 2);
    const a = startObserver(sys, { token: OBSERVER_TOKENS[0], prefixes: ["team-a"], root: dirA, viaNpx: true });
    const b = startObserver(sys, { token: OBSERVER_TOKENS[1], prefixes: ["team-b/"], root: dirB });
    observers.push(a, b);
    await Promise.all([loaded(a), loaded(b)]);
    const atA = shadow(dirA, r.path, r.id);
    expect(head(atA)).toBe(git(["rev-parse", "HEAD"], r.work));

    // A push reaches the shadow.
    const pushed = commit(r.work, "third");
    await deliverPush(sys.base, r.url, pushed);
    await until(async () => head(atA) === pushed, 30_000, "shadow fetched the push");

    // The forge renames the repo into the other team; Forgeline is told to move it.
    mkdirSync(join(sys.gitRoot, "team-b"), { recursive: true });
    renameSync(r.bare, join(sys.gitRoot, "team-b", "widget.git"));
    git(["remote", "set-url", "origin", join(sys.gitRoot, "team-b", "widget.git")], r.work);
    const moved = await api(sys.base, "POST", `/api/repos/${r.id}/move`, { url: `${sys.git}/team-b/widget` });
    await until(async () => (await workflowState(moved.workflow)) === "committed", 60_000, "move committed");
    const events = (await api(sys.base, "GET", `/api/workflows/${moved.workflow}/events`)).events;
    expect(events.map((e) => e.kind)).toEqual(["move_started", "released", "acquired", "moved", "committed"]);
    expect(events[1].data.by).toMatch(/^observer-1/);
    expect(events[2].data.by).toMatch(/^observer-2/);
    const atB = shadow(dirB, "team-b/widget", r.id);
    await until(async () => !existsSync(atA) && existsSync(atB), 30_000, "one shadow, at the new place");
    expect(head(atB)).toBe(pushed);
    expect(git(["--git-dir", atB, "rev-list", "--count", "refs/heads/main"])).toBe("3");

    // Pushes after the move reach the new shadow.
    const later = commit(r.work, "fourth");
    await deliverPush(sys.base, `${sys.git}/team-b/widget`, later);
    await until(async () => head(atB) === later, 30_000, "new shadow fetched");
    expect(existsSync(join(dirA, sys.host, "team-a"))).toBe(false);
  });

  it("killed mid-load and restarted, does each action once; a repo added, moved twice and frozen is cloned once, read-only", async () => {
    const dir = mkdtempSync(join(tmpdir(), "observer-c-"));
    const log = join(dir, "..", `${dir.split("/").pop()}-actions.jsonl`);
    const repos = [];
    for (let i = 0; i < 12; i++) repos.push(await register(`team-c/r${i}`, 2));
    // Before the observer starts: x is moved to y, then to z, then frozen (the observer halves posted by hand).
    const x = await register("team-c/x", 3);
    for (const to of ["y", "z"]) {
      const from = existsSync(join(sys.gitRoot, "team-c", "x.git")) ? "x" : "y";
      renameSync(join(sys.gitRoot, "team-c", `${from}.git`), join(sys.gitRoot, "team-c", `${to}.git`));
      const wf = (await api(sys.base, "POST", `/api/repos/${x.id}/move`, { url: `${sys.git}/team-c/${to}` })).workflow;
      for (const event of ["released", "acquired"])
        await api(sys.base, "POST", `/api/workflows/${wf}/events`, { event }, OBSERVER_TOKENS[2]);
      await until(async () => (await workflowState(wf)) === "committed", 30_000, "move committed");
    }
    const fz = (await api(sys.base, "POST", `/api/repos/${x.id}/freeze`)).workflow;
    await until(async () => (await workflowState(fz)) === "completed", 30_000, "frozen");

    // One append per action (the event and its newline in one write): actions of different repos run at once.
    const exec = `printf '%s\\n' "$(cat)" >> '${log}'`;
    const first = startObserver(sys, {
      token: OBSERVER_TOKENS[2],
      prefixes: ["team-c/"],
      root: dir,
      exec,
      extra: ["--repo-concurrency", "1"],
    });
    observers.push(first);
    await until(
      async () => existsSync(log) && readFileSync(log, "utf8").trim().split("\n").length >= 3,
      60_000,
      "some actions done",
    );
    kill(first);
    await first.exited;
    expect(first.statuses.some((s) => s.status === "loaded")).toBe(false); // killed mid-load
    const second = startObserver(sys, { token: OBSERVER_TOKENS[2], prefixes: ["team-c/"], root: dir, exec });
    observers.push(second);
    await loaded(second);
    await until(async () => readFileSync(log, "utf8").trim().split("\n").length >= 14, 30_000, "all actions");

    const actions = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const keys = actions.map((a) => `${a.action} ${a.repo}`);
    expect(new Set(keys).size).toBe(keys.length); // each action once
    for (const r of [...repos, x]) expect(keys).toContain(`init ${r.id}`);
    expect(keys.filter((k) => k.endsWith(x.id))).toEqual([`init ${x.id}`, `freeze ${x.id}`]);
    for (const r of repos) expect(head(shadow(dir, r.path, r.id))).toBe(git(["rev-parse", "HEAD"], r.work));

    // x: one shadow, at its final place, with all commits, read-only.
    const atZ = shadow(dir, "team-c/z", x.id);
    expect(existsSync(shadow(dir, "team-c/x", x.id)) || existsSync(shadow(dir, "team-c/y", x.id))).toBe(false);
    expect(git(["--git-dir", atZ, "rev-list", "--count", "refs/heads/main"])).toBe("3");
    for (const p of [atZ, join(atZ, "objects"), join(atZ, "HEAD")]) expect(statSync(p).mode & 0o222).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, ".forgeline-observer.json"), "utf8"));
    expect(saved.repos[x.id]).toMatchObject({ path: "team-c/z", frozen: true });

    // Unfrozen: writable again.
    const thaw = (await api(sys.base, "POST", `/api/repos/${x.id}/unfreeze`)).workflow;
    await until(async () => (await workflowState(thaw)) === "completed", 30_000, "unfrozen");
    await until(async () => (statSync(atZ).mode & 0o200) !== 0, 30_000, "shadow writable");
    kill(second);
  });

  it("refuses a root it cannot write, and stores an error for a foreign directory where a shadow belongs, deleting nothing", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "observer-bad-")), "a-file");
    writeFileSync(file, "");
    const bad = startObserver(sys, { token: OBSERVER_TOKENS[2], prefixes: ["team-d/"], root: join(file, "root") });
    observers.push(bad);
    expect(await bad.exited).toBe(1);
    expect(bad.stderrText).toMatch(/observer root .* is not writable/);

    const r = await register("team-d/occupied");
    const dir = mkdtempSync(join(tmpdir(), "observer-d-"));
    const there = shadow(dir, r.path, r.id);
    mkdirSync(there, { recursive: true });
    writeFileSync(join(there, "precious.txt"), "keep me\n");
    const o = startObserver(sys, { token: OBSERVER_TOKENS[2], prefixes: ["team-d/"], root: dir });
    observers.push(o);
    const repo = await until(
      async () => {
        const got = (await api(sys.base, "GET", `/api/repos/${r.id}`)).repo;
        return got.error ? got : undefined;
      },
      60_000,
      "error stored",
    );
    expect(repo.error.message).toMatch(/not a git repository/);
    expect(readFileSync(join(there, "precious.txt"), "utf8")).toBe("keep me\n");
    kill(o);
  });
});
