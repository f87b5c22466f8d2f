// The publish pipeline end to end in workerd: real repos built from the Door43 fixtures, served by the loopback
// git server, pushed through the real Gitea ingress, built by the real queue consumer, checked as deployed.

import { describe, expect, it } from "vitest";
import { call, json, unique, type Answer } from "../support/http";
import { fixtureRepo, publishFile, settled } from "./support";

const file = publishFile();

async function page(path: string): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await call(path);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe("publish", () => {
  it("en-obs: a push becomes 50 story pages, a build log, project.json and the ref's path", async () => {
    const repo = await fixtureRepo("en-obs-rc-0.2", unique("obs"));
    await file.register(repo);
    const id = (await file.push(repo, repo.commit))[0]!.id;
    const done = await settled(id);
    expect(done.build).toMatchObject({
      status: "success",
      resourceType: "obs",
      commit: repo.commit,
      filesConverted: 52,
      filesReused: 0,
    });
    expect(done.job.transitions.map((t: Answer) => t.to)).toEqual([
      "requested",
      "started",
      "converting",
      "deploying",
      "success",
    ]);
    const base = `/u/o/${repo.name}/${repo.commit.slice(0, 10)}/`;
    expect(done.build.site).toBe(base);
    for (let n = 1; n <= 50; n++) {
      const story = await page(`${base}${String(n).padStart(2, "0")}.html`);
      expect(story.status, `story ${n}`).toBe(200);
      expect(story.text, `story ${n}`).toMatch(
        /<img src="https:\/\/cdn\.door43\.org\/obs\/jpg\/360px\/obs-en-\d\d-\d\d\.jpg[^"]*"/,
      );
      expect(story.text).toMatch(/<em>A Bible story from: [^<]+<\/em>/);
    }
    const index = await page(base);
    expect(index.status).toBe(200);
    expect(index.headers.get("Content-Type")).toBe("text/html; charset=utf-8");
    expect(index.headers.get("Cache-Control")).toContain("immutable");
    expect(index.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(index.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const etag = index.headers.get("ETag")!;
    expect((await call(base, { headers: { "If-None-Match": etag } })).status).toBe(304);

    const log = JSON.parse((await page(`${base}build_log.json`)).text);
    for (const field of [
      "job_id",
      "identifier",
      "repo_owner",
      "repo_name",
      "commit_id",
      "commit_message",
      "commit_url",
      "committed_by",
      "compare_url",
      "created_at",
      "started_at",
      "ended_at",
      "status",
      "success",
      "message",
      "convert_module",
      "input_format",
      "output_format",
      "resource_type",
      "log",
      "warnings",
      "errors",
    ])
      expect(log, field).toHaveProperty(field);
    expect(log).toMatchObject({
      job_id: id,
      repo_owner: "o",
      repo_name: repo.name,
      commit_id: repo.commit,
      status: "success",
      success: true,
      resource_type: "obs",
      committed_by: "Forgeline Test <test@forgeline.invalid>",
      commit_message: "import en-obs-rc-0.2\n",
    });
    const project = await page(`/u/o/${repo.name}/project.json`);
    expect(project.headers.get("Cache-Control")).toContain("max-age=60");
    expect(JSON.parse(project.text).builds).toEqual([
      expect.objectContaining({
        id,
        status: "success",
        success: true,
        created_at: log.created_at,
        started_at: log.started_at,
        ended_at: log.ended_at,
      }),
    ]);

    const byRef = await page(`/u/o/${repo.name}/master/01.html`);
    expect(byRef.status).toBe(200);
    expect(byRef.headers.get("Cache-Control")).toContain("max-age=60");
    const front = await call(`/u/o/${repo.name}/`, { redirect: "manual" });
    expect(front.status).toBe(302);
    expect(front.headers.get("Location")).toBe(`/u/o/${repo.name}/${repo.commit.slice(0, 10)}/`);
    const nothing = await page(`${base}nope.html`);
    expect(nothing.status).toBe(404);
    expect(nothing.text).toContain("Not found");
    expect((await page(`/u/o/${repo.name}/.refs/master`)).status).toBe(404);

    const listed = await json(call(`/api/publish/builds?repo=o/${repo.name}&status=success`));
    expect(listed.body.builds.map((b: Answer) => b.id)).toEqual([id]);
    expect((await call(`/api/publish/builds?status=nonsense`)).status).toBe(400);
  });

  it("unknown_resource: the build fails with No converter found, publishes nothing, and the ref keeps no site", async () => {
    const repo = await fixtureRepo("unknown_resource", unique("unk"));
    await file.register(repo);
    const id = (await file.push(repo, repo.commit))[0]!.id;
    const done = await settled(id);
    expect(done.build.status).toBe("failed");
    expect(done.errors).toEqual(["No converter was found to convert unkonwn from md to html"]);
    const log = JSON.parse((await page(`/u/o/${repo.name}/${repo.commit.slice(0, 10)}/build_log.json`)).text);
    expect(log).toMatchObject({ status: "failed", success: false, message: "No converter found" });
    expect((await page(`/u/o/${repo.name}/${repo.commit.slice(0, 10)}/index.html`)).status).toBe(404);
    expect((await page(`/u/o/${repo.name}/master/index.html`)).status).toBe(404);
  });
});

describe("publish: translationWords and translationAcademy", () => {
  it("en_tw: one page per article; each section's table of contents links every article, all served", async () => {
    const repo = await fixtureRepo("en_tw", unique("tw"));
    await file.register(repo);
    const done = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(done.build).toMatchObject({ status: "success", resourceType: "tw" });
    const base = done.build.site as string;
    let articles = 0;
    for (const section of ["kt", "names", "other"]) {
      const toc = await page(`${base}${section}/index.html`);
      expect(toc.status, section).toBe(200);
      const links = [.../<nav class="toc">(.*?)<\/nav>/s.exec(toc.text)![1]!.matchAll(/href="([^"]+)"/g)].map(
        (m) => m[1]!,
      );
      articles += links.length;
      for (const href of links.filter((_, i) => i % 25 === 0))
        expect((await call(`${base}${section}/${href}`)).status, href).toBe(200);
    }
    // Every article and the three contents pages.
    expect(done.build.filesConverted).toBe(articles);
    expect((await page(`${base}kt/grace.html`)).text).toContain("<h1>grace, gracious</h1>");
  }, 300_000);

  it("en_ta: one page per article with its title; the manuals' contents from toc.yaml", async () => {
    const repo = await fixtureRepo("en_ta", unique("ta"));
    await file.register(repo);
    const done = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(done.build).toMatchObject({ status: "warnings", resourceType: "ta", manifestSource: "manifest.yaml" });
    const base = done.build.site as string;
    const toc = await page(`${base}translate/index.html`);
    expect(toc.text).toContain('<a href="figs-metaphor.html">Metaphor</a>');
    const metaphor = await page(`${base}translate/figs-metaphor.html`);
    expect(metaphor.text).toContain("<h1>Metaphor</h1>");
    expect(metaphor.text).toContain(
      '<p class="sub-title">What is a metaphor and how can I translate a sentence that has one?</p>',
    );
  }, 300_000);
});
