// Whole Bibles through the publish pipeline: en_ult (66 books of aligned USFM 3) in one job, then a push that
// changes one book re-converts that book alone; en-ulb-v7 (USFM 2) and a repo with no manifest.

import { describe, expect, it } from "vitest";
import { call, unique, type Answer } from "../support/http";
import { BOOKS } from "../../workers/publish/books";
import { commitTo, fixtureRepo, publishFile, settled, sh, type ContentRepo } from "./support";

const file = publishFile();

/** Chapter and verse counts per book of a fixture repo, counted by grep on the server. */
async function counts(repo: ContentRepo): Promise<Map<string, { chapters: number; verses: number }>> {
  const out = await sh(`w=$(mktemp -d); git clone -q "$PWD/${repo.path}" "$w"; cd "$w"
for f in [0-9][0-9]-*.usfm; do echo "$f $(grep -oE '\\\\c [0-9]+' "$f" | wc -l) $(grep -oE '\\\\v [0-9]+' "$f" | wc -l)"; done; cd /; rm -rf "$w"`);
  return new Map(
    out.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .map(([f, c, v]) => [f!.replace(/\.usfm$/, ""), { chapters: Number(c), verses: Number(v) }]),
  );
}

async function checkBible(repo: ContentRepo, commit: string, books: string[]) {
  const base = `/u/o/${repo.name}/${commit.slice(0, 10)}/`;
  const expected = await counts(repo);
  for (const name of books) {
    const res = await call(`${base}${name}.html`);
    expect(res.status, name).toBe(200);
    const html = await res.text();
    const nn = name.slice(0, 2);
    const chapters = [...html.matchAll(new RegExp(`<h2 class="c-num" id="${nn}-ch-\\d{3}">`, "g"))].length;
    const verses = new Set(
      [...html.matchAll(new RegExp(`<span class="v-num" id="(${nn}-ch-\\d{3}-v-\\d{3})">`, "g"))].map((m) => m[1]),
    ).size;
    expect({ name, chapters, verses }).toEqual({ name, ...expected.get(name)! });
  }
}

describe("whole Bibles", () => {
  it("en_ult: 66 books of aligned USFM 3 in one job; a one-book change re-converts one book", async () => {
    const repo = await fixtureRepo("en_ult-v24", unique("ult"));
    await file.register(repo);
    const first = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(first.build).toMatchObject({
      status: "success",
      resourceType: "bible",
      manifestSource: "manifest.yaml",
      filesConverted: 66,
      filesReused: 0,
    });
    const books = BOOKS.map((b) => `${b.number}-${b.code}`);
    await checkBible(repo, repo.commit, books);
    const tit = await (await call(`/u/o/${repo.name}/${repo.commit.slice(0, 10)}/57-TIT.html`)).text();
    expect(tit).not.toMatch(/zaln|x-occurrence/);
    expect(tit).toContain(
      '<nav class="chapters" aria-label="Chapters"><a href="#57-ch-001">1</a> <a href="#57-ch-002">2</a> <a href="#57-ch-003">3</a></nav>',
    );

    // The first aligned "servant" of Titus becomes "slave".
    const second = await commitTo(repo, String.raw`sed -i '0,/\w servant|/s//\w slave|/' 57-TIT.usfm`, "Titus: slave");
    const again = await settled((await file.push(repo, second, { before: repo.commit }))[0]!.id);
    expect(again.build).toMatchObject({ status: "success", filesConverted: 1, filesReused: 65 });
    const changed = await (await call(`/u/o/${repo.name}/${second.slice(0, 10)}/57-TIT.html`)).text();
    expect(changed).toContain("Paul, a slave of God");
    expect((await call(`/u/o/${repo.name}/${second.slice(0, 10)}/01-GEN.html`)).status).toBe(200);
    expect(
      JSON.parse(await (await call(`/u/o/${repo.name}/project.json`)).text()).builds.map((b: Answer) => b.id),
    ).toEqual([first.build.id, again.build.id]);
    expect(await (await call(`/u/o/${repo.name}/master/57-TIT.html`)).text()).toContain("Paul, a slave of God");
  }, 600_000);

  it("en-ulb-v7 (USFM 2, status.json): every book, chapter and verse; the EZR footnote slip is a warning", async () => {
    const repo = await fixtureRepo("en-ulb-v7", unique("ulb"));
    await file.register(repo);
    const done = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(done.build).toMatchObject({ status: "warnings", manifestSource: "status.json", filesConverted: 66 });
    expect(done.warnings).toEqual([expect.stringMatching(/^15-EZR\.usfm: EZR 10:25: /)]);
    await checkBible(
      repo,
      repo.commit,
      BOOKS.map((b) => `${b.number}-${b.code}`),
    );
  }, 300_000);

  it("bible-no-manifest: guessed, with the guess in the build log's warnings", async () => {
    const repo = await fixtureRepo("bible-no-manifest", unique("nomf"));
    await file.register(repo);
    const done = await settled((await file.push(repo, repo.commit))[0]!.id);
    expect(done.build).toMatchObject({ status: "warnings", manifestSource: "guess", filesConverted: 8 });
    expect(done.warnings[0]).toBe("no manifest: guessed a Bible from 8 USFM book files");
    await checkBible(repo, repo.commit, [
      "60-JAS",
      "61-1PE",
      "62-2PE",
      "63-1JN",
      "64-2JN",
      "65-3JN",
      "66-JUD",
      "67-REV",
    ]);
  });
});
