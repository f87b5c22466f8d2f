// The Hono app: error shape, the spine's routes and each listed pipeline's routes, with the registry the
// entry hands over set on every request (`c.var.registry`).

import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, errorBody, notFound } from "./core/errors";
import type { Registry, RegistryBindings, Setting } from "./kinds";
import { hooks } from "./ingress/routes";
import { forgeRoutes } from "./api/forges";
import { repoRoutes } from "./api/repos";
import { jobRoutes } from "./api/jobs";
import { dashboard } from "./pages";
import { lifecycleRoutes, registryRoutes, workflowRoutes } from "./registry/routes";

/** The app serving the pipelines of `registryFor(env)`; every listed pipeline's routes are mounted, gated. */
export function buildApp(registryFor: (env: Setting) => Registry): Hono<RegistryBindings> {
  const app = new Hono<RegistryBindings>();

  app.onError((err, c) => {
    if (err instanceof AppError) return c.json(errorBody(err.code, err.message), err.status);
    if (err instanceof HTTPException) return c.json(errorBody("http_error", err.message), err.status);
    console.error(`${c.req.method} ${new URL(c.req.url).pathname}:`, err);
    return c.json(errorBody("internal", "internal error; see the Worker's logs"), 500);
  });

  app.notFound((c) =>
    c.json(errorBody("not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404),
  );

  app.use(async (c, next) => {
    c.set("registry", registryFor(c.env));
    await next();
  });

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.route("/hooks", hooks);
  app.route("/api/forges", forgeRoutes);
  app.route("/api/repos", repoRoutes);
  app.route("/api/jobs", jobRoutes);
  app.route("/api/repos", lifecycleRoutes);
  app.route("/api/registries", registryRoutes);
  app.route("/api/workflows", workflowRoutes);
  // Every listed pipeline's routes, so that one this deployment does not run answers as absent, with the reason.
  for (const m of registryFor({}).all) {
    const name = m.pipeline.name;
    for (const r of m.routes ?? []) {
      app.use(`${r.path}/*`, async (c, next) => {
        const registry = c.get("registry");
        if (!registry.isEnabled(name)) throw notFound(registry.disabledReason(name), "pipeline_disabled");
        await next();
      });
      app.route(r.path, r.app);
    }
  }
  // The dashboard last: it answers `/` and the page paths the API does not, reading through this app's own routes.
  app.route("/", dashboard(app) as unknown as Hono<RegistryBindings>);
  return app;
}
