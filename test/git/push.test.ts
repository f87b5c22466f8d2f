// push against the loopback git server: create, fast-forward, stale refusal, force, delete, server refusals,
// corrupt packs, credentials and HTTP failures; the server's refs and fsck are the truth.

import { describe, expect, it } from "vitest";
import { GitError, ZERO_OID, hashObject, push, serializeTree, writePack, type PackInput } from "../../workers/git";
import { failure, inRepo, repoName, server, sh } from "./support";

const enc = new TextEncoder();

/** A commit (with its tree and blob) as plain objects; `parent` chains history. */
async function commitObjects(text: string, parent?: string): Promise<{ objects: PackInput[]; id: string }> {
  const blob = enc.encode(`${text}\n`);
  const tree = serializeTree([{ mode: "100644", path: "file.txt", oid: await hashObject("blob", blob) }]);
  const commit = enc.encode(
    `tree ${await hashObject("tree", tree)}\n${parent ? `parent ${parent}\n` : ""}author A <a@x> 1700000000 +0000\ncommitter A <a@x> 1700000000 +0000\n\n${text}\n`,
  );
  return {
    objects: [
      { type: "blob", data: blob },
      { type: "tree", data: tree },
      { type: "commit", data: commit },
    ],
    id: await hashObject("commit", commit),
  };
}

async function bareRepo(prefix: string): Promise<{ name: string; url: string }> {
  const name = repoName(prefix);
  await sh(`git init -q --bare -b main ${name}.git`);
  return { name, url: `${server()}/${name}.git` };
}

const refOf = async (name: string, ref: string) =>
  (await inRepo(name, `git rev-parse --verify -q ${ref} || true`)).trim();

describe("push", () => {
  it("creates a branch from a streamed pack, fast-forwards it, refuses a stale old value, forces, deletes", async () => {
    const { name, url } = await bareRepo("push");
    const one = await commitObjects("one");
    const r1 = await push(url, {
      updates: [{ ref: "refs/heads/main", old: ZERO_OID, new: one.id }],
      pack: writePack(one.objects),
    });
    expect(r1.refs).toEqual([{ ref: "refs/heads/main", ok: true }]);
    expect(await refOf(name, "refs/heads/main")).toBe(one.id);
    await inRepo(name, "git fsck --strict --no-dangling");

    const two = await commitObjects("two", one.id);
    const r2 = await push(url, {
      updates: [{ ref: "refs/heads/main", old: one.id, new: two.id }],
      pack: writePack(two.objects),
    });
    expect(r2.refs[0]!.ok).toBe(true);
    expect(await refOf(name, "refs/heads/main")).toBe(two.id);

    // Stale: the remote moved on from `one`; without force nothing is sent and the ref stays.
    const other = await commitObjects("other", one.id);
    const r3 = await push(url, {
      updates: [{ ref: "refs/heads/main", old: one.id, new: other.id }],
      pack: writePack(other.objects),
    });
    expect(r3.refs[0]).toMatchObject({ ok: false });
    expect(r3.refs[0]!.message).toMatch(/stale/);
    expect(await refOf(name, "refs/heads/main")).toBe(two.id);

    const r4 = await push(url, {
      updates: [{ ref: "refs/heads/main", old: one.id, new: other.id }],
      pack: writePack(other.objects),
      force: true,
    });
    expect(r4.refs[0]!.ok).toBe(true);
    expect(await refOf(name, "refs/heads/main")).toBe(other.id);

    // A new ref on objects the remote already has: no pack given, an empty one is sent.
    const r5 = await push(url, { updates: [{ ref: "refs/tags/t1", old: ZERO_OID, new: one.id }] });
    expect(r5.refs[0]!.ok).toBe(true);
    expect(await refOf(name, "refs/tags/t1")).toBe(one.id);

    const r6 = await push(url, { updates: [{ ref: "refs/tags/t1", old: one.id, new: ZERO_OID }] });
    expect(r6.refs[0]!.ok).toBe(true);
    expect(await refOf(name, "refs/tags/t1")).toBe("");
    await inRepo(name, "git fsck --strict");
  });

  it("reports per ref what the server refuses, and up-to-date refs as ok", async () => {
    const { name, url } = await bareRepo("push-ng");
    const one = await commitObjects("one");
    await push(url, {
      updates: [
        { ref: "refs/heads/main", old: ZERO_OID, new: one.id },
        { ref: "refs/heads/keep", old: ZERO_OID, new: one.id },
      ],
      pack: writePack(one.objects),
    });
    await inRepo(name, "git config receive.denyDeletes true");
    const two = await commitObjects("two", one.id);
    const r = await push(url, {
      updates: [
        { ref: "refs/heads/keep", old: one.id, new: ZERO_OID },
        { ref: "refs/heads/main", old: one.id, new: two.id },
        { ref: "refs/heads/same", old: ZERO_OID, new: ZERO_OID },
      ],
      pack: writePack(two.objects),
    });
    expect(r.refs[0]).toMatchObject({ ref: "refs/heads/keep", ok: false });
    expect(r.refs[0]!.message).toMatch(/delet/);
    expect(r.refs[1]).toMatchObject({ ref: "refs/heads/main", ok: true });
    expect(r.refs[2]).toMatchObject({ ref: "refs/heads/same", ok: true, message: "up to date" });
    expect(await refOf(name, "refs/heads/keep")).toBe(one.id);
  });

  it("fails strong when the server cannot unpack the pack, and changes nothing", async () => {
    const { name, url } = await bareRepo("push-corrupt");
    const one = await commitObjects("one");
    const pack = new Uint8Array(await new Response(writePack(one.objects)).arrayBuffer());
    pack[pack.length - 5]! ^= 0xff;
    const err = await failure(push(url, { updates: [{ ref: "refs/heads/main", old: ZERO_OID, new: one.id }], pack }));
    expect(err).toBeInstanceOf(GitError);
    expect(err.strength).toBe("strong");
    expect(await refOf(name, "refs/heads/main")).toBe("");
    // A pack missing the objects the ref needs is refused by the server for that ref.
    const missing = await push(url, {
      updates: [{ ref: "refs/heads/main", old: ZERO_OID, new: one.id }],
      pack: writePack(one.objects.slice(0, 2)),
    });
    expect(missing.refs[0]!.ok).toBe(false);
    expect(await refOf(name, "refs/heads/main")).toBe("");
  });

  it("refuses bad updates before connecting", async () => {
    const url = `${server()}/none.git`;
    const id = "a".repeat(40);
    expect((await failure(push(url, { updates: [] }))).reason).toBe("no_updates");
    expect((await failure(push(url, { updates: [{ ref: "main", old: ZERO_OID, new: id }] }))).reason).toBe("bad_ref");
    expect((await failure(push(url, { updates: [{ ref: "refs/heads/a..b", old: ZERO_OID, new: id }] }))).reason).toBe(
      "bad_ref",
    );
    expect((await failure(push(url, { updates: [{ ref: "refs/heads/x", old: "zz", new: id }] }))).reason).toBe(
      "bad_oid",
    );
    const dup = { ref: "refs/heads/x", old: ZERO_OID, new: id };
    expect((await failure(push(url, { updates: [dup, dup] }))).reason).toBe("bad_ref");
  });

  it("needs the credentials the server asks for; says gone for 401/404 and weak for 503", async () => {
    const { name } = await bareRepo("push-auth");
    const one = await commitObjects("one");
    const update = { updates: [{ ref: "refs/heads/main", old: ZERO_OID, new: one.id }] };
    const authed = `${server()}/_auth/bot:tok/${name}.git`;
    const denied = await failure(push(authed, { ...update, pack: writePack(one.objects) }));
    expect(denied.strength).toBe("gone");
    expect(denied.status).toBe(401);
    const ok = await push(authed, {
      ...update,
      pack: writePack(one.objects),
      auth: { username: "bot", password: "tok" },
    });
    expect(ok.refs[0]!.ok).toBe(true);
    expect((await failure(push(`${server()}/${repoName("nope")}.git`, update))).strength).toBe("gone");
    expect((await failure(push(`${server()}/_fault/status/503/${name}.git`, update))).strength).toBe("weak");
  });
});
