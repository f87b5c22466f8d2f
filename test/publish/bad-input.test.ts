// Each bad input the publish issue lists gives a clear error in the build log and publishes nothing.

import { describe, expect, it } from "vitest";
import { buildInMemory } from "../../workers/publish/build";
import { utf8 } from "./support";

const tree = (files: Record<string, string | Uint8Array>) =>
  new Map(Object.entries(files).map(([p, c]) => [p, typeof c === "string" ? utf8(c) : c] as [string, Uint8Array]));
const rcManifest = (projects = "projects:\n  - identifier: 'tit'\n    path: './57-TIT.usfm'\n    sort: 1\n") =>
  `dublin_core:\n  identifier: 'ult'\n  format: 'text/usfm3'\n  title: 'Test'\n  language:\n    identifier: 'en'\n    direction: 'ltr'\n${projects}`;
const book = (body: string) => `\\id TIT test\n\\h Titus\n\\mt Titus\n${body}`;

function failed(files: Record<string, string | Uint8Array>, repo = "test") {
  const built = buildInMemory(tree(files), repo);
  expect(built.status).toBe("failed");
  expect(built.pages.size).toBe(0);
  return built.errors;
}

describe("bad input", () => {
  it("no manifest and nothing to guess from", () => {
    expect(failed({ "notes.txt": "hello", "img.png": "x" })).toEqual([
      expect.stringMatching(/^no manifest .* nothing to guess a resource type from$/),
    ]);
  });

  it("broken YAML in manifest.yaml, broken JSON in manifest.json", () => {
    expect(failed({ "manifest.yaml": "dublin_core:\n  identifier: [ult\n" })).toEqual([
      expect.stringMatching(/^manifest\.yaml is not valid YAML: /),
    ]);
    expect(failed({ "manifest.json": '{"project": {"id": "tit",}' })).toEqual([
      expect.stringMatching(/^manifest\.json is not valid JSON: /),
    ]);
  });

  it("a manifest whose projects name files that are not there", () => {
    expect(failed({ "manifest.yaml": rcManifest(), "01-GEN.usfm": book("\\c 1\n\\p\n\\v 1 x\n") })).toEqual([
      'manifest.yaml: project "tit" names 57-TIT.usfm, which is not in the tree',
    ]);
  });

  it("a manifest naming a type no converter handles", () => {
    const built = buildInMemory(
      tree({ "manifest.yaml": "dublin_core:\n  identifier: 'sn'\n  format: 'text/tsv'\n  type: 'help'\n" }),
      "x",
    );
    expect(built.message).toBe("No converter found");
    expect(built.errors).toEqual(["No converter was found to convert sn from tsv to html"]);
  });

  it("USFM: a chapter before the book id", () => {
    expect(failed({ "57-TIT.usfm": "\\c 1\n\\id TIT\n\\p\n\\v 1 x\n" })).toContain(
      "57-TIT.usfm: TIT line 1: chapter 1 comes before the book id (\\id)",
    );
  });

  it("USFM: verse numbers out of order, and duplicated", () => {
    expect(failed({ "57-TIT.usfm": book("\\c 1\n\\p\n\\v 1 a\n\\v 3 b\n\\v 2 c\n") })).toEqual([
      "57-TIT.usfm: TIT 1:2: verse 2 comes after verse 3 (out of order)",
    ]);
    expect(failed({ "57-TIT.usfm": book("\\c 1\n\\p\n\\v 1 a\n\\v 2 b\n\\v 2 c\n") })).toEqual([
      "57-TIT.usfm: TIT 1:2: verse 2 appears twice",
    ]);
    expect(failed({ "57-TIT.usfm": book("\\c 2\n\\p\n\\v 1 a\n\\c 1\n\\v 1 b\n") })).toEqual([
      "57-TIT.usfm: TIT 1: chapter 1 comes after chapter 2 (out of order)",
    ]);
  });

  it("USFM: unclosed markers", () => {
    expect(failed({ "57-TIT.usfm": book("\\c 1\n\\p\n\\v 1 the \\add word\n\\c 2\n\\v 1 x\n") })).toEqual([
      "57-TIT.usfm: TIT 1:1: \\add is never closed (\\add*)",
    ]);
    expect(failed({ "57-TIT.usfm": book("\\c 1\n\\p\n\\v 1 a \\f + \\ft note\n") })).toEqual([
      "57-TIT.usfm: TIT 1:1: \\f is never closed (\\f*)",
    ]);
  });

  it("USFM 3: unmatched alignment milestones are warnings naming book, chapter and verse", () => {
    const built = buildInMemory(
      tree({
        "57-TIT.usfm": book(
          '\\c 1\n\\p\n\\v 1 \\zaln-s |x-lemma="a"\\*\\w Paul|x-occurrence="1"\\w*, servant\n\\v 2 \\w God|x\\w*\\zaln-e\\*\\zaln-e\\*.\n',
        ),
      }),
      "t",
    );
    expect(built.errors).toEqual([]);
    expect(built.warnings).toContain("57-TIT.usfm: TIT 1:2: \\zaln-e without a matching \\zaln-s");
    expect(built.pages.get("57-TIT.html")).toContain(
      '<sup>1</sup></span> Paul, servant <span class="v-num" id="57-ch-001-v-002"><sup>2</sup></span> God.',
    );
  });

  it("merge-conflict markers: an error naming the file and line", () => {
    const conflicted = book("\\c 1\n\\p\n<<<<<<< HEAD\n\\v 1 a\n=======\n\\v 1 b\n>>>>>>> other\n");
    expect(failed({ "57-TIT.usfm": conflicted })).toEqual([
      '57-TIT.usfm line 6: merge-conflict marker "<<<<<<<" (resolve the conflict and push again)',
    ]);
    expect(failed({ "README.md": "# Title\n\nok\n\n>>>>>>> branch\n" })).toEqual([
      'README.md line 5: merge-conflict marker ">>>>>>>" (resolve the conflict and push again)',
    ]);
  });

  it("a file that is not UTF-8", () => {
    const latin1 = new Uint8Array([...utf8(book("\\c 1\n\\p\n\\v 1 caf")), 0xe9, 0x0a]);
    expect(failed({ "57-TIT.usfm": latin1 })).toEqual([
      `57-TIT.usfm is not UTF-8 text (invalid byte near offset ${latin1.indexOf(0xe9)})`,
    ]);
  });

  it("raw HTML in Markdown is escaped, never passed through", () => {
    const built = buildInMemory(
      tree({
        "a.md": '# T\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[x](javascript:alert(3))',
      }),
      "m",
    );
    const page = built.pages.get("a.html")!;
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img src=x");
    expect(page).not.toContain('href="javascript:');
  });
});
