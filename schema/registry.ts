// D1 tables of the registry room: forges (with their webhook secrets) and repos (a listing mirror of RepoObject).

import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const forges = sqliteTable("forges", {
  /** Host name plus any non-default port, lower case: `github.com`, `git.example.org:3000`. */
  host: text("host").primaryKey(),
  kind: text("kind", { enum: ["github", "gitea", "forgejo", "gogs", "gitlab"] }).notNull(),
  /** Base URL for API calls and preflight checks; defaults to `https://<host>`. */
  baseUrl: text("base_url").notNull(),
  webhookSecret: text("webhook_secret").notNull(),
  /** Token for fetching private repos and pushing; never returned by the API. */
  token: text("token"),
  /** JSON array of CIDRs webhooks may come from; null or empty allows any source. */
  allowedCidrs: text("allowed_cidrs", { mode: "json" }).$type<string[] | null>(),
  /** JSON pipelines config given to repos registered automatically from this forge's webhooks; null: off. */
  autoRegister: text("auto_register", { mode: "json" }).$type<Record<string, unknown> | null>(),
  /** Reachability, mirrored from the ForgeObject. */
  reachable: integer("reachable", { mode: "boolean" }).notNull().default(true),
  lastFailure: text("last_failure"),
  downSince: integer("down_since"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

export const repos = sqliteTable(
  "repos",
  {
    id: text("id").primaryKey(),
    /** Scheme-free identity `host/path`; names the RepoObject. */
    key: text("key").notNull().unique(),
    url: text("url").notNull(),
    cloneUrl: text("clone_url").notNull(),
    host: text("host").notNull(),
    pipelines: text("pipelines", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    error: text("error"),
    errorAt: integer("error_at"),
    lastEventAt: integer("last_event_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    /** Bumped by every change in the RepoObject, so an older write never overwrites a newer one. */
    version: integer("version").notNull(),
  },
  (t) => [index("repos_host").on(t.host)],
);
