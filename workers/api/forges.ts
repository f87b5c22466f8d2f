// /api/forges: register forges (host, kind, webhook secret, token, allowed sources, auto-registration)
// and read their reachability. Secrets and tokens are never returned.

import { Hono } from "hono";
import { z } from "zod";
import { drizzle } from "drizzle-orm/d1";
import { asc, eq } from "drizzle-orm";
import type { Env } from "../env";
import { forges } from "../../schema";
import { badRequest, conflict, notFound } from "../core/errors";
import { requireAdmin } from "../core/auth";
import { jsonBody } from "../core/validate";
import { parseCidr } from "../core/cidr";
import { checkOutboundUrl, isLoopbackHost, outboundPolicy } from "../core/outbound";
import type { Registry, RegistryBindings } from "../kinds";
import { findForge, forgetForge, publicForge } from "./forge-store";
import { remote } from "../core/remote";
import type { ForgeObject } from "../../durable-objects/forge";

const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/;

const hostField = z
  .string()
  .transform((h) => h.trim().toLowerCase())
  .refine((h) => HOST.test(h), {
    message: "must be a host name with an optional port, like git.example.org or 127.0.0.1:3000 (no scheme, no path)",
  });
const cidrsField = z
  .array(z.string())
  .max(100)
  .refine((list) => list.every((c) => parseCidr(c)), {
    message: "every entry must be an IPv4 or IPv6 CIDR like 192.0.2.0/24",
  });
const fields = {
  kind: z.enum(["github", "gitea", "forgejo", "gogs", "gitlab"]),
  baseUrl: z.string().url(),
  webhookSecret: z.string().min(8, "must be at least 8 characters").max(512),
  token: z.string().min(1).max(4096).nullable(),
  allowedCidrs: cidrsField.nullable(),
  autoRegister: z.union([z.record(z.string(), z.unknown()), z.literal(false), z.null()]),
};
const createSchema = z.strictObject({
  host: hostField,
  kind: fields.kind,
  baseUrl: fields.baseUrl.optional(),
  webhookSecret: fields.webhookSecret,
  token: fields.token.optional(),
  allowedCidrs: fields.allowedCidrs.optional(),
  autoRegister: fields.autoRegister.optional(),
});
const patchSchema = z.strictObject({
  kind: fields.kind.optional(),
  baseUrl: fields.baseUrl.optional(),
  webhookSecret: fields.webhookSecret.optional(),
  token: fields.token.optional(),
  allowedCidrs: fields.allowedCidrs.optional(),
  autoRegister: fields.autoRegister.optional(),
});

/** Checks what zod cannot: the base URL against the outbound policy, the auto-registration pipelines. */
function settle(
  env: Env,
  registry: Registry,
  input: { baseUrl?: string; autoRegister?: Record<string, unknown> | false | null },
) {
  if (input.baseUrl) checkOutboundUrl(input.baseUrl, outboundPolicy(env), "baseUrl");
  if (!input.autoRegister) return input.autoRegister === undefined ? undefined : null;
  const parsed = registry.parsePipelines(input.autoRegister);
  if (!parsed.ok) throw badRequest(`autoRegister: ${parsed.problems.join("; ")}`, "invalid_input");
  return parsed.value;
}

export const forgeRoutes = new Hono<RegistryBindings>();

forgeRoutes.get("/", async (c) => {
  const rows = await drizzle(c.env.DB).select().from(forges).orderBy(asc(forges.host));
  return c.json({ forges: rows.map(publicForge) });
});

forgeRoutes.get("/:host", async (c) => {
  const row = await findForge(c.env.DB, c.req.param("host"));
  if (!row) throw notFound(`forge ${c.req.param("host")} is not registered`);
  const reachability = await remote<ForgeObject>(c.env.FORGE, row.host).status(row.host);
  return c.json({ forge: publicForge(row), reachability });
});

forgeRoutes.post("/", requireAdmin, jsonBody(createSchema), async (c) => {
  const input = c.req.valid("json");
  const autoRegister = settle(c.env, c.var.registry, input);
  // A forge on this machine (local development) is usually plain http.
  const local = outboundPolicy(c.env).allowLoopback && isLoopbackHost(input.host.replace(/:\d+$/, ""));
  const baseUrl = input.baseUrl ?? `${local ? "http" : "https"}://${input.host}`;
  checkOutboundUrl(baseUrl, outboundPolicy(c.env), "baseUrl");
  if (await findForge(c.env.DB, input.host))
    throw conflict(`forge ${input.host} is already registered; PATCH it to change it`, "forge_exists");
  const now = Date.now();
  const row = {
    host: input.host,
    kind: input.kind,
    baseUrl,
    webhookSecret: input.webhookSecret,
    token: input.token ?? null,
    allowedCidrs: input.allowedCidrs ?? null,
    autoRegister: autoRegister ?? null,
    reachable: true,
    lastFailure: null,
    downSince: null,
    createdAt: now,
    updatedAt: now,
  };
  await drizzle(c.env.DB).insert(forges).values(row);
  forgetForge(row.host);
  return c.json({ forge: publicForge(row) }, 201);
});

forgeRoutes.patch("/:host", requireAdmin, jsonBody(patchSchema), async (c) => {
  const row = await findForge(c.env.DB, c.req.param("host"));
  if (!row) throw notFound(`forge ${c.req.param("host")} is not registered`);
  const input = c.req.valid("json");
  const autoRegister = settle(c.env, c.var.registry, input);
  const { autoRegister: _given, ...rest } = input;
  const changes = { ...rest, ...(autoRegister !== undefined ? { autoRegister } : {}), updatedAt: Date.now() };
  await drizzle(c.env.DB).update(forges).set(changes).where(eq(forges.host, row.host));
  forgetForge(row.host);
  return c.json({ forge: publicForge((await findForge(c.env.DB, row.host))!) });
});

forgeRoutes.delete("/:host", requireAdmin, async (c) => {
  const row = await findForge(c.env.DB, c.req.param("host"));
  if (!row) throw notFound(`forge ${c.req.param("host")} is not registered`);
  await drizzle(c.env.DB).delete(forges).where(eq(forges.host, row.host));
  forgetForge(row.host);
  return c.json({ deleted: row.host });
});

/** Runs the forge's preflight check now instead of waiting for its alarm. */
forgeRoutes.post("/:host/preflight", requireAdmin, async (c) => {
  const row = await findForge(c.env.DB, c.req.param("host"));
  if (!row) throw notFound(`forge ${c.req.param("host")} is not registered`);
  const stub = remote<ForgeObject>(c.env.FORGE, row.host);
  const reachability = (await stub.preflight()) ?? (await stub.status(row.host));
  return c.json({ reachability });
});
