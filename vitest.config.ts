// Tests run inside workerd with the Worker's real bindings (Durable Objects, D1, R2, Queues).
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { resolve } from "node:path";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        // The real entry's handlers and objects, built from the real pipelines plus the tests' probe pipeline.
        main: "./test/worker.ts",
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            GIT_SERVER: inject("gitServer"),
            ADMIN_TOKEN: "test-admin-token",
            ALLOW_LOOPBACK: "true",
            CRASH_RETRY_SECONDS: "0",
            // The mirror's test key pair (test/mirror/support.ts), as in .dev.vars.example.
            SYNC_RECIPIENTS: "age1nyx3vkv2kdvnzvyxkzt2n4regk8hre4ds8tjetl8h8sqa754r5cs6fk2rw",
            SYNC_IDENTITY: "AGE-SECRET-KEY-1H55KMTJ4ARG8K4VSKTDX5ZNWNXMHT0EHJWT4ZP4RYK4V6KNMYLWQNXNMR6",
            MIRROR_MAX_TAR_BYTES: String(8 * 1024 * 1024),
            BUILDER_TOKENS: "test-builder-token,second-builder-token",
            // The publish pipeline's real content fixtures (../shared/fixtures/publish), unpacked by its tests.
            PUBLISH_FIXTURES: resolve("../shared/fixtures/publish"),
            // Limits low enough for a test to cross (en_ult's 45 MB and en_tw's 1000 files stay under them).
            PUBLISH_MAX_BYTES: String(64 * 1024 * 1024),
            PUBLISH_MAX_FILES: "3000",
            OBSERVER_TOKENS: "test-observer-token,second-observer-token",
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
