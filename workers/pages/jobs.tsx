// Jobs: a filtered list, and one job whole: transitions, log, retries, live progress, retry and cancel.

import type { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { PagesEnv } from "./context";
import { modules } from "../pipelines";
import { adminForm } from "./session";
import { Action, Pager, Status, Table, When, ago, duration, jobHref, render, repoHref } from "./layout";

interface Progress {
  phase: string;
  done: number;
  total: number | null;
  unit: string | null;
  at: number;
  since: number;
  sinceDone: number;
}
interface JobDoc {
  id: string;
  kind: string;
  pipeline: string;
  status: string;
  phase: string;
  repoId: string | null;
  repoUrl: string;
  input: unknown;
  result: unknown;
  attempts: number;
  retries: number;
  error: string | null;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  nextAttemptAt: number | null;
  eventId: string | null;
  progress?: Progress | null;
  transitions: { at: number; from: string | null; to: string; reason: string }[];
  log: { at: number; level: string; line: string }[];
}
interface JobRow {
  id: string;
  kind: string;
  status: string;
  phase: string;
  repoId: string | null;
  repoUrl: string;
  attempts: number;
  error: string | null;
  createdAt: number;
  finishedAt: number | null;
  startedAt: number | null;
}

const kinds = () => modules.flatMap((m) => m.pipeline.kinds);

/** Rate (per second) and seconds left of a progress report, from where its phase started. */
export function progressRate(p: Progress): { rate: number | null; etaSeconds: number | null } {
  const seconds = (p.at - p.since) / 1000;
  const rate = seconds > 0 ? (p.done - p.sinceDone) / seconds : null;
  const etaSeconds = rate && p.total ? Math.max(0, Math.round((p.total - p.done) / rate)) : null;
  return { rate, etaSeconds };
}

/** The progress bar of a job; live.js keeps it current while the job runs. */
export const ProgressBox: FC<{ job: JobDoc }> = ({ job }) => {
  const p = job.progress ?? null;
  const live = job.phase !== "settled";
  const { rate, etaSeconds } = p ? progressRate(p) : { rate: null, etaSeconds: null };
  return (
    <section aria-label="Progress" data-job={live ? job.id : undefined} aria-live="polite">
      <p>
        <span data-field="status">{job.status}</span> · <span data-field="phase">{job.phase}</span>{" "}
        <span data-field="live" class="muted">
          {live ? "(live)" : ""}
        </span>
      </p>
      {p || live ? (
        <>
          {p?.total ? <progress max={p.total} value={p.done}></progress> : <progress></progress>}
          <dl class="facts">
            <dt>step</dt>
            <dd data-field="step">{p?.phase ?? "—"}</dd>
            <dt>done</dt>
            <dd data-field="done">
              {p ? `${p.done}${p.total ? ` / ${p.total}` : ""}${p.unit ? ` ${p.unit}` : ""}` : "—"}
            </dd>
            <dt>rate</dt>
            <dd data-field="rate">{rate ? `${rate.toFixed(1)} ${p?.unit ?? ""}/s` : ""}</dd>
            <dt>time left</dt>
            <dd data-field="eta">{etaSeconds !== null ? `${etaSeconds} s` : ""}</dd>
            <dt>phase started</dt>
            <dd data-field="since">{p ? <When ms={p.since} /> : ""}</dd>
          </dl>
        </>
      ) : null}
    </section>
  );
};

export function jobPages(r: Hono<PagesEnv>): void {
  r.get("/jobs", async (c) => {
    const q = new URLSearchParams();
    for (const k of ["kind", "status", "repo", "cursor"]) {
      const v = c.req.query(k);
      if (v) q.set(k, v);
    }
    q.set("limit", "50");
    const page = await c.var.api.get<{ jobs: JobRow[]; next: string | null }>(`/api/jobs?${q}`);
    const states = [...new Set(kinds().flatMap((k) => k.states))].sort();
    return render(c, "Jobs", page, () => (
      <>
        <form class="filters" method="get" action="/jobs" role="search">
          <label>
            kind
            <select name="kind">
              <option value="">any</option>
              {kinds().map((k) => (
                <option value={k.kind} selected={c.req.query("kind") === k.kind}>
                  {k.kind}
                </option>
              ))}
            </select>
          </label>
          <label>
            status
            <select name="status">
              <option value="">any</option>
              {states.map((s) => (
                <option value={s} selected={c.req.query("status") === s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            repo id
            <input name="repo" value={c.req.query("repo") ?? ""} size={28} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <Table
          head={["job", "kind", "status", "phase", "repo", "attempts", "created", "took", "error"]}
          rows={page.jobs.length}
          empty="No job matches."
        >
          {page.jobs.map((j) => (
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
              <td>{j.repoId ? <a href={repoHref(j.repoId)}>{j.repoUrl}</a> : j.repoUrl}</td>
              <td>{j.attempts}</td>
              <td>{ago(j.createdAt)}</td>
              <td>{j.finishedAt && j.startedAt ? duration(j.finishedAt - j.startedAt) : ""}</td>
              <td>{j.error ?? ""}</td>
            </tr>
          ))}
        </Table>
        <Pager c={c} next={page.next} />
      </>
    ));
  });

  r.get("/jobs/:id", async (c) => {
    const { job } = await c.var.api.get<{ job: JobDoc }>(`/api/jobs/${encodeURIComponent(c.req.param("id"))}`);
    const kind = kinds().find((k) => k.kind === job.kind);
    const retryable = !!kind?.manualRetry && job.status === kind.failed && job.phase === "settled";
    const cancellable = job.phase !== "settled";
    return render(c, `${job.kind} job ${job.id}`, { job }, () => (
      <>
        <dl class="facts">
          <dt>repo</dt>
          <dd>{job.repoId ? <a href={repoHref(job.repoId)}>{job.repoUrl}</a> : job.repoUrl}</dd>
          <dt>status</dt>
          <dd>
            <Status s={job.status} /> <span class="muted">{job.phase}</span>
          </dd>
          <dt>attempts</dt>
          <dd>{`${job.attempts} (weak-error retries since the last success: ${job.retries})`}</dd>
          <dt>created</dt>
          <dd>
            <When ms={job.createdAt} />
          </dd>
          <dt>started</dt>
          <dd>
            <When ms={job.startedAt} />
          </dd>
          <dt>finished</dt>
          <dd>
            <When ms={job.finishedAt} />
            {job.finishedAt && job.startedAt ? ` (${duration(job.finishedAt - job.startedAt)})` : ""}
          </dd>
          {job.nextAttemptAt ? (
            <>
              <dt>next attempt</dt>
              <dd>
                <When ms={job.nextAttemptAt} /> ({ago(job.nextAttemptAt)})
              </dd>
            </>
          ) : null}
          {job.kind === "tagbuild" ? (
            <>
              <dt>tag build</dt>
              <dd>
                <a href={`/builds/${encodeURIComponent(job.id)}`}>build details</a>
              </dd>
            </>
          ) : null}
        </dl>
        {job.error ? <pre class="flash error">{job.error}</pre> : null}
        <p>
          {retryable ? <Action c={c} action={`${jobHref(job.id)}/retry`} label="Retry" /> : null}{" "}
          {cancellable ? <Action c={c} action={`${jobHref(job.id)}/cancel`} label="Cancel" danger /> : null}
        </p>

        <h2>Progress</h2>
        <ProgressBox job={job} />

        <h2>Transitions</h2>
        <Table head={["at", "from", "to", "reason"]} rows={job.transitions.length}>
          {job.transitions.map((t) => (
            <tr>
              <td>
                <When ms={t.at} />
              </td>
              <td>{t.from ?? ""}</td>
              <td>
                <Status s={t.to} />
              </td>
              <td>{t.reason}</td>
            </tr>
          ))}
        </Table>

        <h2>Log</h2>
        <Table head={["at", "level", "line"]} rows={job.log.length} empty="Nothing logged.">
          {job.log.map((l) => (
            <tr>
              <td>
                <When ms={l.at} />
              </td>
              <td class={l.level === "error" ? "bad" : l.level === "warning" ? "warn" : undefined}>{l.level}</td>
              <td class="mono">{l.line}</td>
            </tr>
          ))}
        </Table>

        <h2>Input and result</h2>
        <pre>{JSON.stringify({ input: job.input, result: job.result }, null, 2)}</pre>
      </>
    ));
  });

  r.post("/jobs/:id/retry", async (c) => {
    await adminForm(c);
    const id = c.req.param("id");
    await c.var.api.send("POST", `/api/jobs/${encodeURIComponent(id)}/retry`);
    return c.redirect(`${jobHref(id)}?done=${encodeURIComponent("Sent back to its repo's chain.")}`, 303);
  });

  r.post("/jobs/:id/cancel", async (c) => {
    await adminForm(c);
    const id = c.req.param("id");
    await c.var.api.send("POST", `/api/jobs/${encodeURIComponent(id)}/cancel`, {
      reason: "cancelled from the dashboard",
    });
    return c.redirect(`${jobHref(id)}?done=${encodeURIComponent("Cancelled.")}`, 303);
  });
}
