// The publish pipeline's domain code over every real fixture: detection, planning, conversion, pages.

import { describe, expect, it } from "vitest";
import { buildInMemory } from "../../workers/publish/build";
import { BOOKS } from "../../workers/publish/books";
import { readTree, text, unpackFixture, utf8 } from "./support";

const verseIds = (html: string) =>
  [...html.matchAll(/<span class="v-num" id="(\d\d-ch-\d{3}-v-\d{3})"/g)].map((m) => m[1]);
const chapterIds = (html: string) => [...html.matchAll(/<h2 class="c-num" id="(\d\d-ch-\d{3})"/g)].map((m) => m[1]);

describe("Bible fixtures", () => {
  it("en-ulb-v7 (status.json, USFM 2): 66 books in canon order, every chapter and verse with tX's ids", async () => {
    const dir = await unpackFixture("en-ulb-v7");
    const files = await readTree(dir);
    const built = buildInMemory(files, "ulb-en");
    expect(built.errors).toEqual([]);
    // A real slip of the data: a footnote left open at EZR 10:25, closed at the next verse with a warning.
    expect(built.warnings).toEqual([expect.stringMatching(/^15-EZR\.usfm: EZR 10:25: \\f is not closed/)]);
    expect(built.status).toBe("warnings");
    expect(built.rc?.source).toBe("status.json");
    expect(built.rc?.resourceType).toBe("bible");
    const books = built.plan!.units.map((u) => u.page);
    expect(books).toEqual(BOOKS.map((b) => `${b.number}-${b.code}.html`));
    // Each book's chapters and verses, counted from the source, are all in its page.
    for (const b of BOOKS) {
      const src = text(files.get(`${b.number}-${b.code}.usfm`));
      const page = built.pages.get(`${b.number}-${b.code}.html`)!;
      const chapters = [...src.matchAll(/\\c\s+(\d+)/g)].length;
      expect(chapterIds(page).length, b.code).toBe(chapters);
      expect(new Set(verseIds(page)).size, b.code).toBe([...src.matchAll(/\\v\s+(\d+)/g)].length);
    }
    const jhn = built.pages.get("44-JHN.html")!;
    expect(jhn).toContain('<h2 class="c-num" id="44-ch-003">');
    expect(jhn).toMatch(/<span class="v-num" id="44-ch-003-v-016"><sup>16<\/sup><\/span> For God so loved the world/);
    expect(built.pages.get("19-PSA.html")).toMatch(/<p class="q\d?">/); // poetry
    expect(built.pages.get("01-GEN.html")).toContain('class="footnote"');
    expect(built.pages.get("index.html")).toContain('href="41-MAT.html"');
    const search = JSON.parse(built.pages.get("search.json")!);
    expect(search).toContainEqual({ p: "44-JHN.html", h: expect.stringContaining("3"), id: "44-ch-003" });
  });

  it("en_ult (aligned USFM 3): alignment stripped to the plain words, spacing and punctuation kept", async () => {
    const dir = await unpackFixture("en_ult-v24");
    const files = await readTree(dir, /^(manifest\.yaml|57-TIT\.usfm|19-PSA\.usfm|65-3JN\.usfm)$/);
    const manifest = files.get("manifest.yaml")!;
    files.delete("manifest.yaml");
    const built = buildInMemory(files, "en_ult");
    expect(built.errors).toEqual([]);
    expect(built.rc?.source).toBe("guess");
    expect(built.warnings).toEqual(["no manifest: guessed a Bible from 3 USFM book files"]);
    const tit = built.pages.get("57-TIT.html")!;
    expect(tit).not.toMatch(/zaln|x-occurrence|\\w|\|/);
    expect(tit).toMatch(
      /<span class="v-num" id="57-ch-001-v-001"><sup>1<\/sup><\/span> Paul, a servant of God and an apostle of Jesus Christ/,
    );
    expect(verseIds(built.pages.get("19-PSA.html")!)).toHaveLength(2461);
    expect(chapterIds(built.pages.get("19-PSA.html")!)).toHaveLength(150);

    // With its manifest, which names 66 books of which only three are here, the build refuses.
    files.set("manifest.yaml", manifest);
    const refused = buildInMemory(files, "en_ult");
    expect(refused.status).toBe("failed");
    expect(refused.errors).toEqual([
      expect.stringMatching(/project "gen" names 01-GEN\.usfm, which is not in the tree/),
    ]);
    expect(refused.pages.size).toBe(0);
  });
});

describe("Markdown fixtures", () => {
  it("en-obs (RC 0.2): 50 story pages with title, image frames and reference", async () => {
    const built = buildInMemory(await readTree(await unpackFixture("en-obs-rc-0.2")), "en-obs");
    expect(built.errors).toEqual([]);
    expect(built.status).toBe("success");
    const stories = [...built.pages.keys()].filter((p) => /^\d\d\.html$/.test(p));
    expect(stories).toHaveLength(50);
    const first = built.pages.get("01.html")!;
    expect(first).toContain("<h1>1. The Creation</h1>");
    expect(first.match(/<img src="https:\/\/cdn\.door43\.org\/obs\/jpg\/360px\/obs-en-01-\d\d\.jpg"/g)).toHaveLength(
      16,
    );
    expect(first).toContain("<em>A Bible story from: Genesis 1-2</em>");
    expect(built.pages.get("50.html")).toContain("50. Jesus Returns");
    // The navigation lists every story, from every page.
    expect(first.match(/<li[^>]*><a href="\d\d\.html">/g)).toHaveLength(50);
  });

  it("the chunked translationStudio OBS form gives the same story page as the RC form", async () => {
    const rc = await readTree(await unpackFixture("en-obs-rc-0.2"), /^(manifest\.yaml|content\/01\/01\.md)$/);
    const story = text(rc.get("content/01/01.md"));
    const title = /^# (.+)$/m.exec(story)![1]!;
    const frames = story
      .split(/!\[OBS Image\]\([^)]+\)/)
      .slice(1)
      .map((f) => f.replace(/_A Bible story from.*_/s, "").trim());
    const reference = /_(A Bible story from.*)_/.exec(story)![1]!;
    const ts = new Map<string, Uint8Array>([
      [
        "manifest.json",
        utf8(
          JSON.stringify({
            package_version: 6,
            format: "markdown",
            project: { id: "obs", name: "Open Bible Stories" },
            resource: { id: "obs" },
            target_language: { id: "en", name: "English", direction: "ltr" },
          }),
        ),
      ],
      ["01/title.txt", utf8(title)],
      ["01/reference.txt", utf8(reference)],
      ...frames.map((f, i) => [`01/${String(i + 1).padStart(2, "0")}.txt`, utf8(f)] as [string, Uint8Array]),
    ]);
    for (let n = 2; n <= 50; n++) ts.set(`${String(n).padStart(2, "0")}/01.txt`, utf8(`Frame of ${n}`));
    const built = buildInMemory(ts, "en_obs");
    expect(built.errors).toEqual([]);
    const main = (html: string) => /<main>([\s\S]*)<\/main>/.exec(html)![1]!;
    const fromRc = buildInMemory(await readTree(await unpackFixture("en-obs-rc-0.2")), "en-obs").pages.get("01.html")!;
    expect(main(built.pages.get("01.html")!)).toBe(main(fromRc));
    expect([...built.pages.keys()].filter((p) => /^\d\d\.html$/.test(p))).toHaveLength(50);
  });

  it("en_tw: one page per article, section tables of contents, rc:// and relative links rewritten", async () => {
    const files = await readTree(await unpackFixture("en_tw"));
    const built = buildInMemory(files, "en_tw");
    expect(built.errors).toEqual([]);
    const articles = [...files.keys()].filter((p) => /^bible\/(kt|names|other)\/[^/]+\.md$/.test(p));
    for (const a of articles)
      expect(built.pages.has(a.replace(/^bible\//, "").replace(/\.md$/, ".html")), a).toBe(true);
    const page = built.pages.get("kt/abomination.html")!;
    expect(page).toContain("<title>abomination, abominations, abominable – translationWords</title>");
    expect(page).toContain('<a href="adultery.html">adultery</a>');
    expect(page).toContain('<a href="../other/desecrate.html">desecrate</a>');
    // Links to other resources (translationNotes) are not in this site: kept as text, not a dead link.
    expect(page).toContain('<a class="unresolved" title="rc://en/tn/help/ezr/09/01">Ezra 09:1-2</a>');
    const toc = /<nav class="toc">.*?<\/nav>/s.exec(built.pages.get("kt/index.html")!)![0];
    expect(toc.match(/<li><a href="[^"]+\.html">/g)!.length).toBe(
      articles.filter((a) => a.startsWith("bible/kt/")).length,
    );
    expect(page).not.toMatch(/<script>|onerror=/);
  });

  it("en_ta: one page per article with title and sub-title, each manual's toc.yaml as its contents", async () => {
    const files = await readTree(await unpackFixture("en_ta"));
    const built = buildInMemory(files, "en_ta");
    expect(built.errors).toEqual([]);
    // Real slips of this (old) data: toc.yaml entries whose article folder is missing or misspelled, each a warning.
    expect(built.warnings).toHaveLength(9);
    expect(built.warnings).toContain(
      'process/toc.yaml links "source-text_process", which has no process/source-text_process/01.md; taken as "source-text-process"',
    );
    expect(built.warnings).toContain(
      'translate/toc.yaml links "translate-aim", which has no translate/translate-aim/01.md; left out',
    );
    expect(built.status).toBe("warnings");
    const articles = [...files.keys()].filter((p) => /^(checking|intro|process|translate)\/[^/]+\/01\.md$/.test(p));
    expect(articles.length).toBeGreaterThan(100);
    for (const a of articles) expect(built.pages.has(a.replace(/\/01\.md$/, ".html")), a).toBe(true);
    const metaphor = built.pages.get("translate/figs-metaphor.html")!;
    expect(metaphor).toContain("<h1>Metaphor</h1>");
    expect(metaphor).toContain(
      '<p class="sub-title">What is a metaphor and how can I translate a sentence that has one?</p>',
    );
    expect(metaphor).toContain('href="figs-simile.html"');
    const toc = built.pages.get("translate/index.html")!;
    expect(toc).toContain('<a href="translate-manual.html">Introduction to the Translation Manual</a>');
    // Every link of every table of contents leads to a page of the site.
    for (const manual of ["checking", "intro", "process", "translate"]) {
      const links = [...built.pages.get(`${manual}/index.html`)!.matchAll(/<nav class="toc">.*?<\/nav>/gs)]
        .join("")
        .matchAll(/href="([^"]+)"/g);
      for (const [, href] of links) expect(built.pages.has(`${manual}/${href}`), `${manual}/${href}`).toBe(true);
    }
  });

  it("bible-no-manifest: the type is guessed (with a warning) from the book file names", async () => {
    const built = buildInMemory(await readTree(await unpackFixture("bible-no-manifest")), "en_ulb");
    expect(built.errors).toEqual([]);
    expect(built.rc?.source).toBe("guess");
    expect(built.warnings[0]).toMatch(/^no manifest: guessed a Bible from 8 USFM book files/);
    expect(built.plan!.units.map((u) => u.book)).toEqual(["JAS", "1PE", "2PE", "1JN", "2JN", "3JN", "JUD", "REV"]);
    expect(built.pages.get("67-REV.html")).toContain('id="67-ch-022-v-021"');
  });

  it("unknown_resource: fails with No converter found, naming type, format and output", async () => {
    const built = buildInMemory(await readTree(await unpackFixture("unknown_resource")), "unknown");
    expect(built.status).toBe("failed");
    expect(built.message).toBe("No converter found");
    expect(built.errors).toEqual(["No converter was found to convert unkonwn from md to html"]);
    expect(built.pages.size).toBe(0);
  });
});
