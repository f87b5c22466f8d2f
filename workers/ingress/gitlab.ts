// GitLab deliveries (Push Hook, Tag Push Hook) as ForgeEvents.

import { parseRepoUrl } from "../core/repo-url";
import {
  commitsOf,
  ignored,
  invalid,
  isZero,
  obj,
  objectId,
  refUpdateKind,
  str,
  type DeliveryMeta,
  type Normalized,
  type Obj,
} from "./normalized";

export function gitlabHomeUrl(payload: Obj): string | null {
  return str(obj(payload.project)?.web_url) ?? str(obj(payload.repository)?.homepage);
}

/** GitLab names events in its header ("Push Hook") and its body (object_kind: "push"). */
export function gitlabEventType(header: string | null, payload: Obj): string {
  const kind = str(payload.object_kind) ?? str(payload.event_name);
  if (kind) return kind;
  return (header ?? "")
    .toLowerCase()
    .replace(/ hook$/, "")
    .replace(/ /g, "_");
}

export function normalizeGitlab(eventType: string, payload: Obj, meta: DeliveryMeta): Normalized {
  if (eventType !== "push" && eventType !== "tag_push") return ignored(`unsupported event type "${eventType}"`);
  const project = obj(payload.project);
  const repository = obj(payload.repository);
  const url = gitlabHomeUrl(payload);
  if (!url) return invalid("project.web_url is missing");
  const address = parseRepoUrl(url);
  const ref = str(payload.ref);
  if (!ref) return invalid(`${eventType} payload has no ref`);
  const after = objectId(payload.after);
  if (!after) return invalid(`${eventType} payload has no valid 'after' object id`);
  const kind = refUpdateKind(ref, after, false);
  if (!kind) return ignored(`push to ${ref} (neither a branch nor a tag)`);
  // visibility_level: 0 private, 10 internal, 20 public.
  const visibility = project?.visibility_level ?? repository?.visibility_level;
  const event = {
    forge: meta.forge,
    host: address.host,
    delivery: meta.delivery,
    receivedAt: meta.receivedAt,
    kind,
    repo: {
      url: address.url,
      cloneUrl: str(project?.git_http_url) ?? str(repository?.git_http_url) ?? address.cloneUrl,
      fullName: str(project?.path_with_namespace) ?? address.fullName,
      owner: address.owner,
      name: address.name,
      defaultBranch: str(project?.default_branch),
      private: visibility !== 20,
    },
    ref,
    before: objectId(payload.before),
    after,
    commits: commitsOf(payload.commits),
    pusher: str(payload.user_username) ?? str(payload.user_name),
  };
  if (kind === "tag_push" || kind === "tag_delete") {
    const name = ref.slice("refs/tags/".length);
    const message = typeof payload.message === "string" && payload.message ? payload.message : undefined;
    const tag = isZero(after) ? { name } : { name, objectId: after, ...(message ? { message } : {}) };
    return { ok: true, event: { ...event, tag } };
  }
  return { ok: true, event };
}
