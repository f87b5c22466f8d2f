// Admin authentication: every write on the API needs `Authorization: Bearer <ADMIN_TOKEN>`.

import { createMiddleware } from "hono/factory";
import { AppError, unauthorized } from "./errors";
import { safeEqual } from "./digest";

export async function isAdmin(header: string | undefined | null, token: string | undefined): Promise<boolean> {
  if (!token) throw new AppError(503, "admin_disabled", "ADMIN_TOKEN is not configured on this deployment");
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  return !!match && (await safeEqual(match[1]!.trim(), token));
}

export const requireAdmin = createMiddleware<{ Bindings: { ADMIN_TOKEN?: string } }>(async (c, next) => {
  if (!(await isAdmin(c.req.header("Authorization"), c.env.ADMIN_TOKEN)))
    throw unauthorized("this call needs Authorization: Bearer <admin token>");
  await next();
});
