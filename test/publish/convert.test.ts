// The publish pipeline's domain code over every real fixture: detection, planning, conversion, pages.

import { describe, expect, it } from "vitest";
import { buildInMemory } from "../../workers/publish/build";
import { BOOKS } from "../../workers/publish/books";
import { readTree, text, unpackFixture } from "./support";

const verseIds = (html: string) => [...html.matchAll(/<span class="v-num" id="(\d\d-ch-\d{3}-v-\d{3})"/g)].map((m) => m[1]);
const chapterIds = (html: string) => [...html.matchAll(/<h2 class="c-num" id="(\d\d-ch-\d{3})"/g)].map((m) => m[1]);

describe("Bible fixtures", () => {
  it("en-ulb-v7 (status.json, USFM 2): 66 books in canon order, every chapter and verse with tX's ids", async () => {
    const dir = await unpackFixture("en-ulb-v7");
    const files = await readTree(dir);
    const built = buildInMemory(files, "ulb-en");
    expect(built.errors).toEqual([]);
    // A real slip of the data: a footnote left open at EZR 10:25, closed at the next verse with a warning.
    expect(built.warnings).toEqual([expect.stringMatching(/^15-EZR\.usfm: EZR 10:25: \\f is not closed/)])
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
    expect(tit).toMatch(/<span class="v-num" id="57-ch-001-v-001"><sup>1<\/sup><\/span> Paul, a servant of God and an apostle of Jesus Christ/);
    expect(verseIds(built.pages.get("19-PSA.html")!)).toHaveLength(2461);
    expect(chapterIds(built.pages.get("19-PSA.html")!)).toHaveLength(150);

    // With its manifest, which names 66 books of which only three are here, the build refuses.
    files.set("manifest.yaml", manifest);
    const refused = buildInMemory(files, "en_ult");
    expect(refused.status).toBe("failed");
    expect(refused.errors).toEqual([expect.stringMatching(/project "gen" names 01-GEN\.usfm, which is not in the tree/)]);
    expect(refused.pages.size).toBe(0);
  });
});
