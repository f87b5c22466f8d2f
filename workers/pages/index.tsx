// The dashboard, served at `/`: server-rendered pages over the API's own reads, its stylesheet and live script,
// sign-in, and the safe headers every page carries. `dashboard(app)` is mounted last by workers/app.ts.

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../core/errors";
import { wantsJson, type PagesEnv } from "./context";
import { ApiFailure, type ApiApp } from "./read";
import { checkedForm, localPath, sessionMiddleware, signIn, signOut } from "./session";
import { page, render } from "./layout";
import { STYLESHEET } from "./style";
import { LIVE_SCRIPT } from "./assets";
import { overviewPages } from "./overview";
import { repoPages } from "./repos";
import { jobPages } from "./jobs";
import { archivePages } from "./archive";
import { archiveObjectPages } from "./archive-objects";
import { buildPages } from "./builds";

/** Scripts only from this origin (no inline script), no framing, no plugins; WebSockets back to this origin. */
export const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** The page groups, in one explicit list. */
const PAGE_GROUPS = [overviewPages, repoPages, jobPages, archivePages, archiveObjectPages, buildPages];

export function dashboard(app: ApiApp): Hono<PagesEnv> {
  const r = new Hono<PagesEnv>();

  r.use("*", async (c, next) => {
    await next();
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "same-origin");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
    c.header("Vary", "Accept, Cookie");
  });

  r.get("/assets/style.css", (c) =>
    c.body(STYLESHEET, 200, { "Content-Type": "text/css; charset=utf-8", "Cache-Control": "public, max-age=300" }),
  );
  r.get("/assets/live.js", (c) =>
    c.body(LIVE_SCRIPT, 200, {
      "Content-Type": "text/javascript; charset=utf-8",
      "Cache-Control": "public, max-age=300",
    }),
  );

  r.use("*", sessionMiddleware(app));

  r.onError((err, c) => {
    const status =
      err instanceof ApiFailure || err instanceof AppError
        ? err.status
        : err instanceof HTTPException
          ? err.status
          : 500;
    const code = err instanceof ApiFailure || err instanceof AppError ? err.code : "internal";
    const message =
      status === 500 && !(err instanceof ApiFailure) ? "internal error; see the Worker's logs" : err.message;
    if (status === 500) console.error(`${c.req.method} ${new URL(c.req.url).pathname}:`, err);
    if (wantsJson(c)) return c.json({ error: { code, message } }, status as 500);
    const title =
      status === 404 ? "Not found" : status === 401 ? "Sign in needed" : status === 403 ? "Refused" : "Error";
    return page(
      c,
      title,
      <>
        <p class="flash error" role="alert">
          {message}
        </p>
        {status === 401 ? (
          <a href={`/signin?next=${encodeURIComponent(refererPath(c.req.header("Referer")))}`}>Sign in</a>
        ) : (
          <a href="/">Overview</a>
        )}
      </>,
      status as 500,
    );
  });

  r.get("/signin", (c) => signInPage(c, null, 200));

  r.post("/signin", async (c) => {
    const fields = await checkedForm(c);
    const outcome = await signIn(c, fields.token ?? "");
    if (outcome === "ok") return c.redirect(localPath(fields.next), 303);
    const message =
      outcome === "disabled"
        ? "Signing in is off: this deployment has no ADMIN_TOKEN."
        : "That is not the admin token. Nothing was set; try again.";
    return signInPage(c, message, outcome === "disabled" ? 403 : 401);
  });

  r.post("/signout", async (c) => {
    await checkedForm(c);
    signOut(c);
    return c.redirect("/?done=Signed+out.", 303);
  });

  for (const group of PAGE_GROUPS) group(r);
  return r;
}

/** The path of the page a refused button was on, to come back to after signing in. */
function refererPath(referer: string | undefined): string {
  try {
    return referer ? new URL(referer).pathname : "/";
  } catch {
    return "/";
  }
}

function signInPage(c: Parameters<typeof render>[0], error: string | null, status: 200 | 401 | 403) {
  const next = localPath(c.req.query("next"));
  return render(
    c,
    "Sign in",
    { signedIn: c.var.session.admin, error },
    () => (
      <>
        {error ? (
          <p class="flash error" role="alert">
            {error}
          </p>
        ) : null}
        <p>Buttons that change something (retry, cancel, clear error, save code now, sync) need the admin token.</p>
        <form method="post" action="/signin">
          <input type="hidden" name="_csrf" value={c.var.session.csrf} />
          <input type="hidden" name="next" value={next} />
          <label>
            Admin token
            <input type="password" name="token" autocomplete="current-password" required autofocus />
          </label>{" "}
          <button type="submit">Sign in</button>
        </form>
      </>
    ),
    status,
  );
}
