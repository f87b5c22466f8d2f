// Tests run inside workerd with the Worker's real bindings (Durable Objects, D1, R2, Queues).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            GIT_SERVER: inject("gitServer"),
            ADMIN_TOKEN: "test-admin-token",
            ALLOW_LOOPBACK: "true",
            CRASH_RETRY_SECONDS: "0",
            BUILDER_TOKENS: "test-builder-token,second-builder-token",
          },
        },
      })),
    ],
    test: {
      globalSetup: ["test/global-setup.ts"],
      setupFiles: ["test/apply-migrations.ts"],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  };
});
