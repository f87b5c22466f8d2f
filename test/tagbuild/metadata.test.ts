// Tag metadata and tag objects as plain data: DEP-14 names, [dgit …] lines (every bad form), tagger lines
// and timestamps, the settings, and the builder protocol's line grammar.

import { describe, expect, it } from "vitest";
import example from "../../../shared/fixtures/tagbuild/tag-object-example.txt?raw";
import {
  checkTagName,
  dgitLines,
  expectedTagName,
  isDebianVersion,
  mangleVersion,
  plausibleTagName,
  readMetadata,
  unmangleVersion,
} from "../../workers/tagbuild/metadata";
import { checkTaggerTime, parseTagger, readTagObject } from "../../workers/tagbuild/tag-object";
import { parseDuration, tagbuildSettings } from "../../workers/tagbuild/settings";
import { parseBuilderLine, jobLines } from "../../workers/core/builder-protocol";
import { planTagbuild } from "../../workers/tagbuild/index";
import type { ForgeEvent } from "../../workers/core/forge-event";

/** The fixture's tag object: its comment lines dropped and its placeholder commit id filled in. */
const UPSTREAM = "0123456789abcdef0123456789abcdef01234567";
const fixtureTag = example
  .split("\n")
  .filter((l) => !l.startsWith("#"))
  .join("\n")
  .replace("<40-hex-commitid>", UPSTREAM);

const enc = (s: string) => new TextEncoder().encode(s);

describe("DEP-14 tag names", () => {
  it("mangles and unmangles versions", () => {
    const cases: [string, string][] = [
      ["1.0-1", "1.0-1"],
      ["1:2.3-4", "1%2.3-4"],
      ["1.0~rc1-1", "1.0_rc1-1"],
      ["2:1.0~beta..1", "2%1.0_beta.#.1"],
      ["1.0.", "1.0.#"],
      ["1.lock", "1.#lock"],
      ["1.locker", "1.locker"],
    ];
    for (const [version, mangled] of cases) {
      expect(mangleVersion(version)).toBe(mangled);
      expect(unmangleVersion(mangled)).toBe(version);
    }
    expect(expectedTagName("debian", "1:2.3~rc1-1")).toBe("debian/1%2.3_rc1-1");
  });

  it("refuses names that mangling cannot produce", () => {
    expect(unmangleVersion("1..0")).toBeNull(); // would have been 1.#.0
    expect(unmangleVersion("1.")).toBeNull();
  });

  it("tells plausible tag names from others", () => {
    expect(plausibleTagName("test-dummy/1.0-1", "test-dummy")).toEqual({ ok: true, version: "1.0-1" });
    expect(plausibleTagName("debian/1%2.0-1", "debian")).toEqual({ ok: true, version: "1:2.0-1" });
    expect(plausibleTagName("v1.0", "debian")).toMatchObject({
      ok: false,
      reason: expect.stringContaining("DISTRO/VERSION"),
    });
    expect(plausibleTagName("ubuntu/1.0", "debian")).toMatchObject({
      ok: false,
      reason: expect.stringContaining('"ubuntu"'),
    });
    expect(plausibleTagName("debian/not a version", "debian").ok).toBe(false);
    expect(plausibleTagName("debian/", "debian").ok).toBe(false);
    expect(plausibleTagName("debian/1:2", "debian").ok).toBe(false); // a raw colon is not DEP-14
  });

  it("checks Debian versions", () => {
    expect(["1.0", "1:1.0-1", "0.9~rc1+dfsg-2"].every(isDebianVersion)).toBe(true);
    expect(["", "a1.0", "1:2:3", "1.0 1", "1_0"].some(isDebianVersion)).toBe(false);
  });
});

describe("[dgit …] metadata", () => {
  it("reads the real tag2upload example", () => {
    const tag = readTagObject(enc(fixtureTag));
    expect(tag).toMatchObject({
      object: "d8cbd33adef3936f207c15a7991dc884136a4fd7",
      type: "commit",
      tag: "test-dummy/1.0-1",
    });
    expect(tag.tagger).toEqual({
      name: "Outré Name",
      email: "dgit-test@debian.example.net",
      timestamp: 1530000001,
      tz: "+0100",
    });
    const meta = readMetadata(tag.message, "test-dummy");
    expect(meta).toEqual({
      ok: true,
      request: {
        distro: "test-dummy",
        source: "example",
        version: "1.0-1",
        upstreamTag: "upstream/1.0",
        upstream: UPSTREAM,
      },
    });
    if (meta.ok) expect(checkTagName(tag.tag, meta.request)).toBeNull();
    expect(readMetadata(tag.message, "debian")).toEqual({
      ok: false,
      notForUs: "metadata names distro test-dummy, not debian",
    });
  });

  it("is not for us without metadata, without please-upload, or for another distro", () => {
    expect(readMetadata("just a release\n", "debian")).toEqual({
      ok: false,
      notForUs: "the tag message has no [dgit …] metadata",
    });
    expect(readMetadata("[dgit distro=debian]\n", "debian")).toEqual({
      ok: false,
      notForUs: "no [dgit please-upload …] line",
    });
    expect(readMetadata("[dgit please-upload source=a1 version=1.0]\n", "debian")).toMatchObject({
      ok: false,
      notForUs: expect.stringContaining("(none)"),
    });
    // distro= may sit on the please-upload line itself.
    expect(readMetadata("[dgit distro=debian please-upload source=a1 version=1.0]", "debian")).toMatchObject({
      ok: true,
    });
  });

  it("ignores unknown keys and quoted lines", () => {
    const msg =
      '[dgit distro=debian --quilt=gbp split novel-key novel=value]\n[dgit "please-upload source=evil version=6.6"]\n[dgit please-upload source=good version=1.0]';
    expect(readMetadata(msg, "debian")).toMatchObject({ ok: true, request: { source: "good", version: "1.0" } });
    // Lines that merely mention dgit are not metadata.
    expect(dgitLines("see [dgit docs]\n[dgitx a]\n  [dgit distro=x]")).toEqual([]);
  });

  it("rejects every malformed or unacceptable form with a reason", () => {
    const bad: [string, RegExp][] = [
      ["[dgit distro=debian", /malformed metadata line/],
      ["[dgit]", /malformed metadata line/],
      ["[dgit ]", /empty item/],
      ["[dgit distro=debian  please-upload]", /empty item/],
      ["[dgit =debian]", /no key/],
      ["[dgit distro=debian] trailing", /malformed metadata line/],
      ["[dgit distro=debian !must-understand]\n[dgit please-upload source=a1 version=1]", /demands "!must-understand"/],
      ["[dgit distro=debian]\n[dgit please-upload source=a1 version=1 !x=1]", /demands "!x"/],
      ["[dgit distro=debian]\n[dgit please-upload version=1.0]", /no source=/],
      ["[dgit distro=debian]\n[dgit please-upload source=a1]", /no version=/],
      ["[dgit distro=debian]\n[dgit please-upload source=A_B version=1.0]", /not a valid source package/],
      ["[dgit distro=debian]\n[dgit please-upload source=ab version=x.y]", /not a valid Debian version/],
      ["[dgit distro=debian]\n[dgit please-upload source=ab version=1.0 upstream=xyz]", /not a commit id/],
      ["[dgit distro=debian]\n[dgit please-upload source=ab version=1.0 upstream-tag=]", /upstream-tag= has no value/],
      ["[dgit distro=debian]\n[dgit please-upload source=ab version=1.0 source=cd]", /source twice/],
      [
        "[dgit distro=debian]\n[dgit please-upload source=ab version=1]\n[dgit please-upload source=cd version=2]",
        /more than one/,
      ],
      ["[dgit distro=]\n[dgit please-upload source=ab version=1]", /distro= has no value/],
      [`[dgit distro=debian ${"x".repeat(5000)}]`, /longer than/],
    ];
    for (const [message, reason] of bad) {
      const verdict = readMetadata(message, "debian");
      expect(verdict.ok, message).toBe(false);
      expect((verdict as { invalid?: string }).invalid, message).toMatch(reason);
    }
  });

  it("checks the tag name against the metadata", () => {
    const request = { distro: "debian", source: "ab", version: "1:1.0~rc1-1", upstreamTag: null, upstream: null };
    expect(checkTagName("debian/1%1.0_rc1-1", request)).toBeNull();
    expect(checkTagName("debian/1.0", request)).toMatch(/expected debian\/1%1.0_rc1-1/);
  });
});

describe("tag objects", () => {
  it("refuses a tagger line without a timestamp, and other broken headers", () => {
    expect(() => parseTagger("Someone <someone@example.org>")).toThrow(/tagger line has no timestamp/);
    expect(() => parseTagger("Someone <someone@example.org> notatime +0000")).toThrow(/malformed tagger line/);
    expect(() =>
      readTagObject(enc(fixtureTag.replace(/^tagger .*$/m, "tagger Outré Name <dgit-test@debian.example.net>"))),
    ).toThrow(/no timestamp/);
    expect(() => readTagObject(enc(fixtureTag.replace(/^tagger .*\n/m, "")))).toThrow(/no tagger line/);
    expect(() => readTagObject(enc(fixtureTag.replace(/^object .*$/m, "object nothex")))).toThrow(/bad object id/);
    expect(() => readTagObject(enc(fixtureTag.replace(/^type .*\n/m, "")))).toThrow(/missing object, type or tag/);
    expect(() => readTagObject(new Uint8Array([0x6f, 0xff, 0xfe]))).toThrow(/not valid UTF-8/);
  });

  it("accepts tagger times within [now - max age, now + slop] only", () => {
    const now = Date.UTC(2026, 0, 10);
    const s = (ms: number) => Math.floor(ms / 1000);
    const hour = 3_600_000;
    expect(checkTaggerTime(s(now), now, 72 * hour, 15 * 60_000)).toBeNull();
    expect(checkTaggerTime(s(now + 14 * 60_000), now, 72 * hour, 15 * 60_000)).toBeNull();
    expect(checkTaggerTime(s(now + 16 * 60_000), now, 72 * hour, 15 * 60_000)).toMatch(/in the future/);
    expect(checkTaggerTime(s(now - 71 * hour), now, 72 * hour, 15 * 60_000)).toBeNull();
    expect(checkTaggerTime(s(now - 73 * hour), now, 72 * hour, 15 * 60_000)).toMatch(/older than 72 h/);
  });

  it("reads the settings with their defaults and refuses nonsense", () => {
    expect(tagbuildSettings({})).toEqual({ slopMs: 900_000, maxAgeMs: 259_200_000, builderTokens: [] });
    expect(tagbuildSettings({ TAG_SLOP: "60", TAG_MAX_AGE: "2h", BUILDER_TOKENS: " a, b ,," })).toEqual({
      slopMs: 60_000,
      maxAgeMs: 7_200_000,
      builderTokens: ["a", "b"],
    });
    expect(parseDuration("3d", "X")).toBe(259_200_000);
    expect(() => parseDuration("soon", "TAG_SLOP")).toThrow(/TAG_SLOP="soon" is not a duration/);
  });
});

describe("planning", () => {
  const repo = { id: "R", url: "https://forge.test/o/p", cloneUrl: "https://forge.test/o/p.git", host: "forge.test" };
  const event = (kind: ForgeEvent["kind"], name: string, objectId?: string): ForgeEvent => ({
    id: "E",
    delivery: "d",
    forge: "gitea",
    host: "forge.test",
    kind,
    repo: {
      url: repo.url,
      cloneUrl: "https://elsewhere.test/x.git",
      fullName: "o/p",
      owner: "o",
      name: "p",
      defaultBranch: null,
      private: false,
    },
    ref: `refs/tags/${name}`,
    before: null,
    after: objectId ?? null,
    commits: [],
    tag: objectId ? { name, objectId } : { name },
    pusher: null,
    receivedAt: "2026-01-01T00:00:00Z",
  });

  it("plans jobs only for plausible tags of our distro, fetching from the registered clone URL", () => {
    const id = "a".repeat(40);
    const [job] = planTagbuild(event("tag_push", "debian/1.0-1", id), { distro: "debian" }, repo);
    expect(job).toMatchObject({
      kind: "tagbuild",
      input: { tagName: "debian/1.0-1", pushedId: id, deleted: false, cloneUrl: repo.cloneUrl },
    });
    expect(planTagbuild(event("tag_delete", "debian/1.0-1"), { distro: "debian" }, repo)[0]).toMatchObject({
      input: { deleted: true },
    });
    expect(planTagbuild(event("tag_push", "v1.0", id), { distro: "debian" }, repo)).toEqual([]);
    expect(planTagbuild(event("tag_push", "ubuntu/1.0", id), { distro: "debian" }, repo)).toEqual([]);
    expect(planTagbuild(event("push", "debian/1.0", id), { distro: "debian" }, repo)).toEqual([]);
    expect(
      planTagbuild(event("tag_push", "debian/1.0", id), { distro: "debian", allowedTagPattern: "^debian/2" }, repo),
    ).toEqual([]);
  });
});

describe("builder protocol lines", () => {
  it("parses what a builder may say and flags everything else", () => {
    expect(parseBuilderLine("builder-version 1")).toEqual({ kind: "version", version: "1" });
    expect(parseBuilderLine("builder-id b-1 testing")).toEqual({ kind: "id", id: "b-1", mode: "testing" });
    expect(parseBuilderLine("ack")).toEqual({ kind: "ack" });
    expect(parseBuilderLine("message hello world")).toEqual({ kind: "message", text: "hello world" });
    expect(parseBuilderLine("uploaded")).toEqual({ kind: "uploaded" });
    expect(parseBuilderLine("protocol-violation you are wrong")).toEqual({
      kind: "protocol-violation",
      text: "you are wrong",
    });
    for (const garbage of [
      "",
      "hello",
      "builder-id b-1",
      "builder-id ../x production",
      "builder-id b beta",
      "ack now",
      "uploaded 01J",
      "message",
      "builder-version one",
      "ack\nack",
      "x".repeat(5000),
    ])
      expect(parseBuilderLine(garbage).kind, garbage).toBe("violation");
    expect(jobLines("01J", "hello", "https://f.test/o/p", 12)).toEqual({
      head: ["job 01J hello https://f.test/o/p", "data-block 12"],
      tail: ["data-end"],
    });
  });
});
