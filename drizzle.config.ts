// drizzle-kit: `npm run db:generate` writes SQL migrations for wrangler to apply.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./schema/index.ts",
  out: "./migrations",
});
