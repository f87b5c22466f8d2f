// Starting jobs from outside a webhook (an API call, the scheduler): they still go through the
// repo's chain, so two jobs of one pipeline never run at once on one repo.

import type { Env } from "../env";
import type { PlannedJob } from "./pipeline";
import type { JobRef } from "./job";
import { parseRepoUrl } from "./repo-url";
import { remote } from "./remote";

export async function submitJobs(env: Env, repoUrl: string, planned: PlannedJob[]): Promise<JobRef[]> {
  const address = parseRepoUrl(repoUrl);
  return remote(env.REPO, address.key).submit(address, planned);
}
