// Bindings the tests add to the Worker's own.
import type { D1Migration } from "cloudflare:test";
import type { Env as ForgelineEnv } from "../workers/env";

declare global {
  namespace Cloudflare {
    interface Env extends ForgelineEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** Base URL of the loopback git server (test/git-server.mjs). */
      GIT_SERVER: string;
      /** Absolute path of ../shared/fixtures/publish. */
      PUBLISH_FIXTURES: string;
    }
  }
}
