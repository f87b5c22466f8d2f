// The dashboard's frame (header, navigation, sign-in state) and the small pieces every page is drawn with.
// hono/jsx escapes every interpolated string, so user-supplied names are always text, never markup.

import type { Child, FC } from "hono/jsx";
import type { PageContext } from "./context";
import { wantsJson } from "./context";

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/repos", "Repos"],
  ["/forges", "Forges"],
  ["/jobs", "Jobs"],
  ["/archive", "Archive"],
  ["/builds", "Tag builds"],
  ["/mirrors", "Mirrors"],
];

function current(path: string, href: string): boolean {
  return href === "/" ? path === "/" : path === href || path.startsWith(`${href}/`);
}

export const Layout: FC<{ c: PageContext; title: string; children?: Child }> = ({ c, title, children }) => {
  const path = new URL(c.req.url).pathname;
  const { admin, csrf } = c.var.session;
  const flash = c.req.query("done");
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Forgeline`}</title>
        <link rel="stylesheet" href="/assets/style.css" />
        <link rel="icon" href="data:," />
        <script src="/assets/live.js" defer></script>
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">
            Forgeline
          </a>
          <nav class="main" aria-label="Main">
            {NAV.map(([href, label]) => (
              <a href={href} aria-current={current(path, href) ? "page" : undefined}>
                {label}
              </a>
            ))}
          </nav>
          {admin ? (
            <form method="post" action="/signout">
              <input type="hidden" name="_csrf" value={csrf} />
              <span class="muted">admin · </span>
              <button type="submit">Sign out</button>
            </form>
          ) : (
            <form method="get" action="/signin">
              <input type="hidden" name="next" value={path} />
              <button type="submit">Sign in</button>
            </form>
          )}
        </header>
        <main id="main">
          <h1>{title}</h1>
          {flash ? (
            <p class="flash" role="status">
              {flash}
            </p>
          ) : null}
          {children}
        </main>
      </body>
    </html>
  );
};

/** Bidirectional controls (RTL override and friends) in names could make text read other than it is. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Shows each bidi control as its code point, so a hostile name reads as what it is; the markup is untouched. */
export function neutralizeBidi(html: string): string {
  return html.replace(BIDI_CONTROLS, (ch) => `[U+${ch.charCodeAt(0).toString(16).toUpperCase()}]`);
}

/** Draws a page in the layout, as text with bidi controls shown. */
export async function page(
  c: PageContext,
  title: string,
  body: Child,
  status: 200 | 400 | 401 | 403 | 404 | 500 = 200,
): Promise<Response> {
  const markup = await (
    <Layout c={c} title={title}>
      {body}
    </Layout>
  );
  return c.html(`<!doctype html>${neutralizeBidi(String(markup))}`, status);
}

/** Answers the page's data as JSON to `Accept: application/json`, else the page drawn from it. */
export async function render(
  c: PageContext,
  title: string,
  data: unknown,
  body: () => Child,
  status: 200 | 400 | 401 | 403 | 404 = 200,
): Promise<Response> {
  if (wantsJson(c)) return c.json(data as object, status);
  return page(c, title, body(), status);
}

export const When: FC<{ ms: number | null | undefined }> = ({ ms }) => {
  if (!ms) return <span class="muted">—</span>;
  const iso = new Date(ms).toISOString();
  return <time datetime={iso}>{iso.replace("T", " ").slice(0, 19)}Z</time>;
};

/** How long ago (or from now) `ms` is, in the largest sensible unit. */
export function ago(ms: number | null | undefined, now = Date.now()): string {
  if (!ms) return "—";
  const s = Math.round((now - ms) / 1000);
  const a = Math.abs(s);
  const text =
    a < 90
      ? `${a}s`
      : a < 5400
        ? `${Math.round(a / 60)}m`
        : a < 172800
          ? `${Math.round(a / 3600)}h`
          : `${Math.round(a / 86400)}d`;
  return s >= 0 ? `${text} ago` : `in ${text}`;
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  const s = ms / 1000;
  return s < 1
    ? `${Math.round(ms)} ms`
    : s < 120
      ? `${s.toFixed(1)} s`
      : s < 7200
        ? `${(s / 60).toFixed(1)} min`
        : `${(s / 3600).toFixed(1)} h`;
}

const GOOD = /^(full|uploaded|done|success|committed|completed|eventful|uneventful)$/;
const BAD = /^(failed|irrecoverable|rejected|not_found)$/;
const LIVE = /^(ongoing|building|running|converting|deploying|started|queued|pending)$/;

export const Status: FC<{ s: string | null | undefined }> = ({ s }) => {
  if (!s) return <span class="muted">—</span>;
  const cls = GOOD.test(s) ? "ok" : BAD.test(s) ? "bad" : LIVE.test(s) ? "run" : "warn";
  return <span class={`badge ${cls}`}>{s}</span>;
};

/** A table that scrolls sideways on a phone rather than breaking the page. */
export const Table: FC<{ head: string[]; children?: Child; empty?: string; rows: number }> = ({
  head,
  children,
  empty,
  rows,
}) =>
  rows === 0 ? (
    <p class="muted">{empty ?? "Nothing here."}</p>
  ) : (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col">{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );

/** The link to the next page of a cursor-paginated list, keeping the current filters. */
export const Pager: FC<{ c: PageContext; next: string | null; param?: string }> = ({ c, next, param = "cursor" }) => {
  const url = new URL(c.req.url);
  const first = url.searchParams.has(param);
  if (!next && !first) return null;
  const to = (value: string | null) => {
    const q = new URLSearchParams(url.search);
    q.delete("done");
    if (value === null) q.delete(param);
    else q.set(param, value);
    const s = q.toString();
    return s ? `${url.pathname}?${s}` : url.pathname;
  };
  return (
    <nav class="pager" aria-label="Pages">
      {first ? <a href={to(null)}>« first page</a> : null}
      {next ? (
        <a href={to(next)} rel="next">
          next page »
        </a>
      ) : null}
    </nav>
  );
};

/** A POST form with this visitor's CSRF token: one button that changes something. */
export const Action: FC<{ c: PageContext; action: string; label: string; danger?: boolean; children?: Child }> = ({
  c,
  action,
  label,
  danger,
  children,
}) => (
  <form class="inline" method="post" action={action}>
    <input type="hidden" name="_csrf" value={c.var.session.csrf} />
    {children}
    <button
      type="submit"
      class={danger ? "danger" : undefined}
      disabled={!c.var.session.admin}
      title={c.var.session.admin ? undefined : "sign in as the admin first"}
    >
      {label}
    </button>
  </form>
);

/** A repo's or job's path-safe link. */
export const repoHref = (id: string) => `/repos/${encodeURIComponent(id)}`;
export const jobHref = (id: string) => `/jobs/${encodeURIComponent(id)}`;
