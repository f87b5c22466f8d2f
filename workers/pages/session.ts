// Dashboard sign-in: the admin token once, then a signed, HttpOnly, SameSite=Strict session cookie; a
// double-submit CSRF token on every form; and the checks every button that changes something goes through.

import type { Context, MiddlewareHandler } from "hono";
import { deleteCookie, getCookie, getSignedCookie, setCookie, setSignedCookie } from "hono/cookie";
import type { CookieOptions } from "hono/utils/cookie";
import type { Env } from "../env";
import { AppError, forbidden } from "../core/errors";
import { safeEqual } from "../core/digest";
import type { PagesEnv, Session } from "./context";
import { Api, type ApiApp } from "./read";

export const SESSION_COOKIE = "fl_session";
export const CSRF_COOKIE = "fl_csrf";
export const SESSION_HOURS = 12;

/**
 * The key session cookies are signed with, derived from the admin token: changing the token signs everyone out,
 * and no second secret has to be deployed.
 */
function sessionKey(env: Env): string | null {
  return env.ADMIN_TOKEN ? `forgeline-dashboard-session:${env.ADMIN_TOKEN}` : null;
}

/** Secure everywhere but plain http on this machine (wrangler dev), where a browser would drop a Secure cookie. */
function cookieOptions(c: Context, maxAge: number): CookieOptions {
  const url = new URL(c.req.url);
  const local = url.protocol === "http:" && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname);
  return { path: "/", httpOnly: true, secure: !local, sameSite: "Strict", maxAge };
}

async function readSession(c: Context<PagesEnv>): Promise<boolean> {
  const key = sessionKey(c.env);
  if (!key) return false;
  const value = await getSignedCookie(c, key, SESSION_COOKIE);
  const m = typeof value === "string" ? /^admin\.(\d{13})$/.exec(value) : null;
  return !!m && Number(m[1]) > Date.now();
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Puts the session and the API gateway on the context; gives a first-time visitor a CSRF token. */
export function sessionMiddleware(app: ApiApp): MiddlewareHandler<PagesEnv> {
  return async (c, next) => {
    let csrf = getCookie(c, CSRF_COOKIE) ?? "";
    if (!/^[0-9a-f]{48}$/.test(csrf)) {
      csrf = randomToken();
      setCookie(c, CSRF_COOKIE, csrf, cookieOptions(c, 7 * 24 * 3600));
    }
    const session: Session = { admin: await readSession(c), csrf };
    c.set("session", session);
    let ctx;
    try {
      ctx = c.executionCtx;
    } catch {
      ctx = undefined;
    }
    c.set("api", new Api(app, c.env, session, ctx));
    await next();
  };
}

/**
 * A form post passes only from this site (Origin, when the browser sends it, is ours) and with this visitor's
 * CSRF token. Answers the form's fields.
 */
export async function checkedForm(c: Context<PagesEnv>): Promise<Record<string, string>> {
  const origin = c.req.header("Origin");
  if (origin && origin !== "null" && origin !== new URL(c.req.url).origin)
    throw forbidden("this form was sent from another site", "cross_site");
  const type = c.req.header("Content-Type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type))
    throw new AppError(400, "not_a_form", "send the page's form");
  const raw = await c.req.parseBody();
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === "string") fields[k] = v;
  const sent = fields._csrf ?? "";
  const cookie = getCookie(c, CSRF_COOKIE) ?? "";
  if (!cookie || !sent || !(await safeEqual(sent, cookie)))
    throw forbidden(
      "the form's CSRF token does not match this browser's; reload the page and try again",
      "csrf_mismatch",
    );
  return fields;
}

/** A button that changes something: the form must be ours and the visitor signed in as the admin. */
export async function adminForm(c: Context<PagesEnv>): Promise<Record<string, string>> {
  const fields = await checkedForm(c);
  if (!c.var.session.admin) throw new AppError(401, "sign_in_required", "sign in with the admin token to do this");
  return fields;
}

/** Checks the token and, only when it is the admin's, sets the session cookie. */
export async function signIn(c: Context<PagesEnv>, token: string): Promise<"ok" | "wrong" | "disabled"> {
  const key = sessionKey(c.env);
  if (!key || !c.env.ADMIN_TOKEN) return "disabled";
  if (!token || !(await safeEqual(token.trim(), c.env.ADMIN_TOKEN))) return "wrong";
  const expires = Date.now() + SESSION_HOURS * 3600_000;
  await setSignedCookie(c, SESSION_COOKIE, `admin.${expires}`, key, cookieOptions(c, SESSION_HOURS * 3600));
  return "ok";
}

export function signOut(c: Context<PagesEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: cookieOptions(c, 0).secure });
}

/** Where to go after signing in: only a path on this site. */
export function localPath(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : "/";
}
