// The archive's read API, compatible with the Software Heritage Web API v1 paths and field names; mounted at
// /api/1 by the archive module. Errors answer SWH's `{ exception, reason }` (400 bad ids, 404 unknown objects).

import { Hono } from "hono";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import type { Env } from "../../env";
import { AppError, badRequest } from "../../core/errors";
import { SwhidError } from "../swhid";
import { errorResponse } from "./http";
import { originRoutes } from "./origin";
import { objectRoutes } from "./objects";
import { resolveRoutes } from "./resolve";

export const archiveApi = new Hono<{ Bindings: Env }>();

archiveApi.onError((err, c) => {
  if (err instanceof AppError) return errorResponse(c, err);
  if (err instanceof SwhidError) return errorResponse(c, badRequest(err.message, "invalid_swhid"));
  if (err instanceof HTTPException)
    return errorResponse(c, new AppError(err.status as AppError["status"], "http_error", err.message));
  console.error(`${c.req.method} ${new URL(c.req.url).pathname}:`, err);
  return errorResponse(c, new AppError(500, "internal", "internal error; see the Worker's logs"));
});

// A public read API, as SWH's is: any web page may read it (GET, and POST /known/, which only reads). No
// credentials are involved: writes (save code now) take a bearer token, which browsers never send by themselves.
archiveApi.use(
  "*",
  cors({ origin: "*", allowMethods: ["GET", "HEAD", "POST"], allowHeaders: ["Content-Type"], maxAge: 86400 }),
);

archiveApi.route("/", originRoutes);
archiveApi.route("/", objectRoutes);
archiveApi.route("/", resolveRoutes);
