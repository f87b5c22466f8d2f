// The `publish` job's handler: resolve the ref, fetch the tree at the commit, find and normalize the manifest,
// convert (cached per unit), deploy the site, point the ref at it when it built, and call back. Each step is
// checkpointed in the JobObject, so a redelivery or retry does not redo finished ones.

import type { Env } from "../env";
import type { JobContext } from "../core/job-context";
import type { Json } from "../core/job";
import { JobError, messageOf } from "../core/errors";
import { hmacSha256Hex } from "../core/digest";
import { checkOutboundUrl, outboundPolicy } from "../core/outbound";
import { findForgeCached } from "../api/forge-store";
import { GitError, listRefs, tokenAuth, type GitAuth } from "../git";
import { buildStatus, statusMessage, type BuildLog, type BuildStatus } from "./build-log";
import { prepare, siteFiles } from "./build";
import { convertSite, type ConvertSummary } from "./conversion";
import type { ResourceContainer } from "./manifest";
import { MANIFEST_FILES } from "./manifest";
import { planMetaPaths, type BuildPlan } from "./plan";
import { callbackSecret, publishSettings } from "./settings";
import {
  commitPrefix,
  pointRefs,
  putFile,
  readBuildLog,
  recordProjectBuild,
  removeBuildFiles,
  repoPrefix,
} from "./site";
import { decodeSource } from "./source";
import { insertBuild, updateBuild } from "./store";
import {
  checkSymlinks,
  fetchTree,
  listTree,
  packKey,
  readBlobs,
  TreeRefused,
  type CommitFacts,
  type TreeFile,
} from "./tree";

export interface PublishInput {
  ref: string;
  /** The pushed commit (the ref's head when the build starts wins: a newer push supersedes a waiting one). */
  commit: string | null;
  before: string | null;
  owner: string;
  name: string;
  repoUrl: string;
  cloneUrl: string;
  host: string;
  callback: string | null;
}

type Prepared =
  | { ok: true; rc: ResourceContainer; plan: BuildPlan; warnings: string[] }
  | { ok: false; message: string; error: string };

/** The most warnings or errors a build log lists; the count of the rest is said. */
const MAX_LISTED = 1000;
const capped = (list: string[]) =>
  list.length > MAX_LISTED ? [...list.slice(0, MAX_LISTED), `… and ${list.length - MAX_LISTED} more`] : list;
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function runPublish(ctx: JobContext, env: Env): Promise<void> {
  const input = ctx.input<PublishInput>();
  const settings = publishSettings(env);
  const forge = await findForgeCached(env.DB, input.host);
  const auth: GitAuth | undefined = forge?.token ? tokenAuth(forge.token) : undefined;
  await insertBuild(env.DB, {
    id: ctx.id,
    repoId: ctx.job.repoId,
    owner: input.owner,
    repo: input.name,
    ref: input.ref,
    commitId: input.commit,
  });
  if (ctx.state === "requested") await ctx.to("started", `building ${input.ref}`);

  let commit: string | null = input.commit;
  let facts: CommitFacts | null = null;
  try {
    commit = await ctx.step("resolve", () => resolveCommit(input, auth));
    const timings: string[] = [];
    const timed = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
      const t0 = Date.now();
      const value = await work();
      timings.push(`${what}: ${Date.now() - t0} ms`);
      return value;
    };
    await timed("fetch", () =>
      ctx.step("fetch", async () => ({
        bytes: await fetchTree(env.ARTIFACTS, input.cloneUrl, commit!, packKey(ctx.id), auth),
      })),
    );
    const tree = (await timed("tree", () =>
      ctx.step("tree", async () => {
        const listing = await listTree(env.ARTIFACTS, packKey(ctx.id), commit!, settings);
        const warnings = [...listing.warnings, ...(await checkSymlinks(env.ARTIFACTS, packKey(ctx.id), listing))];
        return {
          commit: listing.commit,
          files: listing.files,
          warnings,
          totalBytes: listing.totalBytes,
        } as unknown as Json;
      }),
    )) as unknown as { commit: CommitFacts; files: TreeFile[]; warnings: string[]; totalBytes: number };
    facts = tree.commit;
    if (ctx.state === "started") await ctx.to("converting", `${tree.files.length} files, ${tree.totalBytes} bytes`);
    const prepared = (await timed("plan", () =>
      ctx.step("plan", () => planSite(env, ctx.id, input.name, tree.files, settings.maxFileBytes) as Promise<never>),
    )) as Prepared;
    if (!prepared.ok)
      return await finish(ctx, env, input, facts, {
        status: "failed",
        message: prepared.message,
        errors: [prepared.error],
        warnings: tree.warnings,
      });
    await updateBuild(env.DB, ctx.id, {
      commitId: commit,
      identifier: prepared.rc.identifier,
      resourceType: prepared.rc.resourceType,
      title: prepared.rc.title,
      language: prepared.rc.language.identifier,
      direction: prepared.rc.language.direction,
      manifestSource: prepared.rc.source,
      manifest: JSON.stringify(prepared.rc),
    });
    const prefix = commitPrefix(input.owner, input.name, commit!);
    const summary = (await timed("convert", () =>
      ctx.step("convert", async () => {
        const s = await convertSite(
          {
            artifacts: env.ARTIFACTS,
            sites: env.SITES,
            packKey: packKey(ctx.id),
            prefix,
            maxObjectBytes: settings.maxFileBytes,
            heartbeat: (n) => ctx.heartbeat(n),
          },
          prepared.rc,
          prepared.plan,
          tree.files,
        );
        return { ...s, warnings: capped(s.warnings), errors: capped(s.errors) } as unknown as Json;
      }),
    )) as unknown as ConvertSummary;
    const warnings = [...tree.warnings, ...prepared.warnings, ...summary.warnings];
    const status = buildStatus(summary.errors, warnings);
    return await finish(
      ctx,
      env,
      input,
      facts,
      {
        status,
        message: statusMessage(status, summary.errors),
        errors: summary.errors,
        warnings,
        log: [...summary.log, ...timings],
        rc: prepared.rc,
        plan: prepared.plan,
        converted: summary.converted,
        reused: summary.reused,
      },
      commit!,
    );
  } catch (err) {
    // What retrying cannot mend ends the build failed, with its log; a weak error (the forge down) is retried.
    const fatal = err instanceof TreeRefused || (err instanceof GitError && err.strength !== "weak");
    if (!fatal) throw err instanceof GitError ? new JobError("weak", err.message) : err;
    return finish(
      ctx,
      env,
      input,
      facts,
      { status: "failed", message: "Fetching the tree failed", errors: [messageOf(err)], warnings: [] },
      commit,
    );
  }
}

/** The commit to build: the ref's head now (a newer push supersedes a waiting one), else the pushed commit. */
async function resolveCommit(input: PublishInput, auth?: GitAuth): Promise<string> {
  const listing = await listRefs(input.cloneUrl, { auth, prefixes: [input.ref], signal: AbortSignal.timeout(30_000) });
  const found = listing.refs.find((r) => r.name === input.ref);
  const head = found ? (found.peeled ?? found.oid) : null;
  if (head) return head;
  if (input.commit) return input.commit;
  throw new TreeRefused(`${input.ref} does not exist in ${input.repoUrl}`);
}

/** Reads the manifest and planning files from the pack, and plans the site. */
async function planSite(
  env: Env,
  jobId: string,
  repoName: string,
  files: TreeFile[],
  maxObjectBytes: number,
): Promise<Prepared> {
  const oidOf = new Map(files.map((f) => [f.path, f.oid]));
  const paths = files.map((f) => f.path);
  const texts = new Map<string, string>();
  const errors: string[] = [];
  const readSome = async (wanted: string[]) => {
    const byOid = new Map<string, string[]>();
    for (const p of wanted) if (oidOf.has(p)) byOid.set(oidOf.get(p)!, [...(byOid.get(oidOf.get(p)!) ?? []), p]);
    await readBlobs(env.ARTIFACTS, packKey(jobId), new Set(byOid.keys()), maxObjectBytes, (oid, data) => {
      for (const p of byOid.get(oid)!) {
        const d = decodeSource(p, data);
        if (d.ok) texts.set(p, d.text);
        else errors.push(d.error);
      }
    });
  };
  await readSome(MANIFEST_FILES);
  if (errors.length) return { ok: false, message: "Bad manifest", error: errors[0]! };
  const first = prepare(paths, (p) => texts.get(p), repoName);
  if (!first.ok) return first;
  const meta = planMetaPaths(first.rc, paths);
  if (!meta.length) return first;
  await readSome(meta);
  return prepare(paths, (p) => texts.get(p), repoName);
}

interface Outcome {
  status: BuildStatus;
  message: string;
  errors: string[];
  warnings: string[];
  log?: string[];
  rc?: ResourceContainer;
  plan?: BuildPlan;
  converted?: number;
  reused?: number;
}

/** Deploys (or, for a failed build, removes what it wrote and keeps only its log), records, calls back, settles. */
async function finish(
  ctx: JobContext,
  env: Env,
  input: PublishInput,
  facts: CommitFacts | null,
  o: Outcome,
  commit: string | null = null,
): Promise<void> {
  if (ctx.state === "converting") await ctx.to("deploying", o.message);
  const buildLog = (await ctx.step("deploy", async () => {
    const sha = commit ?? input.commit ?? "0000000000";
    const prefix = commitPrefix(input.owner, input.name, sha);
    const endedAt = Date.now();
    const log: BuildLog = {
      job_id: ctx.id,
      identifier: `${input.owner}/${input.name}/${sha.slice(0, 10)}`,
      repo_owner: input.owner,
      repo_name: input.name,
      commit_id: sha,
      commit_message: facts?.message ?? "",
      commit_url: `${input.repoUrl}/commit/${sha}`,
      committed_by: facts?.author ?? "",
      compare_url: input.before && commit ? `${input.repoUrl}/compare/${input.before}...${commit}` : "",
      created_at: iso(ctx.job.createdAt)!,
      started_at: iso(ctx.job.startedAt ?? ctx.job.createdAt)!,
      ended_at: iso(endedAt),
      status: o.status,
      success: o.status !== "failed",
      message: o.message,
      convert_module: o.plan?.convertModule ?? "",
      input_format: o.plan?.inputFormat ?? o.rc?.format ?? "",
      output_format: "html",
      resource_type: o.rc?.resourceType ?? "",
      log: o.log ?? [],
      warnings: o.warnings,
      errors: o.errors,
      files_converted: o.converted ?? 0,
      files_reused: o.reused ?? 0,
    };
    if (o.status === "failed") {
      // Nothing half-published: unless an earlier build of this very commit succeeded, its pages go.
      const earlier = await readBuildLog(env.SITES, prefix);
      if (!earlier?.success) await removeBuildFiles(env.SITES, prefix);
      await putFile(
        env.SITES,
        `${prefix}${earlier?.success ? `build_log-${ctx.id}.json` : "build_log.json"}`,
        JSON.stringify(log, null, 2),
      );
    } else {
      for (const [path, body] of siteFiles(o.rc!, o.plan!, []))
        if (path !== "search.json") await putFile(env.SITES, prefix + path, body);
      await putFile(env.SITES, `${prefix}build_log.json`, JSON.stringify(log, null, 2));
      await pointRefs(env.SITES, input.owner, input.name, input.ref, { commit: sha.slice(0, 10), build: ctx.id });
    }
    await recordProjectBuild(env.SITES, input.owner, input.name, {
      id: ctx.id,
      created_at: log.created_at,
      started_at: log.started_at,
      ended_at: log.ended_at,
      status: o.status,
      success: log.success,
      commit_id: sha,
      ref: input.ref,
    });
    await updateBuild(env.DB, ctx.id, {
      commitId: sha,
      filesConverted: log.files_converted,
      filesReused: log.files_reused,
      warnings: o.warnings.length,
      errors: o.errors.length,
      sitePath: o.status === "failed" ? null : `/${prefix}`,
    });
    await env.ARTIFACTS.delete(packKey(ctx.id));
    return log as unknown as Json;
  })) as unknown as BuildLog;
  if (input.callback) await ctx.step("callback", () => callBack(env, ctx, input.callback!, buildLog));
  await ctx.to(o.status, o.status === "failed" ? `${o.message}: ${o.errors[0] ?? ""}`.slice(0, 500) : o.message, {
    site: o.status === "failed" ? null : `/${repoPrefix(input.owner, input.name)}${buildLog.commit_id.slice(0, 10)}/`,
    converted: buildLog.files_converted,
    reused: buildLog.files_reused,
  });
}

/** POSTs the build log to the repo's callback, signed; a failure is a weak error (retried with backoff). */
async function callBack(env: Env, ctx: JobContext, url: string, log: BuildLog): Promise<Json> {
  checkOutboundUrl(url, outboundPolicy(env), "callback");
  const body = new TextEncoder().encode(JSON.stringify(log));
  const signature = await hmacSha256Hex(await callbackSecret(env, ctx.job.repoId ?? ctx.job.repoKey), body);
  let res: Response;
  try {
    res = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "X-Forgeline-Signature": `sha256=${signature}`,
        "X-Forgeline-Job": ctx.id,
      },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new JobError("weak", `callback ${url}: ${messageOf(err)}`);
  }
  await res.body?.cancel();
  if (!res.ok) throw new JobError("weak", `callback ${url} answered ${res.status}`);
  await ctx.log(`callback ${url}: ${res.status}`);
  return { status: res.status };
}
