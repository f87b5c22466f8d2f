// The Hono app: error shape, the spine's routes and each pipeline's routes.

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Env } from "./env";
import { AppError, errorBody, notFound } from "./core/errors";
import { hooks } from "./ingress/routes";
import { forgeRoutes } from "./api/forges";
import { repoRoutes } from "./api/repos";
import { jobRoutes } from "./api/jobs";
import { enabledModules, modules } from "./pipelines";
import { lifecycleRoutes, registryRoutes, workflowRoutes } from "./registry/routes";

export const app = new Hono<{ Bindings: Env }>();

app.onError((err, c) => {
  if (err instanceof AppError) return c.json(errorBody(err.code, err.message), err.status);
  if (err instanceof HTTPException) return c.json(errorBody("http_error", err.message), err.status);
  console.error(`${c.req.method} ${new URL(c.req.url).pathname}:`, err);
  return c.json(errorBody("internal", "internal error; see the Worker's logs"), 500);
});

app.notFound((c) => c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));

app.get("/healthz", (c) => c.json({ ok: true }));

app.route("/hooks", hooks);
app.route("/api/forges", forgeRoutes);
app.route("/api/repos", repoRoutes);
app.route("/api/jobs", jobRoutes);
app.route("/api/repos", lifecycleRoutes);
app.route("/api/registries", registryRoutes);
app.route("/api/workflows", workflowRoutes);
for (const m of modules) {
  for (const r of m.routes ?? []) {
    // A pipeline this deployment does not run answers as if absent, with the reason.
    app.use(`${r.path}/*`, async (c, next) => {
      if (!enabledModules(c.env).includes(m)) throw notFound(`the ${m.pipeline.name} pipeline is not enabled in this deployment (PIPELINES)`, "pipeline_disabled");
      await next();
    });
    app.route(r.path, r.app);
  }
}
