// Keys, age and tar of the mirror, checked against the fixtures and the real `age` and `tar` tools.

import { describe, expect, it } from "vitest";
import keysFixture from "../../../shared/fixtures/mirror/keys.txt?raw";
import { BadKey, decodeKey, encodeKey, isBranchName } from "../../workers/mirror/keys";
import { AgeError, decryptStream, encryptStream, parseIdentities, parseRecipients } from "../../workers/mirror/age";
import { tarStream } from "../../workers/mirror/tar";
import { TarError, tarEntries, safePath } from "../../workers/mirror/untar";
import { streamOf } from "../../workers/mirror/streams";
import { readAll } from "../../workers/core/bytes";
import { GzipError, gunzipStream, gzipStream } from "../../workers/mirror/gzip";
import { IDENTITY, OTHER_IDENTITY, OTHER_RECIPIENT, RECIPIENT, randomBytes, run, unique } from "./support";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

describe("object keys", () => {
  const lines = keysFixture.split("\n").filter((l) => l && !l.startsWith("#"));

  it("decode every fixture to the JSON shown, and reject the one marked REJECT", () => {
    expect(lines.length).toBe(3);
    for (const line of lines) {
      const [key, expected] = line.split("\t") as [string, string];
      if (expected === "REJECT") expect(() => decodeKey(key)).toThrow(BadKey);
      else expect(decodeKey(key)).toEqual(JSON.parse(expected));
    }
  });

  it("encode to compact JSON in git-partition-sync's field order", () => {
    const key = {
      group: "g",
      project_name: "p",
      commit_sha: "c".repeat(40),
      local_branch: "main",
      remote_branch: "release/x",
    };
    const encoded = encodeKey(key);
    expect(encoded.endsWith(".tar.age")).toBe(true);
    expect(atob(encoded.slice(0, -8))).toBe(
      `{"group":"g","project_name":"p","commit_sha":"${"c".repeat(40)}","local_branch":"main","remote_branch":"release/x"}`,
    );
    expect(decodeKey(encoded)).toEqual(key);
    // The fixture's key without its trailing newline re-encodes the way the producer writes it.
    const [first] = lines[0]!.split("\t") as [string];
    expect(encodeKey(decodeKey(first))).toBe(btoa(atob(first.slice(0, -8)).trimEnd()) + ".tar.age");
  });

  it("reject keys that are not base64 JSON of the five fields", () => {
    const bad = [
      "foo_bar",
      "foo_bar.tar.age",
      btoa("not json") + ".tar.age",
      btoa("[1,2]") + ".tar.age",
      btoa(JSON.stringify({ group: "g", project_name: "p", commit_sha: "c", local_branch: "main" })) + ".tar.age",
      btoa(
        JSON.stringify({ group: "g", project_name: "p", commit_sha: "c", local_branch: "main", remote_branch: "../x" }),
      ) + ".tar.age",
      btoa(JSON.stringify({ group: "g", project_name: "p", commit_sha: "c", local_branch: 5, remote_branch: "x" })) +
        ".tar.age",
      // Destinations that would leave the configured base URL, or break it.
      ...["..", "../victim", "g/../v", "%2e%2e", "a?b", "a#b", "a b", "/g", "g/"].map(
        (group) =>
          btoa(
            JSON.stringify({ group, project_name: "p", commit_sha: "c", local_branch: "main", remote_branch: "main" }),
          ) + ".tar.age",
      ),
      ...["..", "a/b", "%2e%2e"].map(
        (project_name) =>
          btoa(
            JSON.stringify({ group: "g", project_name, commit_sha: "c", local_branch: "main", remote_branch: "main" }),
          ) + ".tar.age",
      ),
    ];
    expect(
      decodeKey(
        encodeKey({
          group: "infra/team",
          project_name: "my.repo-1",
          commit_sha: "c",
          local_branch: "main",
          remote_branch: "main",
        }),
      ).group,
    ).toBe("infra/team");
    for (const key of bad) expect(() => decodeKey(key), key).toThrow(BadKey);
    expect(isBranchName("feature/a")).toBe(true);
    for (const b of ["", "a..b", "-x", "a b", "x.lock", ".hidden", "a/.b", "a:b", "a~1"])
      expect(isBranchName(b), b).toBe(false);
  });
});

describe("age", () => {
  it("parses recipients and identities, refusing what is not one", () => {
    expect(parseRecipients(`${RECIPIENT}, ${OTHER_RECIPIENT}\n# comment`)).toEqual([RECIPIENT, OTHER_RECIPIENT]);
    expect(() => parseRecipients("")).toThrow(/SYNC_RECIPIENTS is not set/);
    expect(() => parseRecipients("age1nope")).toThrow(/not an X25519 age recipient/);
    expect(parseIdentities(`# created: x\n${IDENTITY}\n`)).toEqual([IDENTITY]);
    expect(() => parseIdentities("AGE-SECRET-KEY-1XYZ")).toThrow(/not an X25519 age identity/);
  });

  it("streams to two recipients; the real age decrypts it with either identity", async () => {
    const plain = randomBytes(200_000);
    const cipher = await readAll(
      await encryptStream(streamOf(plain.subarray(0, 70_000), plain.subarray(70_000)), [RECIPIENT, OTHER_RECIPIENT]),
    );
    for (const id of [IDENTITY, OTHER_IDENTITY]) {
      const out = await run(`age -d -i <(echo ${id})`, { stdin: cipher });
      expect(out.bytes).toEqual(plain);
    }
    expect(await readAll(await decryptStream(streamOf(cipher), [IDENTITY]))).toEqual(plain);
  });

  it("decrypts what the real age encrypted, and names a wrong identity, corruption and truncation", async () => {
    const plain = randomBytes(150_000);
    const cipher = (await run(`age -r ${RECIPIENT}`, { stdin: plain })).bytes;
    expect(await readAll(await decryptStream(streamOf(cipher), [IDENTITY]))).toEqual(plain);

    await expect(decryptStream(streamOf(cipher), [OTHER_IDENTITY])).rejects.toThrow(
      /not encrypted to this consumer's identity/,
    );
    await expect(decryptStream(streamOf(bytes("hello, not age")), [IDENTITY])).rejects.toThrow(AgeError);

    const corrupted = cipher.slice();
    corrupted[corrupted.length - 70_000]! ^= 1;
    await expect(readAll(await decryptStream(streamOf(corrupted), [IDENTITY]))).rejects.toThrow(
      /corrupted or truncated/,
    );
    for (const cut of [cipher.length - 1, cipher.length - 20_000, cipher.length - (150_000 - 65_536 * 2) - 16])
      await expect(
        readAll(await decryptStream(streamOf(cipher.subarray(0, cut)), [IDENTITY])),
        `cut at ${cut}`,
      ).rejects.toThrow(AgeError);
  });
});

describe("tar", () => {
  it("writes archives the real tar extracts, streamed bodies and long names included", async () => {
    const big = randomBytes(100_003);
    const longName = `.git/refs/heads/${"deep/".repeat(30)}branch`;
    const archive = await readAll(
      tarStream([
        { path: ".git", type: "directory" },
        { path: ".git/HEAD", type: "file", body: bytes("ref: refs/heads/main\n") },
        { path: ".git/big", type: "file", size: big.length, body: () => streamOf(big.subarray(0, 5), big.subarray(5)) },
        { path: longName, type: "file", body: bytes("x\n") },
        { path: ".git/empty", type: "file", body: new Uint8Array(0) },
      ]),
    );
    const dir = unique("tarw");
    const out = await run(
      `mkdir ${dir} && cd ${dir} && tar xf - && cat .git/HEAD && sha256sum .git/big && cat ${longName} && stat -c %s .git/empty`,
      { stdin: archive },
    );
    const digest = [...new Uint8Array(await crypto.subtle.digest("SHA-256", big))]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("");
    expect(out.stdout).toBe(`ref: refs/heads/main\n${digest}  .git/big\nx\n0\n`);
  });

  it("reads what the real tar wrote (gzip, long names, symlinks inside)", async () => {
    const dir = unique("tarr");
    const out = await run(
      `mkdir -p ${dir}/src/.git/refs/heads/${"long/".repeat(25)} && cd ${dir}/src && echo hi > .git/HEAD && echo deep > .git/refs/heads/${"long/".repeat(25)}b && ln -s HEAD .git/link && head -c 70000 /dev/urandom > blob && tar czf - .`,
    );
    const files = new Map<string, string>();
    const types: string[] = [];
    for await (const e of tarEntries(streamOf(out.bytes).pipeThrough(new DecompressionStream("gzip")))) {
      types.push(`${e.type}:${e.path}`);
      if (e.type === "file") files.set(e.path, text(await readAll(e.body())));
    }
    expect(files.get(".git/HEAD")).toBe("hi\n");
    expect(files.get(`.git/refs/heads/${"long/".repeat(25)}b`)).toBe("deep\n");
    expect(files.get("blob")?.length).toBeGreaterThan(0);
    expect(types).toContain("symlink:.git/link");
    expect(types).toContain("directory:.");
  });

  it("refuses ../ paths, absolute paths, escaping symlinks, paths through symlinks, devices and garbage", async () => {
    const cases: [string, string, RegExp][] = [
      ["dotdot", `mkdir -p a && echo x > a/f && tar cf - --absolute-names a/../a/f`, /paths with "\.\."/],
      ["absolute", `echo x > f && tar cf - --absolute-names "$PWD/f"`, /absolute paths/],
      ["symlink-out", `ln -s ../../etc/passwd link && tar cf - link`, /escapes the archive/],
      ["symlink-abs", `ln -s /etc/passwd link && tar cf - link`, /absolute targets/],
      [
        "through-link",
        `mkdir d && ln -s d l && mkdir -p x/l && echo evil > x/l/f && tar cf - l -C x l/f`,
        /goes through the symlink/,
      ],
      ["fifo", `mkfifo p && tar cf - p`, /devices, fifos/],
    ];
    for (const [name, script, error] of cases) {
      const dir = unique(`bad-${name}`);
      const out = await run(`mkdir ${dir} && cd ${dir} && { ${script}; }`);
      const read = async () => {
        for await (const e of tarEntries(streamOf(out.bytes))) await e.skip();
      };
      await expect(read(), name).rejects.toThrow(error);
      await expect(read(), name).rejects.toThrow(TarError);
    }
    await expect(
      (async () => {
        for await (const e of tarEntries(streamOf(bytes("x".repeat(1024))))) await e.skip();
      })(),
    ).rejects.toThrow(/not a tar archive/);
    const good = await readAll(tarStream([{ path: "f", type: "file", body: bytes("hello") }]));
    await expect(
      (async () => {
        for await (const e of tarEntries(streamOf(good.subarray(0, 600)))) await readAll(e.body());
      })(),
    ).rejects.toThrow(/truncated/);
    expect(safePath("./a/./b/")).toBe("a/b");
    expect(() => safePath("/etc")).toThrow(TarError);
    expect(() => safePath("a/../../b")).toThrow(TarError);
  });
});

describe("gzip", () => {
  it("round-trips with the real gzip, and names truncation and trailing garbage", async () => {
    const plain = new Uint8Array([...randomBytes(100_000), ...new Uint8Array(300_000)]);
    const packed = await readAll(streamOf(plain.subarray(0, 1000), plain.subarray(1000)).pipeThrough(gzipStream()));
    expect(packed.length).toBeLessThan(plain.length / 2);
    expect((await run("gzip -dc", { stdin: packed })).bytes).toEqual(plain);
    const real = (await run("gzip -c", { stdin: plain })).bytes;
    expect(await readAll(streamOf(real).pipeThrough(gunzipStream()))).toEqual(plain);
    await expect(readAll(streamOf(real.subarray(0, real.length - 10)).pipeThrough(gunzipStream()))).rejects.toThrow(
      /truncated/,
    );
    await expect(readAll(streamOf(real, bytes("garbage")).pipeThrough(gunzipStream()))).rejects.toThrow(GzipError);
    await expect(readAll(streamOf(bytes("not gzip at all")).pipeThrough(gunzipStream()))).rejects.toThrow(
      /not valid gzip/,
    );
  });

  it("stops a gzip bomb at the limit inside one input chunk, not after inflating it", async () => {
    const bomb = (await run("head -c 64000000 /dev/zero | gzip -9c")).bytes; // ~62 KB that inflate to 64 MB
    expect(bomb.length).toBeLessThan(100_000);
    let seen = 0;
    const counted = new TransformStream<Uint8Array, Uint8Array>({
      transform: (c, k) => void ((seen += c.byteLength), k.enqueue(c)),
    });
    const limit = { bytes: 1_000_000, error: (n: number) => new Error(`over the limit at ${n} bytes`) };
    await expect(readAll(streamOf(bomb).pipeThrough(gunzipStream(limit)).pipeThrough(counted))).rejects.toThrow(
      /over the limit at/,
    );
    expect(seen).toBeLessThanOrEqual(limit.bytes);
  });
});
