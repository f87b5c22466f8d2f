// The dashboard's request context: the bindings, the visitor's session and the one gateway pages read through.

import type { Context } from "hono";
import type { Env } from "../env";
import type { Api, Session } from "./read";

export type { Session };

export type PagesEnv = { Bindings: Env; Variables: { session: Session; api: Api } };
export type PageContext = Context<PagesEnv>;

/** JSON for `Accept: application/json` (the same data the page is drawn from), HTML for everyone else. */
export function wantsJson(c: Context): boolean {
  return /application\/json/i.test(c.req.header("Accept") ?? "");
}
