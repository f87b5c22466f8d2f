// GitHub deliveries (X-GitHub-Event: push, create, delete, ping) as ForgeEvents.

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

/** The web URL that names the payload's forge host, for finding the forge's secret. */
export function githubHomeUrl(payload: Obj): string | null {
  const repo = obj(payload.repository);
  return str(repo?.html_url) ?? str(obj(payload.sender)?.html_url);
}

export function normalizeGithub(eventType: string, payload: Obj, meta: DeliveryMeta): Normalized {
  const repo = obj(payload.repository);
  if (eventType === "ping" && !repo) return ignored("ping without a repository");
  if (!repo) return invalid("payload has no repository object");
  const url = str(repo.html_url);
  if (!url) return invalid("repository.html_url is missing");
  const address = parseRepoUrl(url);
  const owner = obj(repo.owner);
  const base = {
    forge: meta.forge,
    host: address.host,
    delivery: meta.delivery,
    receivedAt: meta.receivedAt,
    repo: {
      url: address.url,
      cloneUrl: str(repo.clone_url) ?? address.cloneUrl,
      fullName: str(repo.full_name) ?? address.fullName,
      owner: str(owner?.login) ?? str(owner?.name) ?? address.owner,
      name: str(repo.name) ?? address.name,
      defaultBranch: str(repo.default_branch) ?? str(repo.master_branch),
      private: repo.private === true,
    },
    pusher: str(obj(payload.pusher)?.name) ?? str(obj(payload.sender)?.login),
    commits: [],
  };

  switch (eventType) {
    case "ping":
      return { ok: true, event: { ...base, kind: "ping", ref: null, before: null, after: null } };
    case "push": {
      const ref = str(payload.ref);
      if (!ref) return invalid("push payload has no ref");
      const after = objectId(payload.after);
      const before = objectId(payload.before);
      if (!after) return invalid("push payload has no valid 'after' object id");
      const kind = refUpdateKind(ref, after, payload.deleted === true);
      if (!kind) return ignored(`push to ${ref} (neither a branch nor a tag)`);
      const event = { ...base, kind, ref, before, after, commits: commitsOf(payload.commits) };
      if (kind === "tag_push" || kind === "tag_delete") {
        const name = ref.slice("refs/tags/".length);
        return { ok: true, event: { ...event, tag: isZero(after) ? { name } : { name, objectId: after } } };
      }
      return { ok: true, event };
    }
    case "create":
    case "delete": {
      const refType = str(payload.ref_type);
      const name = str(payload.ref);
      if (!name || !refType) return invalid(`${eventType} payload needs ref and ref_type`);
      // Branch creation also arrives as a push event; reporting it twice would start its jobs twice.
      if (eventType === "create" && refType === "branch") return ignored("branch creation (its push event carries it)");
      if (refType !== "tag" && refType !== "branch") return ignored(`${eventType} of a ${refType}`);
      const full = refType === "tag" ? `refs/tags/${name}` : `refs/heads/${name}`;
      const kind = eventType === "create" ? "tag_push" : refType === "tag" ? "tag_delete" : "branch_delete";
      return {
        ok: true,
        event: {
          ...base,
          kind,
          ref: full,
          before: null,
          after: null,
          ...(refType === "tag" ? { tag: { name } } : {}),
        },
      };
    }
    default:
      return ignored(`unsupported event type "${eventType}"`);
  }
}
