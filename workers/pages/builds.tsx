// Tag builds, their builders, and mirrors (last produced and applied commit, and how far behind they are).

import type { Hono } from "hono";
import type { PagesEnv } from "./context";
import { adminForm } from "./session";
import { Action, Pager, Status, Table, When, ago, duration, jobHref, render, repoHref } from "./layout";
import { ApiFailure } from "./read";

interface BuildRow {
  id: string;
  status: string;
  phase: string | null;
  repoUrl: string;
  tagName: string;
  source: string | null;
  version: string | null;
  duplicateOf: string | null;
  builder: string | null;
  reason: string | null;
  createdAt: number;
  buildingAt: number | null;
  finishedAt: number | null;
}
interface BuildDoc {
  id: string;
  status: string;
  phase: string | null;
  duplicateOf: string | null;
  reason: string | null;
  tag: Record<string, string | number | null>;
  repo: { id: string | null; url: string };
  builder: string | null;
  messages: { at: number; text: string }[];
  retryEarliest: number | null;
  createdAt: number;
  buildingAt: number | null;
  finishedAt: number | null;
  transitions: { at: number; from: string | null; to: string; reason: string }[];
}
interface BuilderRow {
  id: string;
  mode: string | null;
  state: string;
  connected: boolean;
  job: string | null;
  allowTesting: boolean;
  lastSeenAt: number | null;
}
interface MirrorDoc {
  id: string;
  source: { url: string; branch: string };
  destination: { url: string; group: string; project: string; branch: string };
  createdAt: number;
  producer: {
    commit: string | null;
    key: string | null;
    at: number | null;
    error: string | null;
    errorAt: number | null;
  };
  consumer: {
    commit: string | null;
    at: number | null;
    commitTime: number | null;
    error: string | null;
    errorAt: number | null;
  };
}

const BUILD_STATES = ["noticed", "queued", "building", "uploaded", "irrecoverable", "not_for_us", "failed"];
const MIRRORS_PER_PAGE = 100;

/** How far a mirror's destination is behind its last produced object: null when it holds that commit. */
export function mirrorLag(m: MirrorDoc, now = Date.now()): number | null {
  if (!m.producer.commit || m.producer.commit === m.consumer.commit) return null;
  return now - (m.producer.at ?? now);
}

export function buildPages(r: Hono<PagesEnv>): void {
  r.get("/builds", async (c) => {
    const q = new URLSearchParams();
    for (const k of ["status", "repo", "cursor"]) {
      const v = c.req.query(k);
      if (v) q.set(k, v);
    }
    q.set("limit", "50");
    const page = await c.var.api.get<{ jobs: BuildRow[]; next: string | null }>(`/api/tagbuild/jobs?${q}`);
    return render(c, "Tag builds", page, () => (
      <>
        <p>
          <a href="/builders">Builders</a>
        </p>
        <form class="filters" method="get" action="/builds" role="search">
          <label>
            status
            <select name="status">
              <option value="">any</option>
              {BUILD_STATES.map((s) => (
                <option value={s} selected={c.req.query("status") === s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            repo (id or URL)
            <input name="repo" value={c.req.query("repo") ?? ""} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <Table
          head={["build", "status", "package", "tag", "repo", "builder", "noticed", "took", "reason"]}
          rows={page.jobs.length}
          empty="No tag build matches."
        >
          {page.jobs.map((b) => (
            <tr>
              <td>
                <a class="mono" href={`/builds/${b.id}`}>
                  {b.id}
                </a>
              </td>
              <td>
                <Status s={b.status} />
              </td>
              <td>{b.source ? `${b.source} ${b.version ?? ""}` : ""}</td>
              <td>{b.tagName}</td>
              <td>{b.repoUrl}</td>
              <td>{b.builder ?? ""}</td>
              <td>{ago(b.createdAt)}</td>
              <td>
                {b.finishedAt && b.buildingAt
                  ? duration(b.finishedAt - b.buildingAt)
                  : b.buildingAt
                    ? `building ${ago(b.buildingAt)}`
                    : ""}
              </td>
              <td>{b.duplicateOf ? `duplicate of ${b.duplicateOf}` : (b.reason ?? "")}</td>
            </tr>
          ))}
        </Table>
        <Pager c={c} next={page.next} />
      </>
    ));
  });

  r.get("/builds/:id", async (c) => {
    const { job } = await c.var.api.get<{ job: BuildDoc }>(
      `/api/tagbuild/jobs/${encodeURIComponent(c.req.param("id"))}`,
    );
    return render(c, `Tag build ${job.tag.name ?? job.id}`, { job }, () => (
      <>
        <dl class="facts">
          <dt>status</dt>
          <dd>
            <Status s={job.status} /> <a href={jobHref(job.id)}>job</a>
          </dd>
          <dt>package</dt>
          <dd>{job.tag.source ? `${job.tag.source} ${job.tag.version ?? ""}` : "—"}</dd>
          <dt>repo</dt>
          <dd>{job.repo.id ? <a href={repoHref(job.repo.id)}>{job.repo.url}</a> : job.repo.url}</dd>
          {Object.entries(job.tag).map(([k, v]) =>
            v === null || v === undefined ? null : (
              <>
                <dt>{k}</dt>
                <dd class={/id|commit/i.test(k) ? "mono" : undefined}>{String(v)}</dd>
              </>
            ),
          )}
          <dt>builder</dt>
          <dd>{job.builder ?? "—"}</dd>
          <dt>building since</dt>
          <dd>
            <When ms={job.buildingAt} /> {job.buildingAt && !job.finishedAt ? `(${ago(job.buildingAt)})` : ""}
          </dd>
          <dt>finished</dt>
          <dd>
            <When ms={job.finishedAt} />
          </dd>
          {job.duplicateOf ? (
            <>
              <dt>duplicate of</dt>
              <dd>
                <a href={`/builds/${job.duplicateOf}`}>{job.duplicateOf}</a>
              </dd>
            </>
          ) : null}
          {job.reason ? (
            <>
              <dt>reason</dt>
              <dd>{job.reason}</dd>
            </>
          ) : null}
        </dl>
        <h2>Builder messages</h2>
        <Table head={["at", "message"]} rows={job.messages.length} empty="No message from the builder.">
          {job.messages.map((m) => (
            <tr>
              <td>
                <When ms={m.at} />
              </td>
              <td>{m.text}</td>
            </tr>
          ))}
        </Table>
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
      </>
    ));
  });

  r.get("/builders", async (c) => {
    const data = await c.var.api.get<{ builders: BuilderRow[]; queued: number }>("/api/builders");
    return render(c, "Builders", data, () => (
      <>
        <p>{`${data.queued} build(s) waiting for a builder.`}</p>
        <Table
          head={["builder", "mode", "state", "job", "testing allowed", "last seen", ""]}
          rows={data.builders.length}
          empty="No builder has connected."
        >
          {data.builders.map((b) => (
            <tr>
              <td>{b.id}</td>
              <td>{b.mode ?? ""}</td>
              <td>{b.connected ? b.state : <span class="muted">gone</span>}</td>
              <td>{b.job ? <a href={`/builds/${b.job}`}>{b.job}</a> : ""}</td>
              <td>{b.allowTesting ? "yes" : "no"}</td>
              <td>{ago(b.lastSeenAt)}</td>
              <td>
                {b.mode === "testing" ? (
                  <Action
                    c={c}
                    action={`/builders/${encodeURIComponent(b.id)}/allow-testing`}
                    label={b.allowTesting ? "Withdraw testing" : "Allow testing"}
                  >
                    <input type="hidden" name="allow" value={b.allowTesting ? "false" : "true"} />
                  </Action>
                ) : null}{" "}
                {b.connected ? (
                  <Action c={c} action={`/builders/${encodeURIComponent(b.id)}/restart`} label="Restart" danger />
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      </>
    ));
  });

  r.post("/builders/:id/restart", async (c) => {
    await adminForm(c);
    await c.var.api.send("POST", `/api/builders/${encodeURIComponent(c.req.param("id"))}/restart`);
    return c.redirect(`/builders?done=${encodeURIComponent("Restart sent.")}`, 303);
  });

  r.post("/builders/:id/allow-testing", async (c) => {
    const fields = await adminForm(c);
    await c.var.api.send("POST", `/api/builders/${encodeURIComponent(c.req.param("id"))}/allow-testing`, {
      allow: fields.allow !== "false",
    });
    return c.redirect(`/builders?done=${encodeURIComponent("Testing permission changed.")}`, 303);
  });

  r.get("/mirrors", async (c) => {
    const { mirrors } = await c.var.api.get<{ mirrors: MirrorDoc[] }>("/api/mirrors");
    const pageNo = Math.max(0, Number.parseInt(c.req.query("page") ?? "0", 10) || 0);
    const shown = mirrors.slice(pageNo * MIRRORS_PER_PAGE, (pageNo + 1) * MIRRORS_PER_PAGE);
    const now = Date.now();
    const data = {
      mirrors: shown.map((m) => ({ ...m, lagMs: mirrorLag(m, now) })),
      total: mirrors.length,
      page: pageNo,
    };
    return render(c, "Mirrors", data, () => (
      <>
        <Table
          head={["source", "destination", "produced", "applied", "lag", "error", ""]}
          rows={shown.length}
          empty="No mirror is configured."
        >
          {data.mirrors.map((m) => (
            <tr>
              <td>{`${m.source.url} ${m.source.branch}`}</td>
              <td>{`${m.destination.group}/${m.destination.project} ${m.destination.branch}`}</td>
              <td>
                <span class="mono">{m.producer.commit?.slice(0, 12) ?? "—"}</span> {ago(m.producer.at)}
              </td>
              <td>
                <span class="mono">{m.consumer.commit?.slice(0, 12) ?? "—"}</span> {ago(m.consumer.at)}
              </td>
              <td class={m.lagMs !== null ? "warn" : "ok"}>
                {m.lagMs === null ? (m.producer.commit ? "in sync" : "—") : `behind ${duration(m.lagMs)}`}
              </td>
              <td class="bad">{m.producer.error ?? m.consumer.error ?? ""}</td>
              <td>
                <Action c={c} action={`/mirrors/${m.id}/sync`} label="Sync now" />
              </td>
            </tr>
          ))}
        </Table>
        {mirrors.length > MIRRORS_PER_PAGE ? (
          <nav class="pager">
            {pageNo > 0 ? <a href={`/mirrors?page=${pageNo - 1}`}>« previous</a> : null}
            {(pageNo + 1) * MIRRORS_PER_PAGE < mirrors.length ? (
              <a rel="next" href={`/mirrors?page=${pageNo + 1}`}>
                next »
              </a>
            ) : null}
          </nav>
        ) : null}
        <p>
          <a href="/api/mirrors/metrics">Prometheus metrics</a>
        </p>
      </>
    ));
  });

  r.post("/mirrors/:id/sync", async (c) => {
    await adminForm(c);
    const id = c.req.param("id");
    if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw new ApiFailure(404, "not_found", `no mirror ${id}`);
    const { jobs } = await c.var.api.send<{ jobs: { id: string }[] }>("POST", `/api/mirrors/${id}/sync`);
    return c.redirect(
      jobs[0]
        ? `${jobHref(jobs[0].id)}?done=${encodeURIComponent("Producing now.")}`
        : `/mirrors?done=${encodeURIComponent("Nothing to produce.")}`,
      303,
    );
  });
}
