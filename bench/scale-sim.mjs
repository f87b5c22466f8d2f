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

/** Measured on the generated bench repo (34,385 objects) and expressjs/express (53,477 objects); docs/scale.md. */
const measured = {
  // D1 bytes per graph row (table + indexes), from the local D1 file after a first visit, divided by rows.
  d1BytesPerObject: 330,
  // Share of objects that are contents (blobs); the rest are directories, revisions, releases.
  contentShare: 0.34,
  // R2 bytes per content (content packs, deflated where it pays) and per object of kept git pack.
  r2BytesPerContent: 1100,
  gitPackBytesPerObject: 740,
  // Per first visit of a 30,000-object repo: R2 writes (class A) and D1 statements, all steps.
  r2WritesPerVisit: 21,
  d1StatementsPerVisit: 60,
  objectsPerVisit: 34_385,
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
  // A re-visit fetches only what is new: its writes scale with new objects, a visit costs a few class A at least.
  const newObjectsPerVisit = (objects * 0.01) / Math.max(1, visitsPerMonth / origins);
  const writesPerVisit = Math.max(4, (measured.r2WritesPerVisit * newObjectsPerVisit) / measured.objectsPerVisit);
  const classA = visitsPerMonth * writesPerVisit;
  const perFileClassA = visitsPerMonth * newObjectsPerVisit * measured.contentShare;
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
  };
}

const repos = Number(opt("repos", 10_000));
const perRepo = Number(opt("objects-per-repo", 30_000));
const rows = [
  scenario(`forge of ${repos.toLocaleString()} repos`, { origins: repos, objects: repos * perRepo, visitsPerMonth: repos * 30, dedup: 0.7 }),
  scenario("Software Heritage (400 M origins, 20 G nodes)", { origins: 400e6, objects: 20e9, visitsPerMonth: 400e6 / 3, dedup: 1 }),
];

const fmt = (n, d = 1) => (n >= 1e9 ? `${(n / 1e9).toFixed(d)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(d)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(d)} k` : n.toFixed(d));
console.log("measured:", JSON.stringify(measured));
for (const r of rows) {
  console.log(`\n${r.name}`);
  console.log(`  objects stored ${fmt(r.stored)}; D1 ${r.d1GB.toFixed(1)} GB → ${r.d1Shards} database(s) of ≤ 8 GB (ids sharded by their first ${r.shardPrefixHexDigits} hex digit(s))`);
  console.log(`  R2 ${r.r2TB.toFixed(2)} TB; class A writes per month ${fmt(r.r2ClassAPerMonth)} (one object per file would be ${fmt(r.r2ClassAPerMonthOnePerFile)})`);
  console.log(`  R2 price per month ≈ $${r.r2DollarsPerMonth.toFixed(0)} (storage $${limits.r2StoragePerGBMonth}/GB-month, class A $${limits.r2ClassAPerMillion}/M)`);
}
