// The publish pipeline (Door43 tX–style): a push to a content repo becomes a build that converts its USFM or
// Markdown to a website per commit, served from SITES under /u/<owner>/<repo>/<commit10>/.

import type { PipelineModule } from "../core/pipeline";
import { PUBLISH, publishKind } from "./kind";
import { runPublish } from "./job";
import { publishApi, siteRoutes } from "./routes";
import { publishConfig, planPublish } from "./trigger";

export const publishModule: PipelineModule = {
  pipeline: { name: PUBLISH, config: publishConfig, kinds: [publishKind], plan: planPublish },
  handlers: { [PUBLISH]: runPublish },
  routes: [
    { path: "/u", app: siteRoutes },
    { path: "/api/publish", app: publishApi },
  ],
};
