// `node bench/scale-sim.mjs`: what the archive's storage model comes to at scale, computed from figures measured
// on the bench repos (bench/archive.mjs, docs/scale.md): bytes per object in D1 and R2, D1 statements and R2
// operations per visit. Prints, for a forge of 10,000 repos and for Software Heritage's archive, the D1 and R2
// sizes, how many D1 databases (10 GB each) the graph needs when sharded by id prefix, and R2's monthly price.
// Options: --measured <file.json> (the figures below, measured again), --repos N, --objects-per-repo N.

import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? fallback : args[i + 1];
};

/** Measured on a first visit of expressjs/express (33,522 objects fetched; bench/archive.mjs --repo); docs/scale.md. */
const measured = {
  // D1 bytes per graph object (tables + indexes): 22.0 MB of local D1 file for 33,522 objects.
  d1BytesPerObject: 657,
  // Share of objects that are contents (blobs): 11,786 of 33,522; the rest are directories, revisions, releases.
  contentShare: 0.35,
  // R2 bytes per content in content packs (49.8 MB for 154 MB of contents, deflated where it paid) and per
  // object of the kept git pack (10.1 MB).
  r2BytesPerContent: 4225,
  gitPackBytesPerObject: 300,
  // The whole first visit (6 steps): R2 writes (class A) and D1 statements.
  r2WritesPerVisit: 32,
  d1StatementsPerVisit: 153,
  objectsPerVisit: 33_522,
  ...(opt("measured") ? JSON.parse(readFileSync(opt("measured"), "utf8")) : {}),
};

const limits = {
  d1DatabaseBytes: 10e9,
  doBytes: 10e9,
  r2StoragePerGBMonth: 0.015,
  r2ClassAPerMillion: 4.5,
  r2ClassBPerMillion: 0.36,
};

function scenario(name, { origins, objects, visitsPerMonth, dedup }) {
  // Objects are stored once whatever the number of origins (dedup by id); forks share most of theirs.
  const stored = objects * dedup;
  const d1 = stored * measured.d1BytesPerObject;
  const r2 = stored * measured.contentShare * measured.r2BytesPerContent + stored * measured.gitPackBytesPerObject;
  const shards = Math.max(1, Math.ceil(d1 / (limits.d1DatabaseBytes * 0.8)));
  const prefixHex = Math.max(1, Math.ceil(Math.log2(shards) / 4));
  // Each month 1% new objects arrive; they cost R2 writes at the measured rate per object, and each eventful
  // visit (a third of them) at least 4 writes (pack chunk, pack.json, .idx, one content pack).
  const newObjectsPerMonth = objects * 0.01;
  const classA =
    (newObjectsPerMonth * measured.r2WritesPerVisit) / measured.objectsPerVisit + visitsPerMonth * (1 / 3) * 4;
  const perFileClassA = newObjectsPerMonth * measured.contentShare + visitsPerMonth * (1 / 3) * 3;
  const dollars = (r2 / 1e9) * limits.r2StoragePerGBMonth + (classA / 1e6) * limits.r2ClassAPerMillion;
  return {
    name,
    origins,
    objects,
    stored,
    d1GB: d1 / 1e9,
    d1Shards: shards,
    shardPrefixHexDigits: prefixHex,
    r2TB: r2 / 1e12,
    r2ClassAPerMonth: classA,
    r2ClassAPerMonthOnePerFile: perFileClassA,
    r2DollarsPerMonth: dollars,
    // Archiving it all once: writes with content packs, and with one R2 object per content.
    initialClassA: (stored * measured.r2WritesPerVisit) / measured.objectsPerVisit,
    initialClassAOnePerFile: stored * measured.contentShare,
  };
}

const repos = Number(opt("repos", 10_000));
const perRepo = Number(opt("objects-per-repo", 30_000));
const rows = [
  scenario(`forge of ${repos.toLocaleString()} repos`, {
    origins: repos,
    objects: repos * perRepo,
    visitsPerMonth: repos * 30,
    dedup: 0.7,
  }),
  scenario("Software Heritage (400 M origins, 20 G nodes)", {
    origins: 400e6,
    objects: 20e9,
    visitsPerMonth: 400e6 / 3,
    dedup: 1,
  }),
];

const fmt = (n, d = 1) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(d)} G`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(d)} M`
      : n >= 1e3
        ? `${(n / 1e3).toFixed(d)} k`
        : n.toFixed(d);
console.log("measured:", JSON.stringify(measured));
for (const r of rows) {
  console.log(`\n${r.name}`);
  console.log(
    `  objects stored ${fmt(r.stored)}; D1 ${r.d1GB.toFixed(1)} GB → ${r.d1Shards} database(s) of ≤ 8 GB (ids sharded by their first ${r.shardPrefixHexDigits} hex digit(s))`,
  );
  console.log(
    `  R2 ${r.r2TB.toFixed(2)} TB; class A writes per month ${fmt(r.r2ClassAPerMonth)} (one object per file would be ${fmt(r.r2ClassAPerMonthOnePerFile)})`,
  );
  console.log(
    `  first archiving: ${fmt(r.initialClassA)} class A writes ($${((r.initialClassA / 1e6) * limits.r2ClassAPerMillion).toFixed(0)}); ` +
      `one object per file: ${fmt(r.initialClassAOnePerFile)} ($${((r.initialClassAOnePerFile / 1e6) * limits.r2ClassAPerMillion).toFixed(0)})`,
  );
  console.log(
    `  R2 price per month ≈ $${r.r2DollarsPerMonth.toFixed(0)} (storage $${limits.r2StoragePerGBMonth}/GB-month, class A $${limits.r2ClassAPerMillion}/M)`,
  );
}
