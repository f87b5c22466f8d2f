// The archive browser's entry: origin search, an origin's visits as a timeline, a snapshot's branches, SWHID
// resolution, and "save code now". Object pages are in archive-objects.tsx.

import type { Hono } from "hono";
import type { PagesEnv } from "./context";
import { parseSwhid, SwhidError } from "../archive/swhid";
import { adminForm } from "./session";
import { Status, Table, ago, jobHref, render } from "./layout";
import { ApiFailure } from "./read";
import { SwhidBox, browseHref, hexParam } from "./archive-objects";

interface VisitDoc {
  origin: string;
  visit: number;
  date: string;
  status: string;
  snapshot: string | null;
  type: string;
  error?: string;
}
interface BranchDoc {
  target: string;
  target_type: string;
}

const VISITS_PER_PAGE = 50;
const BRANCHES_PER_PAGE = 100;
const SWH_TYPE: Record<string, string> = {
  cnt: "content",
  dir: "directory",
  rev: "revision",
  rel: "release",
  snp: "snapshot",
};

/** An origin URL as the read API takes it in its path: percent-encoded as a whole. */
const originPath = (url: string) => `/api/1/origin/${encodeURIComponent(url)}`;

export function archivePages(r: Hono<PagesEnv>): void {
  r.get("/archive", async (c) => {
    const recent = await c.var.api.get<{
      jobs: { id: string; repoUrl: string; status: string; phase: string; createdAt: number }[];
    }>("/api/jobs?kind=archive&limit=20");
    return render(c, "Archive", recent, () => (
      <>
        <form class="filters" method="get" action="/archive/origin" role="search">
          <label>
            Origin URL
            <input name="url" type="url" required size={50} placeholder="https://git.example.org/owner/repo" />
          </label>
          <button type="submit">Show visits</button>
        </form>
        <form class="filters" method="get" action="/archive/resolve">
          <label>
            SWHID
            <input name="swhid" required size={50} placeholder="swh:1:rev:…" />
          </label>
          <button type="submit">Resolve</button>
        </form>
        <h2>Save code now</h2>
        <form class="filters" method="post" action="/archive/save">
          <input type="hidden" name="_csrf" value={c.var.session.csrf} />
          <label>
            Repository URL
            <input name="url" type="url" required size={50} />
          </label>
          <button
            type="submit"
            disabled={!c.var.session.admin}
            title={c.var.session.admin ? undefined : "sign in as the admin first"}
          >
            Save code now
          </button>
        </form>
        <h2>Recent visits</h2>
        <Table head={["origin", "status", "phase", "when", "job"]} rows={recent.jobs.length} empty="No visit yet.">
          {recent.jobs.map((j) => (
            <tr>
              <td>
                <a href={`/archive/origin?url=${encodeURIComponent(j.repoUrl)}`}>{j.repoUrl}</a>
              </td>
              <td>
                <Status s={j.status} />
              </td>
              <td>{j.phase}</td>
              <td>{ago(j.createdAt)}</td>
              <td>
                <a class="mono" href={jobHref(j.id)}>
                  {j.id}
                </a>
              </td>
            </tr>
          ))}
        </Table>
      </>
    ));
  });

  r.get("/archive/origin", async (c) => {
    const url = c.req.query("url") ?? "";
    if (!url) throw new ApiFailure(400, "invalid_url", "give the origin's URL: /archive/origin?url=https://…");
    const last = c.req.query("last_visit");
    let origin: { url: string };
    try {
      origin = await c.var.api.get<{ url: string }>(`${originPath(url)}/get/`);
    } catch (err) {
      if (!(err instanceof ApiFailure) || err.status !== 404) throw err;
      // Not archived yet: say so, and offer to save it now.
      return render(c, url, { origin: null, visits: [], next: null }, () => (
        <>
          <p>{"This origin has no visit yet."}</p>
          <form class="filters" method="post" action="/archive/save">
            <input type="hidden" name="_csrf" value={c.var.session.csrf} />
            <input type="hidden" name="url" value={url} />
            <button
              type="submit"
              disabled={!c.var.session.admin}
              title={c.var.session.admin ? undefined : "sign in as the admin first"}
            >
              Save code now
            </button>
          </form>
        </>
      ));
    }
    const q = new URLSearchParams({ per_page: String(VISITS_PER_PAGE + 1) });
    if (last) q.set("last_visit", last);
    const list = await c.var.api.get<VisitDoc[]>(`${originPath(origin.url)}/visits/?${q}`);
    const visits = list.slice(0, VISITS_PER_PAGE);
    const next = list.length > VISITS_PER_PAGE ? visits[visits.length - 1]!.visit : null;
    return render(c, origin.url, { origin, visits, next }, () => (
      <>
        <p>
          <a href={`/archive/save-requests?url=${encodeURIComponent(origin.url)}`}>save requests of this origin</a>
        </p>
        <h2>Visits</h2>
        <ol class="timeline" reversed>
          {visits.map((v) => (
            <li>
              <strong>{`#${v.visit}`}</strong> <time datetime={v.date}>{v.date.slice(0, 16).replace("T", " ")}</time>{" "}
              <Status s={v.status} />{" "}
              {v.snapshot ? (
                <a href={`/archive/snapshot/${v.snapshot}?origin=${encodeURIComponent(origin.url)}`}>snapshot</a>
              ) : null}
              {v.error ? <span class="bad"> {v.error}</span> : null}
            </li>
          ))}
        </ol>
        {next ? (
          <nav class="pager">
            <a rel="next" href={`/archive/origin?url=${encodeURIComponent(origin.url)}&last_visit=${next}`}>
              older visits »
            </a>
          </nav>
        ) : null}
      </>
    ));
  });

  r.get("/archive/save-requests", async (c) => {
    const url = c.req.query("url") ?? "";
    if (!url) throw new ApiFailure(400, "invalid_url", "give the origin's URL: /archive/save-requests?url=https://…");
    const rows = await c.var.api.get<
      {
        save_task_status: string;
        visit_status: string | null;
        save_request_date: string;
        visit_date: string | null;
        job?: string;
        id?: string;
      }[]
    >(`/api/1/origin/save/git/url/${encodeURI(url)}/`);
    return render(c, `Save requests of ${url}`, rows, () => (
      <Table head={["requested", "task", "visit", "visited"]} rows={rows.length} empty="No save request.">
        {rows.map((row) => (
          <tr>
            <td>{row.save_request_date}</td>
            <td>
              <Status s={row.save_task_status} />
            </td>
            <td>
              <Status s={row.visit_status} />
            </td>
            <td>{row.visit_date ?? ""}</td>
          </tr>
        ))}
      </Table>
    ));
  });

  r.get("/archive/snapshot/:id", async (c) => {
    const id = hexParam(c.req.param("id"), "snapshot");
    const from = c.req.query("from");
    const q = new URLSearchParams({ branches_count: String(BRANCHES_PER_PAGE) });
    if (from) q.set("branches_from", from);
    const snap = await c.var.api.get<{ branches: Record<string, BranchDoc | null>; next_branch: string | null }>(
      `/api/1/snapshot/${id}/?${q}`,
    );
    const names = Object.keys(snap.branches);
    return render(c, `Snapshot ${id.slice(0, 12)}`, { id, ...snap }, () => (
      <>
        <SwhidBox swhid={`swh:1:snp:${id}`} />
        <Table head={["branch", "target", "type"]} rows={names.length} empty="No branches.">
          {names.map((name) => {
            const b = snap.branches[name];
            const href = b && b.target_type !== "alias" ? browseHref(b.target_type, b.target) : null;
            return (
              <tr>
                <td>{name}</td>
                <td>
                  {b === null || b === undefined ? (
                    <span class="muted">dangling</span>
                  ) : href ? (
                    <a class="mono" href={href}>
                      {b.target}
                    </a>
                  ) : (
                    <span>{`→ ${b.target}`}</span>
                  )}
                </td>
                <td>{b?.target_type ?? ""}</td>
              </tr>
            );
          })}
        </Table>
        {snap.next_branch ? (
          <nav class="pager">
            <a rel="next" href={`/archive/snapshot/${id}?from=${encodeURIComponent(snap.next_branch)}`}>
              more branches »
            </a>
          </nav>
        ) : null}
      </>
    ));
  });

  // A SWHID (with any qualifiers) to the page of its object, once the archive confirms it holds it.
  r.get("/archive/resolve", async (c) => {
    const text = (c.req.query("swhid") ?? "").trim();
    let swhid;
    try {
      swhid = parseSwhid(text);
    } catch (err) {
      if (err instanceof SwhidError) throw new ApiFailure(400, "invalid_swhid", err.message);
      throw err;
    }
    if (swhid.type === "ori")
      throw new ApiFailure(400, "invalid_swhid", "origin SWHIDs are not browsed here; search the origin's URL");
    await c.var.api.get(`/api/1/resolve/${text}/`);
    return c.redirect(browseHref(SWH_TYPE[swhid.type]!, swhid.id)!, 303);
  });

  r.post("/archive/save", async (c) => {
    const fields = await adminForm(c);
    const url = (fields.url ?? "").trim();
    if (!url) throw new ApiFailure(400, "invalid_url", "give the repository's URL");
    const saved = await c.var.api.send<{ job?: string; id?: string }>(
      "POST",
      `/api/1/origin/save/git/url/${encodeURI(url)}/`,
    );
    const job = saved.job ?? null;
    return c.redirect(
      job
        ? `${jobHref(job)}?done=${encodeURIComponent("Visit requested.")}`
        : `/archive?done=${encodeURIComponent("Visit requested.")}`,
      303,
    );
  });
}
