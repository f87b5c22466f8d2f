// USFM before rendering: USFM 3 word alignment stripped down to the plain words (with a warning naming book,
// chapter and verse for every unmatched milestone), and the structural checks usfm-js does not make (it keys
// verses by number in an object, which silently merges duplicates and reorders verses).

export interface Finding {
  level: "warning" | "error";
  message: string;
}

// One pass over the text: alignment milestones, aligned words, and the chapter/verse markers that locate them.
const ALIGNMENT =
  /\\zaln-s\b[^\\]*?\\\*|\\zaln-e\\\*|\\k-s\b[^\\]*?\\\*|\\k-e\\\*|\\\+?w[ \t\r\n]+([^|\\]*?)(?:\|[^\\]*?)?\\\+?w\*|\\c[ \t]+(\d+)|\\v[ \t]+(\d+)/g;

/** Removes `\zaln-s … \zaln-e\*`, `\k-s … \k-e\*` and `\w word|attrs\w*` (keeping `word`), keeping spacing and punctuation. */
export function stripAlignment(text: string, book: string): { text: string; findings: Finding[] } {
  if (!text.includes("\\zaln") && !text.includes("\\w ") && !text.includes("\\k-")) return { text, findings: [] };
  const findings: Finding[] = [];
  let chapter = "0";
  let verse = "0";
  const open: Record<"zaln" | "k", string[]> = { zaln: [], k: [] };
  const out = text.replace(
    ALIGNMENT,
    (match, word: string | undefined, c: string | undefined, v: string | undefined) => {
      if (c !== undefined) {
        chapter = c;
        verse = "0";
        return match;
      }
      if (v !== undefined) {
        verse = v;
        return match;
      }
      if (word !== undefined) return word;
      const kind = match.startsWith("\\zaln") ? "zaln" : "k";
      if (match.includes("-s")) open[kind].push(`${chapter}:${verse}`);
      else if (!open[kind].pop())
        findings.push({
          level: "warning",
          message: `${book} ${chapter}:${verse}: \\${kind}-e without a matching \\${kind}-s`,
        });
      return "";
    },
  );
  for (const kind of ["zaln", "k"] as const)
    for (const at of open[kind])
      findings.push({ level: "warning", message: `${book} ${at}: \\${kind}-s never closed by \\${kind}-e` });
  return { text: out, findings };
}

// Character and note markers that must be closed explicitly (`\add …\add*`); note-internal ones (ft, fqa…) close implicitly.
const CLOSED = new Set([
  "add",
  "nd",
  "wj",
  "bk",
  "qt",
  "tl",
  "sc",
  "it",
  "bd",
  "bdit",
  "em",
  "pn",
  "sls",
  "f",
  "fe",
  "x",
  "rq",
  "ca",
  "va",
  "vp",
  "qs",
  "w",
]);
const NOTE = new Set(["f", "fe", "x"]);
const MARKER = /\\(\+?)([a-z]+[0-9]*(?:-[se])?)(\*?)|\n/g;

/** Errors for what would make a wrong page: a chapter before `\id`, verses or chapters out of order or repeated, unclosed markers. */
export function checkUsfm(text: string, book: string): Finding[] {
  const findings: Finding[] = [];
  const error = (message: string) => findings.push({ level: "error", message });
  let seenId = false;
  let chapter = 0;
  let verse = 0;
  let line = 1;
  const open: { marker: string; where: string }[] = [];
  const where = () => (chapter ? `${book} ${chapter}:${verse}` : `${book} line ${line}`);
  const numberAfter = (at: number) => /^[ \t]+(\d+)/.exec(text.slice(at, at + 16))?.[1];
  MARKER.lastIndex = 0;
  for (let m = MARKER.exec(text); m; m = MARKER.exec(text)) {
    if (m[0] === "\n") {
      line++;
      continue;
    }
    const [, , name, end] = m as unknown as [string, string, string, string];
    if (name === "id") seenId = true;
    else if (name === "c" && !end) {
      const n = Number(numberAfter(MARKER.lastIndex));
      if (!seenId) error(`${book} line ${line}: chapter ${n} comes before the book id (\\id)`);
      if (open.length) error(`${open[0]!.where}: \\${open[0]!.marker} is never closed (\\${open[0]!.marker}*)`);
      open.length = 0;
      if (!Number.isFinite(n)) error(`${book} line ${line}: \\c without a chapter number`);
      else if (n === chapter) error(`${book} ${n}: chapter ${n} appears twice`);
      else if (n < chapter) error(`${book} ${n}: chapter ${n} comes after chapter ${chapter} (out of order)`);
      chapter = n;
      verse = 0;
    } else if (name === "v" && !end) {
      const n = Number(numberAfter(MARKER.lastIndex));
      const note = open.find((o) => NOTE.has(o.marker));
      if (note) {
        // A note left open at the next verse is a common slip (en-ulb-v7 EZR 10:25); it is closed there.
        findings.push({
          level: "warning",
          message: `${note.where}: \\${note.marker} is not closed (\\${note.marker}*) before verse ${n}; closed there`,
        });
        open.length = 0;
      }
      if (!chapter) error(`${book} line ${line}: verse ${n} comes before any chapter (\\c)`);
      else if (!Number.isFinite(n)) error(`${book} ${chapter}: \\v without a verse number at line ${line}`);
      else if (n === verse) error(`${book} ${chapter}:${n}: verse ${n} appears twice`);
      else if (n < verse) error(`${book} ${chapter}:${n}: verse ${n} comes after verse ${verse} (out of order)`);
      if (Number.isFinite(n)) verse = Math.max(verse, n);
    } else if (CLOSED.has(name)) {
      if (!end) open.push({ marker: name, where: where() });
      else {
        const i = open.map((o) => o.marker).lastIndexOf(name);
        if (i < 0) error(`${where()}: \\${name}* closes a \\${name} that was never opened`);
        else open.splice(i);
      }
    }
  }
  if (open.length) error(`${open[0]!.where}: \\${open[0]!.marker} is never closed (\\${open[0]!.marker}*)`);
  return findings;
}
