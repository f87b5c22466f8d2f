// A forge's repository events (GitHub `repository`, GitLab system hooks, Gitea/Forgejo/Gogs `repository`) read as
// lifecycle actions on a repo: a move (rename, transfer), a freeze (archived), an unfreeze, a removal, a creation.

import type { ForgeFamily } from "../core/forge-event";
import { obj, str, type Obj } from "../ingress/normalized";

export type RepoAction =
  | { action: "move"; from: string; to: string; what: string }
  | { action: "freeze" | "unfreeze" | "remove" | "create"; url: string; what: string };

export type ReadAction =
  { ok: true; action: RepoAction } | { ok: false; ignored: string } | { ok: false; invalid: string } | null;

/** Where a GitLab system hook's forge is (it names no URL): the X-Gitlab-Instance header, else `?host=` on the hook URL. */
export function gitlabInstance(headers: Headers, hookUrl: URL): string | null {
  const instance = headers.get("X-Gitlab-Instance");
  if (instance && /^https?:\/\/[^/]+\/?$/.test(instance)) return instance.replace(/\/$/, "");
  const host = hookUrl.searchParams.get("host");
  return host && /^[\w.-]+(:\d+)?$/.test(host) ? `https://${host.toLowerCase()}` : null;
}

/** The home URL of a GitLab system hook's project, for finding its forge; null when it is not a system hook. */
export function systemHookHome(forge: ForgeFamily, headers: Headers, hookUrl: URL, payload: Obj): string | null {
  if (forge !== "gitlab" || !str(payload.event_name)?.startsWith("project_")) return null;
  const instance = gitlabInstance(headers, hookUrl);
  const path = str(payload.path_with_namespace);
  return instance && path ? `${instance}/${path}` : null;
}

/** The same web URL with another owner or another name. */
function sibling(url: string, change: { owner?: string; name?: string }): string {
  const u = new URL(url);
  const parts = u.pathname.split("/").filter(Boolean);
  const name = parts.pop()!;
  return `${u.protocol}//${u.host}/${change.owner ?? parts.join("/")}/${change.name ?? name}`;
}

/** The action a delivery asks for, or null when the delivery is not a repository event (a push, a tag). */
export function readRepoAction(forge: ForgeFamily, eventType: string, payload: Obj, home: string | null): ReadAction {
  if (forge === "gitlab") {
    const name = str(payload.event_name);
    if (!name?.startsWith("project_")) return null;
    const old = str(payload.old_path_with_namespace);
    if (!home)
      return { ok: false, invalid: "system hook: name the GitLab instance (X-Gitlab-Instance header or ?host=)" };
    const base = home.slice(0, home.length - (str(payload.path_with_namespace)?.length ?? 0));
    switch (name) {
      case "project_rename":
      case "project_transfer":
        if (!old) return { ok: false, invalid: `${name} without old_path_with_namespace` };
        return { ok: true, action: { action: "move", from: `${base}${old}`, to: home, what: name } };
      case "project_destroy":
        return { ok: true, action: { action: "remove", url: home, what: name } };
      case "project_create":
        return { ok: true, action: { action: "create", url: home, what: name } };
      default:
        return { ok: false, ignored: `system hook ${name}` };
    }
  }
  if (eventType !== "repository") return null;
  const repo = obj(payload.repository);
  const url = str(repo?.html_url);
  const action = str(payload.action);
  if (!url || !action) return { ok: false, invalid: "repository event needs action and repository.html_url" };
  const what = `repository ${action}`;
  const changes = obj(payload.changes);
  switch (action) {
    case "renamed": {
      const from = str(obj(obj(changes?.repository)?.name)?.from);
      if (!from) return { ok: false, invalid: "renamed without changes.repository.name.from" };
      return { ok: true, action: { action: "move", from: sibling(url, { name: from }), to: url, what } };
    }
    case "transferred": {
      const previous = obj(obj(changes?.owner)?.from);
      const login = str(obj(previous?.user)?.login) ?? str(obj(previous?.organization)?.login);
      if (!login) return { ok: false, invalid: "transferred without changes.owner.from" };
      return { ok: true, action: { action: "move", from: sibling(url, { owner: login }), to: url, what } };
    }
    case "archived":
      return { ok: true, action: { action: "freeze", url, what } };
    case "unarchived":
      return { ok: true, action: { action: "unfreeze", url, what } };
    case "deleted":
      return { ok: true, action: { action: "remove", url, what } };
    case "created":
      return { ok: true, action: { action: "create", url, what } };
    default:
      return { ok: false, ignored: `repository ${action}` };
  }
}
