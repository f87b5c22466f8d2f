// The one explicit list of the pipelines this Worker runs. Each module brings its config schema and job kinds,
// its job handlers, its routes, its periodic tasks and its queues; `Registry` (kinds.ts) is built from this
// list by the entry (workers/index.ts), which hands it to the app, the consumers, the cron and the Durable
// Objects. A pipeline joins by adding its module here; importing this file registers nothing.

import type { PipelineModule } from "./core/pipeline";
import { archiveModule } from "./archive";
import { tagbuildModule } from "./tagbuild";
import { mirrorModule } from "./mirror";

export const modules: readonly PipelineModule[] = [archiveModule, tagbuildModule, mirrorModule];
