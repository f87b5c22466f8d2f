// The archive browser's object pages: revision (with its log), release, directory, file — each with its SWHID,
// a copy button and the resolve permalink. Read through the archive's own API (/api/1).

import type { Hono } from "hono";
import type { FC } from "hono/jsx";
import type { PagesEnv } from "./context";
import { Table, render } from "./layout";
import { ApiFailure } from "./read";

const HEX = /^[0-9a-f]{40}$/;
/** Directory entries shown per page, and the most text a file page shows (pages stay under 100 KB). */
const ENTRIES_PER_PAGE = 300;
const LINES_PER_PAGE = 500;
const TEXT_CHARS_PER_PAGE = 40_000;
/** The most of a file read to show it; beyond this, the file is offered as a download only. */
const TEXT_SCAN_BYTES = 2 * 1024 * 1024;

export function hexParam(value: string | undefined, what: string): string {
  if (!value || !HEX.test(value))
    throw new ApiFailure(
      400,
      "invalid_id",
      `invalid ${what} id "${(value ?? "").slice(0, 80)}": expected 40 lowercase hex digits`,
    );
  return value;
}

/** Where the browser shows an object of a SWH target type. */
export function browseHref(type: string, id: string, path?: string): string | null {
  const q = path ? `?path=${encodeURIComponent(path)}` : "";
  switch (type) {
    case "revision":
    case "rev":
      return `/archive/revision/${id}`;
    case "release":
      return `/archive/release/${id}`;
    case "directory":
    case "dir":
      return `/archive/directory/${id}${q}`;
    case "content":
    case "file":
      return `/archive/content/${id}${q}`;
    case "snapshot":
      return `/archive/snapshot/${id}`;
    default:
      return null;
  }
}

/** An object's SWHID, a copy button (shown when scripts run) and the resolve permalink. */
export const SwhidBox: FC<{ swhid: string }> = ({ swhid }) => (
  <div class="swhid">
    <code>{swhid}</code>
    <button type="button" data-copy={swhid} hidden>
      copy
    </button>
    <a href={`/api/1/resolve/${swhid}/`}>resolve</a>
  </div>
);

interface Person {
  fullname: string;
  name: string | null;
  email: string | null;
}
interface RevisionDoc {
  id: string;
  author: Person;
  committer: Person;
  date: string | null;
  committer_date: string | null;
  directory: string;
  message: string;
  parents: { id: string }[];
  extra_headers: unknown;
}
interface EntryDoc {
  type: string;
  target: string;
  name: string;
  perms: number;
  length: number | null;
  status?: string;
}

/** A path shown as links back up to the root directory, when the visitor came down from it. */
const Crumbs: FC<{ path: string | undefined }> = ({ path }) => (path ? <p class="mono">{`/${path}`}</p> : null);

function isText(bytes: Uint8Array): boolean {
  if (bytes.subarray(0, 8000).includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(
      bytes.subarray(0, Math.max(0, bytes.length - 4)),
    );
    return true;
  } catch {
    return false;
  }
}

/** Reads at most `max` bytes of a body, then stops reading. */
async function readUpTo(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<{ bytes: Uint8Array; more: boolean }> {
  const out = new Uint8Array(max + 1);
  let n = 0;
  if (!body) return { bytes: out.subarray(0, 0), more: false };
  const reader = body.getReader();
  while (n <= max) {
    const { done, value } = await reader.read();
    if (done) break;
    const take = Math.min(value.length, max + 1 - n);
    out.set(value.subarray(0, take), n);
    n += take;
  }
  await reader.cancel().catch(() => {});
  return { bytes: out.subarray(0, Math.min(n, max)), more: n > max };
}

export function archiveObjectPages(r: Hono<PagesEnv>): void {
  r.get("/archive/revision/:id", async (c) => {
    const id = hexParam(c.req.param("id"), "revision");
    const [rev, log] = await Promise.all([
      c.var.api.get<RevisionDoc>(`/api/1/revision/${id}/`),
      c.var.api.get<RevisionDoc[]>(`/api/1/revision/${id}/log/?per_page=20`),
    ]);
    const [subject, ...body] = rev.message.split("\n");
    return render(c, `Revision ${id.slice(0, 12)}`, { revision: rev, log }, () => (
      <>
        <SwhidBox swhid={`swh:1:rev:${id}`} />
        <h2>{subject ?? ""}</h2>
        {body.join("\n").trim() ? <pre>{body.join("\n").trim()}</pre> : null}
        <dl class="facts">
          <dt>author</dt>
          <dd>{`${rev.author.fullname} · ${rev.date ?? "—"}`}</dd>
          <dt>committer</dt>
          <dd>{`${rev.committer.fullname} · ${rev.committer_date ?? "—"}`}</dd>
          <dt>tree</dt>
          <dd>
            <a class="mono" href={`/archive/directory/${rev.directory}`}>
              {rev.directory}
            </a>
          </dd>
          <dt>parents</dt>
          <dd>
            {rev.parents.length === 0 ? "none (a root commit)" : null}
            {rev.parents.map((p) => (
              <>
                <a class="mono" href={`/archive/revision/${p.id}`}>
                  {p.id}
                </a>{" "}
              </>
            ))}
          </dd>
        </dl>
        <h2>Log</h2>
        <Table head={["revision", "message", "author", "date"]} rows={log.length}>
          {log.map((l) => (
            <tr>
              <td>
                <a class="mono" href={`/archive/revision/${l.id}`}>
                  {l.id.slice(0, 12)}
                </a>
              </td>
              <td>{l.message.split("\n")[0]}</td>
              <td>{l.author.name ?? l.author.fullname}</td>
              <td>{l.date ?? ""}</td>
            </tr>
          ))}
        </Table>
      </>
    ));
  });

  r.get("/archive/release/:id", async (c) => {
    const id = hexParam(c.req.param("id"), "release");
    const rel = await c.var.api.get<{
      name: string;
      message: string | null;
      target: string;
      target_type: string;
      author: Person | null;
      date: string | null;
    }>(`/api/1/release/${id}/`);
    const target = browseHref(rel.target_type, rel.target);
    return render(c, `Release ${rel.name}`, { release: rel }, () => (
      <>
        <SwhidBox swhid={`swh:1:rel:${id}`} />
        <dl class="facts">
          <dt>target</dt>
          <dd>
            {`${rel.target_type} `}
            {target ? (
              <a class="mono" href={target}>
                {rel.target}
              </a>
            ) : (
              <code>{rel.target}</code>
            )}
          </dd>
          <dt>author</dt>
          <dd>{rel.author ? `${rel.author.fullname} · ${rel.date ?? "—"}` : "—"}</dd>
        </dl>
        {rel.message ? <pre>{rel.message}</pre> : null}
      </>
    ));
  });

  r.get("/archive/directory/:id", async (c) => {
    const id = hexParam(c.req.param("id"), "directory");
    const path = c.req.query("path") ?? "";
    const entries = await c.var.api.get<EntryDoc[]>(`/api/1/directory/${id}/`);
    const page = Math.max(0, Number.parseInt(c.req.query("page") ?? "0", 10) || 0);
    const shown = entries.slice(page * ENTRIES_PER_PAGE, (page + 1) * ENTRIES_PER_PAGE);
    const sub = (name: string) => (path ? `${path}/${name}` : name);
    return render(c, `Directory ${id.slice(0, 12)}`, { id, entries: shown, total: entries.length, page }, () => (
      <>
        <SwhidBox swhid={`swh:1:dir:${id}`} />
        <Crumbs path={path} />
        <Table head={["name", "type", "size", "perms"]} rows={shown.length} empty="An empty directory.">
          {shown.map((e) => {
            const href = e.type === "rev" ? null : browseHref(e.type, e.target, sub(e.name));
            return (
              <tr>
                <td>
                  {href ? (
                    <a href={href}>{e.type === "dir" ? `${e.name}/` : e.name}</a>
                  ) : (
                    `${e.name} (submodule at ${e.target})`
                  )}
                </td>
                <td>{e.type}</td>
                <td>{e.length ?? ""}</td>
                <td class="mono">{e.perms.toString(8)}</td>
              </tr>
            );
          })}
        </Table>
        {entries.length > ENTRIES_PER_PAGE ? (
          <nav class="pager">
            {page > 0 ? (
              <a href={`/archive/directory/${id}?path=${encodeURIComponent(path)}&page=${page - 1}`}>« previous</a>
            ) : null}
            {(page + 1) * ENTRIES_PER_PAGE < entries.length ? (
              <a rel="next" href={`/archive/directory/${id}?path=${encodeURIComponent(path)}&page=${page + 1}`}>
                next »
              </a>
            ) : null}
          </nav>
        ) : null}
      </>
    ));
  });

  r.get("/archive/content/:id", async (c) => {
    const id = hexParam(c.req.param("id"), "content");
    const path = c.req.query("path") ?? "";
    const meta = await c.var.api.get<{
      length: number;
      status: string;
      checksums: Record<string, string>;
      reason?: string;
    }>(`/api/1/content/sha1_git:${id}/`);
    const raw = `/api/1/content/sha1_git:${id}/raw/`;
    let text: string | null = null;
    let cut = false;
    if (meta.status === "visible") {
      const res = await c.var.api.raw(raw);
      const got = await readUpTo(res.body, TEXT_SCAN_BYTES);
      cut = got.more;
      if (isText(got.bytes)) text = new TextDecoder().decode(got.bytes);
    }
    const all = text === null ? [] : text.replace(/\n$/, "").split("\n");
    const from = Math.min(Math.max(1, Number.parseInt(c.req.query("from") ?? "1", 10) || 1), Math.max(1, all.length));
    const shown: string[] = [];
    let chars = 0;
    for (const line of all.slice(from - 1, from - 1 + LINES_PER_PAGE)) {
      if (shown.length && chars + line.length > TEXT_CHARS_PER_PAGE) break;
      shown.push(line.length > TEXT_CHARS_PER_PAGE ? `${line.slice(0, TEXT_CHARS_PER_PAGE)} …` : line);
      chars += line.length;
    }
    const nextFrom = from + shown.length <= all.length ? from + shown.length : null;
    const name = path.split("/").pop() || id.slice(0, 12);
    const here = (n: number) =>
      `/archive/content/${id}?${new URLSearchParams({ ...(path ? { path } : {}), from: String(n) })}`;
    const data = {
      id,
      path,
      content: meta,
      text: text !== null,
      lines: all.length,
      from,
      shown: shown.length,
      next: nextFrom,
      cut,
    };
    return render(c, name, data, () => (
      <>
        <SwhidBox swhid={`swh:1:cnt:${id}`} />
        <Crumbs path={path} />
        <p>
          {`${meta.length} bytes · ${meta.status} · `}
          {meta.status === "visible" ? (
            <a href={raw} download={name}>
              download
            </a>
          ) : (
            <span class="muted">{meta.reason ?? "the bytes are not archived"}</span>
          )}
        </p>
        {meta.status === "visible" && text === null ? (
          <p>A binary file (or one too large to show): download it to look inside.</p>
        ) : null}
        {text !== null ? (
          <div class="scroll">
            <table class="code">
              <tbody>
                {shown.map((line, i) => (
                  <tr id={`L${from + i}`}>
                    <td class="ln">
                      <a href={`#L${from + i}`}>{from + i}</a>
                    </td>
                    <td>{line}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        {text !== null && (from > 1 || nextFrom) ? (
          <nav class="pager">
            {from > 1 ? <a href={here(Math.max(1, from - LINES_PER_PAGE))}>« earlier lines</a> : null}
            {nextFrom ? (
              <a rel="next" href={here(nextFrom)}>
                {`lines from ${nextFrom} »`}
              </a>
            ) : null}
          </nav>
        ) : null}
        {cut ? (
          <p class="muted">{`Only the first ${TEXT_SCAN_BYTES / 1024 / 1024} MiB are shown; download the file for the rest.`}</p>
        ) : null}
        <h2>Checksums</h2>
        <dl class="facts">
          {Object.entries(meta.checksums).map(([k, v]) => (
            <>
              <dt>{k}</dt>
              <dd class="mono">{v}</dd>
            </>
          ))}
        </dl>
      </>
    ));
  });
}
