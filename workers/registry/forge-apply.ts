// Carries out a forge's repository action: a move or a freeze starts its workflow, a removal or a creation changes
// the repo; an action about a repo Forgeline does not know is logged in the registry stream and nothing else.

import type { Env } from "../env";
import type { RepoObject } from "../../durable-objects/repo";
import type { RegistryObject } from "../../durable-objects/registry";
import { remote } from "../core/remote";
import { AppError } from "../core/errors";
import { parseRepoUrl } from "../core/repo-url";
import type { ForgeFamily } from "../core/forge-event";
import type { RepoAction } from "./forge-actions";
import { startWorkflow } from "./routes";

export interface ActionContext {
  forge: ForgeFamily;
  delivery: string;
  /** The forge's autoRegister pipelines, or null when it registers nothing by itself. */
  autoRegister: Record<string, unknown> | null;
}

export type ActionResult = { done: string; repo: string; workflow?: string } | { ignored: string; logged?: string };

export async function applyRepoAction(env: Env, action: RepoAction, ctx: ActionContext): Promise<ActionResult> {
  const subject = parseRepoUrl(action.action === "move" ? action.from : action.url);
  const repo = await remote<RepoObject>(env.REPO, subject.key).view();
  const by = `${ctx.forge}: ${action.what}`;

  if (action.action === "create") {
    if (repo) return { ignored: "repo already registered" };
    if (!ctx.autoRegister) return unknown(env, ctx, action, subject.host, subject.fullName);
    const made = await remote<RepoObject>(env.REPO, subject.key).register(subject, ctx.autoRegister, by);
    return { done: "registered", repo: made.repo.id };
  }
  if (!repo) {
    // A move delivered again after it took effect names a repo that is already at its destination.
    if (action.action === "move") {
      const there = await remote<RepoObject>(env.REPO, parseRepoUrl(action.to).key).view();
      if (there && there.url === parseRepoUrl(action.to).url) return { ignored: "repo is already at the new URL" };
    }
    return unknown(env, ctx, action, subject.host, subject.fullName);
  }
  const stub = remote<RepoObject>(env.REPO, repo.key);
  if (action.action === "remove") {
    await stub.remove(by);
    return { done: "removed", repo: repo.id };
  }
  const kind = action.action === "move" ? "move-repo" : action.action === "freeze" ? "freeze-repo" : "unfreeze-repo";
  try {
    const started = await startWorkflow(env, stub, kind, action.action === "move" ? action.to : null, by);
    return { done: kind, repo: repo.id, workflow: started.workflow };
  } catch (err) {
    // Refused (already frozen, mid-move, destination taken): the forge cannot do better by sending it again.
    if (err instanceof AppError) return { ignored: `${kind} refused: ${err.message}` };
    throw err;
  }
}

async function unknown(
  env: Env,
  ctx: ActionContext,
  action: RepoAction,
  host: string,
  path: string,
): Promise<ActionResult> {
  const data: Record<string, string> =
    action.action === "move" ? { from: action.from, to: action.to } : { url: action.url };
  const logged = await remote<RegistryObject>(env.REGISTRY, host).record(host, {
    source: `delivery:${ctx.forge}:${ctx.delivery}`,
    kind: "repo_unknown_event",
    repo: null,
    path,
    data: { action: action.action, what: action.what, forge: ctx.forge, ...data },
  });
  return { ignored: "repo not registered", logged };
}
