// Built sites in a real browser: the publish pipeline on `wrangler dev` builds en-ulb-v7 and en_ta, and headless
// Chromium (Debian's package, driven by playwright-core) opens the pages: they render, their navigation links
// resolve, the search box finds a chapter, and nothing is logged to the console as an error.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { startSystem } from "../support/tagbuild-dev.mjs";
import { makeContentRepo, pushBranch, registerPublishRepo, settledBuild } from "../support/publish-dev.mjs";

const ARGS = [
  "--no-sandbox",
  "--headless",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
let sys;
let browser;
const repos = [];

beforeAll(async () => {
  sys = await startSystem({ port: 8811 });
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ARGS });
});

afterAll(async () => {
  await browser?.close();
  for (const r of repos) r.cleanup();
  await sys?.stop();
});

async function built(fixture, name) {
  const repo = makeContentRepo(sys.gitRoot, name, fixture);
  repos.push(repo);
  const url = `${sys.git}/o/${name}`;
  await registerPublishRepo(sys.base, sys.git, url);
  const [id] = await pushBranch(sys.base, url, name, repo.commit);
  const build = await settledBuild(sys.base, id);
  expect(["success", "warnings"]).toContain(build.build.status);
  return `${sys.base}${build.build.site}`;
}

/** Opens `url`, collecting console errors and failed same-origin requests. */
async function open(url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => r.url().startsWith(sys.base) && errors.push(`failed: ${r.url()}`));
  const res = await page.goto(url);
  return { page, res, errors };
}

describe("published sites in Chromium", () => {
  it("a Bible: renders, every book link in the navigation resolves, the search box finds a chapter", async () => {
    const site = await built("bible-no-manifest", "ulb-browser");
    const { page, res, errors } = await open(`${site}63-1JN.html`);
    expect(res.status()).toBe(200);
    expect(await page.locator("h1.book-title").textContent()).toContain("John");
    expect(await page.locator('[id="63-ch-003-v-016"]').isVisible()).toBe(true);
    const links = await page.locator("nav.site-nav a").evaluateAll((as) => as.map((a) => a.href));
    expect(links).toHaveLength(8);
    for (const href of links) expect((await fetch(href)).status, href).toBe(200);
    await page.click('nav.chapters a[href="#63-ch-003"]');
    expect(page.url()).toMatch(/#63-ch-003$/);
    await page.fill("input[name=q]", "1 John 3");
    await page.click("form.search button");
    await page.waitForSelector("#results li a");
    const hit = page.locator("#results li a", { hasText: "1 John 3" }).first();
    await hit.click();
    await page.waitForURL(/63-1JN\.html#63-ch-003$/);
    expect(errors).toEqual([]);
    await page.close();
  }, 400_000);

  it("translationAcademy: the contents page's links all resolve to article pages", async () => {
    const site = await built("en_ta", "ta-browser");
    const { page, res, errors } = await open(`${site}translate/index.html`);
    expect(res.status()).toBe(200);
    const links = await page.locator("nav.toc a").evaluateAll((as) => as.map((a) => a.href));
    expect(links.length).toBeGreaterThan(100);
    for (const href of links.slice(0, 30)) expect((await fetch(href)).status, href).toBe(200);
    await page.click('nav.toc a[href="figs-metaphor.html"]');
    expect(await page.locator("main h1").first().textContent()).toBe("Metaphor");
    expect(errors).toEqual([]);
    await page.close();
  }, 400_000);
});
