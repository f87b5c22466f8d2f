// One USFM book to an HTML fragment, with the ids tX published: chapters `<h2 class="c-num" id="NN-ch-CCC">`, verses
// `<span class="v-num" id="NN-ch-CCC-v-VVV">`. usfm-js parses; this renders its JSON (headings, paragraphs,
// poetry, footnotes, chunk breaks), after usfm-check has stripped the alignment and checked the structure.

import usfm from "usfm-js";
import type { Book } from "./books";
import { checkUsfm, stripAlignment, type Finding } from "./usfm-check";
import { escapeHtml } from "./source";

/** Parsed JSON/YAML (or usfm-js output) of unknown shape, read field by field with checks. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

export interface RenderedBook {
  title: string;
  html: string;
  chapters: number[];
  /** Section headings with the verse id they stand before, for the search index. */
  headings: { text: string; id: string }[];
  findings: Finding[];
}

const pad3 = (n: number | string) => String(n).padStart(3, "0");
const PARAGRAPH = /^(p|m|pi\d?|mi|nb|pc|pr|pm|pmo|pmc|pmr|cls|li\d?|lim\d?|ph\d?|b|po)$/;
const POETRY = /^(q\d?|qm\d?|qc|qr|qd)$/;
const HEADING = /^(s\d?|ms\d?|mr|sr|r|d|sp|qa|mte?\d?|is\d?)$/;
const CHUNK = /^(s5|ts\\?\*?|ts-s|ts-e)$/;

/** Plain text of a note's content: its caller and inner markers dropped. */
function noteText(content: string): string {
  return content
    .replace(/^\s*[+\-?a-z*]\s/, "")
    .replace(/\\\+?[a-z]+\d*\*?/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function renderUsfmBook(source: string, book: Book): RenderedBook {
  const stripped = stripAlignment(source, book.code);
  const findings = [...stripped.findings, ...checkUsfm(stripped.text, book.code)];
  const json = usfm.toJSON(stripped.text) as {
    headers: Loose[];
    chapters: Record<string, Record<string, { verseObjects: Loose[] }>>;
  };
  const header = (tag: string) => json.headers.find((h) => h.tag === tag)?.content?.trim() as string | undefined;
  const title = header("mt") ?? header("mt1") ?? header("toc1") ?? header("h") ?? book.name;
  const chapterLabel = header("cl") ?? "Chapter";
  const out: string[] = [`<h1 class="book-title">${escapeHtml(title)}</h1>`];
  const headings: RenderedBook["headings"] = [];
  const chapters: number[] = [];
  let block: string | null = null;
  let nextVerseId = "";

  const closeBlock = () => {
    if (block) out.push("</p>");
    block = null;
  };
  const openBlock = (cls: string) => {
    closeBlock();
    block = cls;
    out.push(`<p class="${cls}">`);
  };
  const inline = (text: string) => {
    if (!text) return;
    if (!block) {
      if (!text.trim()) return;
      openBlock("p");
    }
    out.push(escapeHtml(text.replace(/\s*\n\s*/g, " ")));
  };
  const renderObjects = (objects: Loose[]) => {
    for (const o of objects ?? []) {
      const tag: string = (o.tag ?? "").replace(/\\\*$/, "");
      const text: string = o.text ?? "";
      if (o.type === "text") inline(text);
      else if (CHUNK.test(o.tag ?? "")) {
        closeBlock();
        out.push('<div class="chunk-break"></div>');
        inline(text);
      } else if (PARAGRAPH.test(tag) || POETRY.test(tag)) {
        if (tag === "b") {
          closeBlock();
          out.push('<div class="b"></div>');
        } else openBlock(tag);
        inline(text);
      } else if (HEADING.test(tag)) {
        closeBlock();
        const heading = String(o.content ?? text).trim();
        if (heading) {
          out.push(`<h3 class="${tag}">${escapeHtml(heading)}</h3>`);
          headings.push({ text: heading, id: nextVerseId });
        }
      } else if (o.type === "footnote" || tag === "f" || tag === "fe" || tag === "x") {
        const note = noteText(o.content ?? text);
        const cls = tag === "x" ? "xref" : "footnote";
        if (!block) openBlock("p");
        out.push(
          `<span class="${cls}"><sup class="caller">${tag === "x" ? "+" : "*"}</sup><span class="note">${escapeHtml(note)}</span></span>`,
        );
        if (o.nextChar) inline(o.nextChar);
      } else if (Array.isArray(o.children)) {
        const wrap = tag && tag !== "zaln" && tag !== "w" && tag !== "k";
        if (wrap) out.push(`<span class="${escapeHtml(tag)}">`);
        renderObjects(o.children);
        if (wrap) out.push("</span>");
      } else if (tag && (text || o.content)) {
        if (!block) openBlock("p");
        out.push(`<span class="${escapeHtml(tag)}">`);
        inline(String(text || o.content));
        out.push("</span>");
      }
    }
  };

  const byNumber = (keys: string[]) =>
    keys.filter((k) => /^\d/.test(k)).sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
  for (const c of byNumber(Object.keys(json.chapters))) {
    const chapter = json.chapters[c]!;
    const cid = `${book.number}-ch-${pad3(parseInt(c, 10))}`;
    closeBlock();
    chapters.push(parseInt(c, 10));
    out.push(`<h2 class="c-num" id="${cid}">${escapeHtml(chapterLabel)} ${parseInt(c, 10)}</h2>`);
    const verses = byNumber(Object.keys(chapter));
    nextVerseId = verses.length ? `${cid}-v-${pad3(parseInt(verses[0]!, 10))}` : cid;
    if (chapter.front) renderObjects(chapter.front.verseObjects);
    for (let i = 0; i < verses.length; i++) {
      const v = verses[i]!;
      if (!block) openBlock("p");
      out.push(`<span class="v-num" id="${cid}-v-${pad3(parseInt(v, 10))}"><sup>${escapeHtml(v)}</sup></span> `);
      nextVerseId = i + 1 < verses.length ? `${cid}-v-${pad3(parseInt(verses[i + 1]!, 10))}` : cid;
      renderObjects(chapter[v]!.verseObjects);
    }
  }
  closeBlock();
  if (!chapters.length) findings.push({ level: "error", message: `${book.code}: no chapters (\\c) found` });
  return { title, html: out.join(""), chapters, headings, findings };
}
