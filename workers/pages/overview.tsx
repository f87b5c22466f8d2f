// The overview: the whole system at a glance for whoever is on call.

import type { Hono } from "hono";
import type { PagesEnv } from "./context";
import { overview } from "./stats";
import { modules } from "../pipelines";

/** The job kinds of a pipeline, to link to their job lists. */
const kindsOf = (pipeline: string) =>
  modules.find((m) => m.pipeline.name === pipeline)?.pipeline.kinds.map((k) => k.kind) ?? [];
import { mayRead } from "./access";
import { DayChart } from "./chart";
import { Status, Table, When, ago, jobHref, render, repoHref } from "./layout";

export function overviewPages(r: Hono<PagesEnv>): void {
  r.get("/", async (c) => {
    const o = await overview(c.env);
    const session = c.var.session;
    const data = {
      ...o,
      lastErrors: o.lastErrors.filter((e) => mayRead(session, { id: e.repoId, url: e.repoUrl })),
      repoErrors: o.repoErrors.filter((e) => mayRead(session, e)),
    };
    const down = data.forges.filter((f) => !f.reachable);
    const totalRepos = data.reposByForge.reduce((s, f) => s + f.repos, 0);
    const phase = (p: string) => data.active.filter((a) => a.phase === p).reduce((s, a) => s + a.jobs, 0);
    const hourFailed = data.finished.reduce((s, f) => s + (f.hourFailed ?? 0), 0);
    const dayFailed = data.finished.reduce((s, f) => s + (f.dayFailed ?? 0), 0);
    return render(c, "Overview", data, () => (
      <>
        <section class="cards" aria-label="At a glance">
          <div class="card">
            <div class="n">{totalRepos}</div>repos on {data.reposByForge.length} forges
          </div>
          <div class={`card ${down.length ? "bad" : "ok"}`}>
            <div class="n">{down.length ? `${down.length} down` : "all up"}</div>forges ({data.forges.length})
          </div>
          <div class="card">
            <div class="n run">{phase("running")}</div>jobs running · {phase("queued")} queued · {phase("held")} held
          </div>
          <div class="card">
            <div class="n warn">{phase("waiting")}</div>jobs waiting for a retry
          </div>
          <div class={`card ${hourFailed ? "bad" : ""}`}>
            <div class="n">{hourFailed}</div>failed in the last hour · {dayFailed} in the day
          </div>
        </section>

        <h2>Jobs per pipeline</h2>
        <Table
          head={[
            "pipeline",
            "running",
            "queued",
            "held",
            "waiting",
            "finished 1 h",
            "failed 1 h",
            "finished 24 h",
            "failed 24 h",
          ]}
          rows={Object.keys(data.hourly).length}
        >
          {Object.keys(data.hourly).map((p) => {
            const n = (ph: string) => data.active.find((a) => a.pipeline === p && a.phase === ph)?.jobs ?? 0;
            const f = data.finished.find((x) => x.pipeline === p);
            return (
              <tr>
                <td>
                  {p}{" "}
                  {kindsOf(p).map((k) => (
                    <>
                      <a href={`/jobs?kind=${encodeURIComponent(k)}`}>{k === p ? "jobs" : k}</a>{" "}
                    </>
                  ))}
                </td>
                <td>{n("running")}</td>
                <td>{n("queued")}</td>
                <td>{n("held")}</td>
                <td>{n("waiting")}</td>
                <td>{f?.hour ?? 0}</td>
                <td class={f?.hourFailed ? "bad" : undefined}>{f?.hourFailed ?? 0}</td>
                <td>{f?.day ?? 0}</td>
                <td class={f?.dayFailed ? "bad" : undefined}>{f?.dayFailed ?? 0}</td>
              </tr>
            );
          })}
        </Table>

        <h2>Last 24 hours</h2>
        <div class="charts">
          {Object.entries(data.hourly).map(([name, day]) => (
            <DayChart name={name} day={day} />
          ))}
        </div>

        <h2>Forges</h2>
        <Table
          head={["forge", "kind", "state", "repos", "last failure"]}
          rows={data.forges.length}
          empty="No forge is registered yet."
        >
          {data.forges.map((f) => (
            <tr>
              <td>
                <a href={`/forges/${encodeURIComponent(f.host)}`}>{f.host}</a>
              </td>
              <td>{f.kind}</td>
              <td>
                {f.reachable ? (
                  <span class="badge ok">up</span>
                ) : (
                  <span class="badge bad">down {ago(f.downSince)}</span>
                )}
              </td>
              <td>
                <a href={`/repos?host=${encodeURIComponent(f.host)}`}>
                  {data.reposByForge.find((r) => r.host === f.host)?.repos ?? 0}
                </a>
              </td>
              <td>{f.lastFailure ?? ""}</td>
            </tr>
          ))}
        </Table>

        <h2>Repos with an error</h2>
        <Table head={["repo", "error", "since"]} rows={data.repoErrors.length} empty="No repo has an error.">
          {data.repoErrors.map((e) => (
            <tr>
              <td>
                <a href={repoHref(e.id)}>{e.url}</a>
              </td>
              <td class="bad">{e.error}</td>
              <td>
                <When ms={e.at} />
              </td>
            </tr>
          ))}
        </Table>

        <h2>Last job errors</h2>
        <Table
          head={["job", "kind", "status", "repo", "error", "at"]}
          rows={data.lastErrors.length}
          empty="No job has failed."
        >
          {data.lastErrors.map((e) => (
            <tr>
              <td>
                <a class="mono" href={jobHref(e.id)}>
                  {e.id}
                </a>
              </td>
              <td>{e.kind}</td>
              <td>
                <Status s={e.status} />
              </td>
              <td>{e.repoId ? <a href={repoHref(e.repoId)}>{e.repoUrl}</a> : e.repoUrl}</td>
              <td>{e.error}</td>
              <td>
                <When ms={e.at} />
              </td>
            </tr>
          ))}
        </Table>
      </>
    ));
  });
}
