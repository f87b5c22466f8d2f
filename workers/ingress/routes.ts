// POST /hooks/{github|gitea|forgejo|gogs|gitlab}: verify, normalize, append to the repo's log. No pipeline work here.

import { Hono } from "hono";
import type { Env } from "../env";
import type { ForgeFamily } from "../core/forge-event";
import { AppError, badRequest, forbidden, notFound, unauthorized } from "../core/errors";
import { limitBody, MAX_WEBHOOK_BYTES } from "../core/limits";
import { sha256Hex } from "../core/digest";
import { inCidrs } from "../core/cidr";
import { hostOf, parseRepoUrl } from "../core/repo-url";
import { acceptsPath, findForgeCached } from "../api/forge-store";
import { remote } from "../core/remote";
import type { RepoObject } from "../../durable-objects/repo";
import { HEADERS, firstHeader, signatureOf, verifySignature } from "./verify";
import { obj, type DeliveryMeta, type Normalized, type Obj } from "./normalized";
import { githubHomeUrl, normalizeGithub } from "./github";
import { giteaHomeUrl, normalizeGitea } from "./gitea";
import { gitlabEventType, gitlabHomeUrl, normalizeGitlab } from "./gitlab";
import { readRepoAction, systemHookHome } from "../registry/forge-actions";
import { applyRepoAction } from "../registry/forge-apply";

const FAMILIES: Record<
  ForgeFamily,
  { home(p: Obj): string | null; normalize(t: string, p: Obj, m: DeliveryMeta): Normalized }
> = {
  github: { home: githubHomeUrl, normalize: normalizeGithub },
  gitea: { home: giteaHomeUrl, normalize: normalizeGitea },
  forgejo: { home: giteaHomeUrl, normalize: normalizeGitea },
  gogs: { home: giteaHomeUrl, normalize: normalizeGitea },
  gitlab: { home: gitlabHomeUrl, normalize: normalizeGitlab },
};

export const hooks = new Hono<{ Bindings: Env }>();

hooks.post("/:forge", limitBody(MAX_WEBHOOK_BYTES), async (c) => {
  const forge = c.req.param("forge") as ForgeFamily;
  if (!Object.hasOwn(FAMILIES, forge))
    throw notFound(`no webhook endpoint for "${forge}" (use github, gitea, forgejo, gogs or gitlab)`, "unknown_forge");
  const family = FAMILIES[forge];
  const body = await c.req.bytes();
  const signature = signatureOf(forge, c.req.raw.headers);
  if (!signature) throw unauthorized(`missing ${HEADERS[forge].signature[0]} header`, "missing_signature");

  let payload: Obj | null;
  try {
    payload = obj(JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body)));
  } catch {
    throw badRequest("body is not valid UTF-8 JSON", "malformed_json");
  }
  if (!payload) throw badRequest("body is not a JSON object", "malformed_json");

  const home = family.home(payload) ?? systemHookHome(forge, c.req.raw.headers, new URL(c.req.url), payload);
  if (!home) throw badRequest("payload names no repository URL to find its forge by", "missing_fields");
  let host: string;
  try {
    host = hostOf(home);
  } catch {
    throw badRequest(`payload repository URL is not a URL: ${home.slice(0, 200)}`, "missing_fields");
  }
  const registered = await findForgeCached(c.env.DB, host);
  if (!registered) throw forbidden(`forge host ${host} is not registered`, "forge_not_registered");
  if (!acceptsPath(registered.kind, forge))
    throw forbidden(
      `forge ${host} is registered as ${registered.kind}; send its webhooks to /hooks/${registered.kind}`,
      "forge_mismatch",
    );
  const cidrs = registered.allowedCidrs ?? [];
  if (cidrs.length) {
    const ip = c.req.header("CF-Connecting-IP") ?? "";
    if (!inCidrs(ip, cidrs))
      throw forbidden(`source address ${ip || "(unknown)"} is not allowed for ${host}`, "source_not_allowed");
  }
  if (!(await verifySignature(forge, signature, registered.webhookSecret, body)))
    throw unauthorized("signature does not match the body", "bad_signature");

  const header = firstHeader(c.req.raw.headers, HEADERS[forge].event);
  const eventType = forge === "gitlab" ? gitlabEventType(header, payload) : header;
  if (!eventType) throw badRequest(`missing ${HEADERS[forge].event[0]} header`, "missing_fields");
  const delivery = firstHeader(c.req.raw.headers, HEADERS[forge].delivery) ?? `sha256:${await sha256Hex(body)}`;

  // Repository events (renamed, transferred, archived, deleted, created) are the registry room's lifecycle actions.
  const action = readRepoAction(forge, eventType, payload, home);
  if (action && !action.ok) {
    if ("invalid" in action) throw badRequest(action.invalid, "missing_fields");
    return c.json({ ignored: action.ignored }, 202);
  }
  if (action)
    return c.json(
      await applyRepoAction(c.env, action.action, { forge, delivery, autoRegister: registered.autoRegister ?? null }),
      202,
    );

  let normalized: Normalized;
  try {
    normalized = family.normalize(eventType, payload, { forge, delivery, receivedAt: new Date().toISOString() });
  } catch (err) {
    if (err instanceof AppError) throw badRequest(`payload: ${err.message}`, "missing_fields");
    throw err;
  }
  if (!normalized.ok) {
    if ("invalid" in normalized) throw badRequest(normalized.invalid, "missing_fields");
    return c.json({ ignored: normalized.ignored }, 202);
  }
  const event = normalized.event;
  if (event.kind === "ping") return c.json({ ok: true, pong: true, repo: event.repo.url }, 200);

  const address = parseRepoUrl(event.repo.url);
  const stub = remote<RepoObject>(c.env.REPO, address.key);
  const result = await stub.receive(event, address, registered.autoRegister ?? null);
  if (result.status === "ignored") return c.json({ ignored: result.reason }, 202);
  if (result.status === "duplicate") c.header("X-Forgeline-Duplicate", "true");
  return c.json(
    {
      event: result.event,
      jobs: result.jobs,
      ...(result.status === "accepted" && result.skipped ? { skipped: result.skipped } : {}),
    },
    202,
  );
});
