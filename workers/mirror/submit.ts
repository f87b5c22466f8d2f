// Starting mirror jobs in the right repo chain: a produce job in its source repo's chain, a consume job in
// its destination repo's chain (so two objects for one destination are pushed one after the other).

import type { RepoObject } from "../../durable-objects/repo";
import { remote } from "../core/remote";
import { parseRepoUrl } from "../core/repo-url";
import type { JobRef } from "../../durable-objects/repo";
import type { Env } from "../env";
import type { ConsumeInput, ProduceInput } from "./kinds";
import type { SyncKey } from "./keys";
import { mirrorOfKey } from "./store";

export async function submitProduce(env: Env, sourceUrl: string, branch: string): Promise<JobRef[]> {
  const address = parseRepoUrl(sourceUrl);
  const input: ProduceInput = { sourceUrl: address.url, branch };
  return remote<RepoObject>(env.REPO, address.key).submit(address, [
    { kind: "mirror-produce", input: { ...input }, coalesce: `produce:${branch}` },
  ]);
}

/** Where a key's destination is: the spec configured here, else `MIRROR_DESTINATION_BASE/<group>/<project>`. */
export async function destinationOf(env: Env, key: SyncKey): Promise<{ url: string; mirrorId: string | null } | null> {
  const spec = await mirrorOfKey(env.DB, key);
  if (spec) return { url: spec.destinationUrl, mirrorId: spec.id };
  if (!env.MIRROR_DESTINATION_BASE) return null;
  return { url: `${env.MIRROR_DESTINATION_BASE.replace(/\/+$/, "")}/${key.group}/${key.project_name}`, mirrorId: null };
}

export async function submitConsume(env: Env, destinationUrl: string, object: ConsumeInput): Promise<JobRef[]> {
  const address = parseRepoUrl(destinationUrl);
  return remote<RepoObject>(env.REPO, address.key).submit(address, [
    {
      kind: "mirror-consume",
      input: { key: object.key, etag: object.etag },
      coalesce: `consume:${object.key}\n${object.etag}`,
    },
  ]);
}
