// The 66 books in canonical order with Door43's file numbers (01-GEN … 39-MAL, 41-MAT … 67-REV): the numbers
// are part of every verse id tX published, so old links keep working.

const CODES =
  "GEN EXO LEV NUM DEU JOS JDG RUT 1SA 2SA 1KI 2KI 1CH 2CH EZR NEH EST JOB PSA PRO ECC SNG ISA JER LAM EZK DAN HOS JOL AMO OBA JON MIC NAM HAB ZEP HAG ZEC MAL " +
  "MAT MRK LUK JHN ACT ROM 1CO 2CO GAL EPH PHP COL 1TH 2TH 1TI 2TI TIT PHM HEB JAS 1PE 2PE 1JN 2JN 3JN JUD REV";

const NAMES =
  "Genesis|Exodus|Leviticus|Numbers|Deuteronomy|Joshua|Judges|Ruth|1 Samuel|2 Samuel|1 Kings|2 Kings|1 Chronicles|2 Chronicles|" +
  "Ezra|Nehemiah|Esther|Job|Psalms|Proverbs|Ecclesiastes|Song of Songs|Isaiah|Jeremiah|Lamentations|Ezekiel|Daniel|Hosea|Joel|" +
  "Amos|Obadiah|Jonah|Micah|Nahum|Habakkuk|Zephaniah|Haggai|Zechariah|Malachi|Matthew|Mark|Luke|John|Acts|Romans|1 Corinthians|" +
  "2 Corinthians|Galatians|Ephesians|Philippians|Colossians|1 Thessalonians|2 Thessalonians|1 Timothy|2 Timothy|Titus|Philemon|" +
  "Hebrews|James|1 Peter|2 Peter|1 John|2 John|3 John|Jude|Revelation";

export interface Book {
  code: string;
  /** Door43's two-digit file number, e.g. "01" for GEN, "41" for MAT (40 is skipped). */
  number: string;
  name: string;
  /** Position in the canon, 0-based. */
  order: number;
}

export const BOOKS: readonly Book[] = CODES.split(" ").map((code, i) => {
  const n = i < 39 ? i + 1 : i + 2;
  return { code, number: String(n).padStart(2, "0"), name: NAMES.split("|")[i]!, order: i };
});

const byCode = new Map(BOOKS.map((b) => [b.code, b]));

export function bookByCode(code: string): Book | undefined {
  return byCode.get(code.toUpperCase());
}

/** The book a file name names: `01-GEN.usfm`, `GEN.usfm`, `57-tit.usfm`, `en_ulb_57_TIT.usfm`. */
export function bookOfFileName(name: string): Book | undefined {
  const base = name.replace(/^.*\//, "").replace(/\.(usfm|sfm|txt)$/i, "");
  for (const part of base.split(/[-_. ]/).reverse()) {
    const book = bookByCode(part);
    if (book) return book;
  }
  return undefined;
}
