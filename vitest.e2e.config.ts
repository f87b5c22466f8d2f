// End-to-end tests in Node against the real system (`wrangler dev`, real processes); `npm test` runs them
// after the workerd suite.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.mjs"],
    environment: "node",
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
