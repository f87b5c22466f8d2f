// Bindings the tests add to the Worker's own (vitest.config.ts), merged into the generated Cloudflare.Env.
import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** Base URL of the loopback git server (test/git-server.mjs). */
      GIT_SERVER: string;
    }
  }
}
