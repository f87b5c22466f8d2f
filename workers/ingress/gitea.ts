// Gitea, Forgejo and Gogs deliveries (push, create, delete) as ForgeEvents: one payload family.

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

export function giteaHomeUrl(payload: Obj): string | null {
  return str(obj(payload.repository)?.html_url);
}

export function normalizeGitea(eventType: string, payload: Obj, meta: DeliveryMeta): Normalized {
  const repo = obj(payload.repository);
  if (!repo) return invalid("payload has no repository object");
  const url = str(repo.html_url);
  if (!url) return invalid("repository.html_url is missing");
  const address = parseRepoUrl(url);
  const owner = obj(repo.owner);
  const pusher = obj(payload.pusher) ?? obj(payload.sender);
  const base = {
    forge: meta.forge,
    host: address.host,
    delivery: meta.delivery,
    receivedAt: meta.receivedAt,
    repo: {
      url: address.url,
      cloneUrl: str(repo.clone_url) ?? address.cloneUrl,
      fullName: str(repo.full_name) ?? address.fullName,
      owner: str(owner?.login) ?? str(owner?.username) ?? address.owner,
      name: str(repo.name) ?? address.name,
      defaultBranch: str(repo.default_branch) ?? str(payload.default_branch),
      private: repo.private === true,
    },
    pusher: str(pusher?.login) ?? str(pusher?.username),
    commits: [],
  };

  switch (eventType) {
    case "push": {
      const ref = str(payload.ref);
      if (!ref) return invalid("push payload has no ref");
      const after = objectId(payload.after);
      if (!after) return invalid("push payload has no valid 'after' object id");
      const kind = refUpdateKind(ref, after, false);
      if (!kind) return ignored(`push to ${ref} (neither a branch nor a tag)`);
      const event = {
        ...base,
        kind,
        ref,
        before: objectId(payload.before),
        after,
        commits: commitsOf(payload.commits),
      };
      if (kind === "tag_push" || kind === "tag_delete") {
        const name = ref.slice("refs/tags/".length);
        return { ok: true, event: { ...event, tag: isZero(after) ? { name } : { name, objectId: after } } };
      }
      return { ok: true, event };
    }
    case "create":
    case "delete": {
      const refType = str(payload.ref_type);
      const ref = str(payload.ref);
      if (!ref || !refType) return invalid(`${eventType} payload needs ref and ref_type`);
      if (eventType === "create" && refType === "branch") return ignored("branch creation (its push event carries it)");
      if (refType !== "tag" && refType !== "branch") return ignored(`${eventType} of a ${refType}`);
      // Gitea sends the short name; some versions send the full ref.
      const name = ref.replace(/^refs\/(tags|heads)\//, "");
      const full = refType === "tag" ? `refs/tags/${name}` : `refs/heads/${name}`;
      const kind = eventType === "create" ? "tag_push" : refType === "tag" ? "tag_delete" : "branch_delete";
      const sha = eventType === "create" ? objectId(payload.sha) : null;
      return {
        ok: true,
        event: {
          ...base,
          kind,
          ref: full,
          before: null,
          after: sha,
          ...(refType === "tag" ? { tag: sha ? { name, objectId: sha } : { name } } : {}),
        },
      };
    }
    default:
      return ignored(`unsupported event type "${eventType}"`);
  }
}
