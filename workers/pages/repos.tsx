// Forges and repos: lists with search, filters and cursor pages; a repo's config, error, jobs and live event log.

import type { Hono } from "hono";
import type { PagesEnv } from "./context";
import { adminForm } from "./session";
import { Action, Pager, Status, Table, When, ago, jobHref, render, repoHref } from "./layout";

interface RepoRow {
  id: string;
  url: string;
  host: string;
  pipelines: Record<string, unknown>;
  error: { message: string; at: number | null; jobId?: string | null } | null;
  lastEventAt: number | null;
  createdAt: number;
  updatedAt: number;
}
interface ForgeRow {
  host: string;
  kind: string;
  baseUrl: string;
  hasToken: boolean;
  allowedCidrs: string[];
  autoRegister: Record<string, unknown> | null;
  reachable: boolean;
  lastFailure: string | null;
  downSince: number | null;
}
interface JobRow {
  id: string;
  kind: string;
  pipeline: string;
  status: string;
  phase: string;
  attempts: number;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
}
interface EventRow {
  id: string;
  type: string;
  kind: string;
  at: number;
  data: Record<string, unknown> | null;
  jobs: { id: string; kind: string; coalesced?: boolean }[];
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** The smallest ULID of millisecond `ms`: a cursor for "events since then" (event ids are time-ordered ULIDs). */
export function ulidFloor(ms: number): string {
  let t = Math.max(0, Math.floor(ms));
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return time + "0".repeat(16);
}

const SINCE: Record<string, number | null> = { hour: 3600_000, day: 86400_000, week: 7 * 86400_000, all: null };

/** A one-line summary of an event for the log table. */
export function eventSummary(e: EventRow): string {
  const d = (e.data ?? {}) as Record<string, unknown>;
  const parts = [
    d.ref,
    typeof d.after === "string" ? d.after.slice(0, 12) : null,
    d.action,
    d.pusher ? `by ${String(d.pusher)}` : null,
  ];
  const commits = Array.isArray(d.commits) ? d.commits : [];
  const first = commits[0] as { message?: unknown } | undefined;
  if (first && typeof first.message === "string") parts.push(`“${first.message.split("\n")[0]!.slice(0, 100)}”`);
  if (commits.length > 1) parts.push(`+${commits.length - 1} commits`);
  return parts.filter((p) => typeof p === "string" && p).join(" ");
}

export function repoPages(r: Hono<PagesEnv>): void {
  r.get("/repos", async (c) => {
    const q = new URLSearchParams();
    for (const k of ["host", "q", "error", "cursor"]) {
      const v = c.req.query(k);
      if (v) q.set(k, v);
    }
    q.set("limit", "50");
    const page = await c.var.api.get<{ repos: RepoRow[]; next: string | null }>(`/api/repos?${q}`);
    return render(c, "Repos", page, () => (
      <>
        <form class="filters" method="get" action="/repos" role="search">
          <label>
            URL contains
            <input name="q" value={c.req.query("q") ?? ""} maxlength={200} />
          </label>
          <label>
            forge
            <input name="host" value={c.req.query("host") ?? ""} />
          </label>
          <label>
            error
            <select name="error">
              {[
                ["", "any"],
                ["true", "with an error"],
                ["false", "without"],
              ].map(([v, t]) => (
                <option value={v} selected={(c.req.query("error") ?? "") === v}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <button type="submit">Filter</button>
        </form>
        <Table
          head={["repo", "forge", "pipelines", "error", "last event"]}
          rows={page.repos.length}
          empty="No repo matches."
        >
          {page.repos.map((repo) => (
            <tr>
              <td>
                <a href={repoHref(repo.id)}>{repo.url}</a>
              </td>
              <td>{repo.host}</td>
              <td>{Object.keys(repo.pipelines).join(", ")}</td>
              <td class="bad">{repo.error?.message ?? ""}</td>
              <td>{ago(repo.lastEventAt)}</td>
            </tr>
          ))}
        </Table>
        <Pager c={c} next={page.next} />
      </>
    ));
  });

  r.get("/repos/:id", async (c) => {
    const id = c.req.param("id");
    const since = c.req.query("since") && c.req.query("since")! in SINCE ? c.req.query("since")! : "day";
    const window = SINCE[since];
    const after = c.req.query("after") || (window ? ulidFloor(Date.now() - window) : "");
    const api = c.var.api;
    const [{ repo }, jobs, events] = await Promise.all([
      api.get<{ repo: RepoRow }>(`/api/repos/${encodeURIComponent(id)}`),
      api.get<{ jobs: JobRow[]; next: string | null }>(`/api/jobs?repo=${encodeURIComponent(id)}&limit=60`),
      api.get<{ events: EventRow[]; next: string | null; willBlock: boolean }>(
        `/api/repos/${encodeURIComponent(id)}/events?after=${after}&limit=50`,
      ),
    ]);
    const byPipeline = new Map<string, JobRow[]>();
    for (const j of jobs.jobs) byPipeline.set(j.pipeline, [...(byPipeline.get(j.pipeline) ?? []), j]);
    const watch = `/api/repos/${encodeURIComponent(id)}/events/watch`;
    const data = { repo, jobs: jobs.jobs, events };
    return render(c, repo.url, data, () => (
      <>
        <dl class="facts">
          <dt>id</dt>
          <dd class="mono">{repo.id}</dd>
          <dt>forge</dt>
          <dd>
            <a href={`/forges/${encodeURIComponent(repo.host)}`}>{repo.host}</a>
          </dd>
          <dt>registered</dt>
          <dd>
            <When ms={repo.createdAt} />
          </dd>
          <dt>last event</dt>
          <dd>
            <When ms={repo.lastEventAt} /> <span class="muted">({ago(repo.lastEventAt)})</span>
          </dd>
          {Object.hasOwn(repo.pipelines, "archive") ? (
            <>
              <dt>archive</dt>
              <dd>
                <a href={`/archive/origin?url=${encodeURIComponent(repo.url)}`}>visits of this origin</a>
              </dd>
            </>
          ) : null}
        </dl>

        <h2>Current error</h2>
        {repo.error ? (
          <>
            <p class="flash error">
              {repo.error.message} <When ms={repo.error.at} />
              {repo.error.jobId ? (
                <>
                  {" "}
                  (<a href={jobHref(repo.error.jobId)}>job</a>)
                </>
              ) : null}
            </p>
            <Action c={c} action={`/repos/${encodeURIComponent(repo.id)}/clear-error`} label="Clear error" />
          </>
        ) : (
          <p class="ok">None.</p>
        )}

        <h2>Configuration</h2>
        <pre>{JSON.stringify(repo.pipelines, null, 2)}</pre>

        <h2>Jobs per pipeline</h2>
        {byPipeline.size === 0 ? <p class="muted">No jobs yet.</p> : null}
        {[...byPipeline].map(([pipeline, list]) => (
          <>
            <h3>
              {pipeline}{" "}
              <a href={`/jobs?repo=${encodeURIComponent(repo.id)}&kind=${encodeURIComponent(list[0]!.kind)}`}>all</a>
            </h3>
            <Table head={["job", "kind", "status", "phase", "attempts", "created", "error"]} rows={list.length}>
              {list.slice(0, 10).map((j) => (
                <tr>
                  <td>
                    <a class="mono" href={jobHref(j.id)}>
                      {j.id}
                    </a>
                  </td>
                  <td>{j.kind}</td>
                  <td>
                    <Status s={j.status} />
                  </td>
                  <td>{j.phase}</td>
                  <td>{j.attempts}</td>
                  <td>{ago(j.createdAt)}</td>
                  <td>{j.error ?? ""}</td>
                </tr>
              ))}
            </Table>
          </>
        ))}

        <h2>Event log</h2>
        <p>
          {Object.keys(SINCE).map((s) => (
            <>
              <a href={`${repoHref(repo.id)}?since=${s}`} aria-current={s === since ? "page" : undefined}>
                {s === "all" ? "from the start" : `last ${s}`}
              </a>{" "}
            </>
          ))}
          {events.willBlock ? (
            <span id="watch-status" class="muted">
              up to date
            </span>
          ) : null}
        </p>
        <div class="scroll">
          <table
            data-watch={events.willBlock ? watch : undefined}
            data-after={events.next ?? after}
            data-status="watch-status"
            id="events"
          >
            <thead>
              <tr>
                <th scope="col">at</th>
                <th scope="col">event</th>
                <th scope="col">what</th>
                <th scope="col">jobs</th>
              </tr>
            </thead>
            <tbody>
              {events.events.map((e) => (
                <tr data-id={e.id}>
                  <td class="mono">
                    <When ms={e.at} />
                  </td>
                  <td>{`${e.type} ${e.kind}`}</td>
                  <td>{eventSummary(e)}</td>
                  <td>
                    {e.jobs.map((j) => (
                      <>
                        <a href={jobHref(j.id)}>{j.kind}</a>{" "}
                      </>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {events.events.length === 0 ? <p class="muted">No events in this window.</p> : null}
        {!events.willBlock && events.next ? (
          <nav class="pager">
            <a href={`${repoHref(repo.id)}?after=${encodeURIComponent(events.next)}`} rel="next">
              later events »
            </a>
          </nav>
        ) : null}
      </>
    ));
  });

  r.post("/repos/:id/clear-error", async (c) => {
    await adminForm(c);
    const id = c.req.param("id");
    await c.var.api.send("DELETE", `/api/repos/${encodeURIComponent(id)}/error`);
    return c.redirect(`${repoHref(id)}?done=${encodeURIComponent("Error cleared.")}`, 303);
  });

  r.get("/forges", async (c) => {
    const { forges } = await c.var.api.get<{ forges: ForgeRow[] }>("/api/forges");
    return render(c, "Forges", { forges }, () => (
      <Table
        head={["forge", "kind", "state", "token", "auto-register", "repos"]}
        rows={forges.length}
        empty="No forge is registered yet."
      >
        {forges.map((f) => (
          <tr>
            <td>
              <a href={`/forges/${encodeURIComponent(f.host)}`}>{f.host}</a>
            </td>
            <td>{f.kind}</td>
            <td>
              {f.reachable ? <span class="badge ok">up</span> : <span class="badge bad">down {ago(f.downSince)}</span>}
            </td>
            <td>{f.hasToken ? "set" : "none"}</td>
            <td>{f.autoRegister ? Object.keys(f.autoRegister).join(", ") || "yes" : "off"}</td>
            <td>
              <a href={`/repos?host=${encodeURIComponent(f.host)}`}>repos</a>
            </td>
          </tr>
        ))}
      </Table>
    ));
  });

  r.get("/forges/:host", async (c) => {
    const host = c.req.param("host");
    const data = await c.var.api.get<{ forge: ForgeRow; reachability: unknown }>(
      `/api/forges/${encodeURIComponent(host)}`,
    );
    const f = data.forge;
    return render(c, f.host, data, () => (
      <>
        <dl class="facts">
          <dt>kind</dt>
          <dd>{f.kind}</dd>
          <dt>base URL</dt>
          <dd>{f.baseUrl}</dd>
          <dt>state</dt>
          <dd>
            {f.reachable ? (
              <span class="badge ok">up</span>
            ) : (
              <span class="badge bad">down since {ago(f.downSince)}</span>
            )}
          </dd>
          <dt>last failure</dt>
          <dd>{f.lastFailure ?? "—"}</dd>
          <dt>token</dt>
          <dd>{f.hasToken ? "set (never shown)" : "none"}</dd>
          <dt>webhook sources</dt>
          <dd>{f.allowedCidrs.length ? f.allowedCidrs.join(", ") : "any"}</dd>
          <dt>auto-register</dt>
          <dd>{f.autoRegister ? <code>{JSON.stringify(f.autoRegister)}</code> : "off"}</dd>
        </dl>
        <h2>Reachability</h2>
        <pre>{JSON.stringify(data.reachability, null, 2)}</pre>
        <p>
          <a href={`/repos?host=${encodeURIComponent(f.host)}`}>Repos of this forge</a>{" "}
          <Action c={c} action={`/forges/${encodeURIComponent(f.host)}/preflight`} label="Check reachability now" />
        </p>
      </>
    ));
  });

  r.post("/forges/:host/preflight", async (c) => {
    await adminForm(c);
    const host = c.req.param("host");
    await c.var.api.send("POST", `/api/forges/${encodeURIComponent(host)}/preflight`);
    return c.redirect(`/forges/${encodeURIComponent(host)}?done=${encodeURIComponent("Reachability checked.")}`, 303);
  });
}
