// Bearer tokens through Hono's bearerAuth: the admin token on every API write, and any other token list
// (the builders'). Refusals are thrown as AppErrors so that each room answers them in its own error shape.

import type { MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { createMiddleware } from "hono/factory";
import { AppError, unauthorized } from "./errors";
import { safeEqual } from "./digest";

/** The characters a bearer token may have (RFC 6750's b64token), as bearerAuth accepts them. */
const TOKEN = /^[A-Za-z0-9._~+/-]+=*$/;

/**
 * A middleware that lets a request through only with `Authorization: Bearer <one of tokens(c)>` (compared in
 * constant time); a missing, malformed or wrong header is 401 with `code` and `message`.
 */
export function requireBearer<E extends { Bindings: object }>(
  tokens: (env: E["Bindings"]) => readonly string[],
  code: string,
  message: (env: E["Bindings"]) => string,
): MiddlewareHandler<E> {
  const refuse = (c: { env: E["Bindings"] }): never => {
    throw unauthorized(message(c.env), code);
  };
  return bearerAuth<E>({
    verifyToken: async (presented, c) => {
      let ok = false;
      for (const token of tokens(c.env)) if (await safeEqual(presented, token)) ok = true; // no early exit: constant time
      return ok;
    },
    noAuthenticationHeader: { message: refuse },
    invalidAuthenticationHeader: { message: refuse },
    invalidToken: { message: refuse },
  });
}

type AdminEnv = { Bindings: { ADMIN_TOKEN?: string } };

const adminBearer = requireBearer<AdminEnv>(
  (env) => [env.ADMIN_TOKEN!],
  "unauthorized",
  () => "this call needs Authorization: Bearer <admin token>",
);

/** Every write on the API: `Authorization: Bearer <ADMIN_TOKEN>`; 503 while the deployment has no usable token. */
export const requireAdmin = createMiddleware<AdminEnv>(async (c, next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) throw new AppError(503, "admin_disabled", "ADMIN_TOKEN is not configured on this deployment");
  if (!TOKEN.test(token))
    throw new AppError(
      503,
      "admin_disabled",
      "ADMIN_TOKEN may hold only letters, digits and - . _ ~ + / (then = padding); set a new one",
    );
  return adminBearer(c, next);
});
