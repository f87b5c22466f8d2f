// The one way pages read and change things: through the JSON API's own routes, in the same isolate, so a page
// shows exactly what the API answers (and the API's access rules, validation and secrets-hiding hold for both).

import type { Hono } from "hono";
import type { Env } from "../env";

/** Who is reading: signed in as the admin or not, and the CSRF token of this visitor's forms. */
export interface Session {
  /** Signed in with the admin token (a valid, unexpired session cookie). */
  admin: boolean;
  /** The double-submit token every form of this visitor carries. */
  csrf: string;
}

/** What the dashboard needs of the Hono app: its `request` (in-process dispatch, no network hop). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ApiApp = Pick<Hono<any, any, any>, "request">;
type CallContext = Parameters<ApiApp["request"]>[3];

/** The API answered with an error; pages show its status and message. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiFailure";
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

export class Api {
  constructor(
    private readonly app: ApiApp,
    private readonly env: Env,
    private readonly session: Session,
    private readonly ctx?: CallContext,
  ) {}

  /** GETs an API path; an error answer throws ApiFailure. */
  async get<T>(path: string): Promise<T> {
    return (await this.call<T>("GET", path)).body;
  }

  /** GETs an API path and keeps its headers (e.g. SWH's `Link` for the next page). */
  async getWithHeaders<T>(path: string): Promise<ApiAnswer<T>> {
    return this.call<T>("GET", path);
  }

  /** GETs bytes (a content's raw data): the response itself, for the caller to read as much of it as it shows. */
  async raw(path: string): Promise<Response> {
    const res = await this.app.request(
      `http://dashboard.internal${path}`,
      { headers: this.credentials("GET") },
      this.env,
      this.ctx,
    );
    if (!res.ok) {
      const text = await res.text();
      let message = `the API answered ${res.status}`;
      try {
        message = (JSON.parse(text) as { reason?: string }).reason ?? message;
      } catch {}
      throw new ApiFailure(res.status, "error", message);
    }
    return res;
  }

  /** A write, made with the admin's bearer token; only called once the session and CSRF token are checked. */
  async send<T>(method: "POST" | "DELETE" | "PATCH", path: string, body?: unknown): Promise<T> {
    return (await this.call<T>(method, path, body)).body;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> {
    const headers: Record<string, string> = { Accept: "application/json", ...this.credentials(method) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await this.app.request(
      `http://dashboard.internal${path}`,
      { method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      this.env,
      this.ctx,
    );
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string }; reason?: string } | null) ?? {};
      throw new ApiFailure(
        res.status,
        err.error?.code ?? "error",
        err.error?.message ?? err.reason ?? `the API answered ${res.status}`,
      );
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /**
   * The credentials a call carries. Reads are public today; when private repos and read tokens land (issue 14),
   * this is the one place a signed-in reader's token is added, and `mayRead` (access.ts) the one rule for the
   * few reads pages make straight from D1 (the overview's counts).
   */
  private credentials(method: string): Record<string, string> {
    if (method !== "GET" && this.session.admin && this.env.ADMIN_TOKEN)
      return { Authorization: `Bearer ${this.env.ADMIN_TOKEN}` };
    return {};
  }
}
