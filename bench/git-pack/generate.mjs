// Writes a git fast-import stream for a synthetic repo whose repacked pack is about `mb` megabytes:
// ~65% incompressible binaries, the rest pseudo-text files in 40 directories edited over many commits
// (long delta chains, like a real source history). Usage: node generate.mjs <mb> | git fast-import --quiet

import { randomBytes } from "node:crypto";

const mb = Number(process.argv[2] ?? 110);
const out = process.stdout;
let mark = 0;
const write = (s) => new Promise((r) => (out.write(s) ? r() : out.once("drain", r)));

// A deterministic word generator (xorshift) so text compresses like source code does (~4x).
let seed = 0x9e3779b9;
const rnd = () => ((seed ^= seed << 13), (seed ^= seed >>> 17), (seed ^= seed << 5), (seed >>> 0) / 2 ** 32);
const words = Array.from({ length: 2000 }, (_, i) => `w${i.toString(36)}${"abcdefgh".slice(0, 1 + (i % 7))}`);
const line = () =>
  Array.from({ length: 4 + Math.floor(rnd() * 10) }, () => words[Math.floor(rnd() ** 2 * words.length)]).join(" ");

async function blob(data) {
  mark += 1;
  await write(`blob\nmark :${mark}\ndata ${data.length}\n`);
  await write(data);
  await write("\n");
  return mark;
}

let time = 1_700_000_000;
let commits = 0;
async function commit(changes) {
  const marks = [];
  for (const [path, data] of changes) marks.push([path, await blob(data)]);
  time += 60;
  commits += 1;
  const msg = `commit ${commits}\n`;
  await write(
    `commit refs/heads/main\ncommitter Bench <bench@forgeline.invalid> ${time} +0000\ndata ${msg.length}\n${msg}`,
  );
  for (const [path, m] of marks) await write(`M 100644 :${m} ${path}\n`);
  await write("\n");
}

// Binaries: incompressible, ~65% of the target, in 1-3 MB files.
let binary = 0;
const binaryTarget = mb * 0.65 * 1024 * 1024;
for (let i = 0; binary < binaryTarget; i++) {
  const size = 1_000_000 + Math.floor(rnd() * 2_000_000);
  binary += size;
  await commit([[`assets/blob${i}.bin`, randomBytes(size)]]);
}

// Text: 2400 files of ~40 KB, then many commits each editing a few lines in a few files.
const files = [];
for (let f = 0; f < 2400; f++) files.push(Array.from({ length: 500 }, line));
for (let f = 0; f < files.length; f += 100)
  await commit(
    files
      .slice(f, f + 100)
      .map((lines, k) => [`src/d${(f + k) % 40}/f${f + k}.txt`, Buffer.from(lines.join("\n") + "\n")]),
  );
for (let c = 0; c < 1500; c++) {
  const changes = [];
  for (let k = 0; k < 6; k++) {
    const f = Math.floor(rnd() * files.length);
    const lines = files[f];
    for (let e = 0; e < 3; e++) lines[Math.floor(rnd() * lines.length)] = line();
    changes.push([`src/d${f % 40}/f${f}.txt`, Buffer.from(lines.join("\n") + "\n")]);
  }
  await commit(changes);
}
await write("done\n");
