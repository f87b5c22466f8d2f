// The archive browser over a repo built with git (hostile file names and messages, a binary file, a long file):
// origin → visits → snapshot → revision → directory → file, SWHIDs and resolve, save code now.

import { beforeAll, describe, expect, it } from "vitest";
import { call, json } from "../support/http";
import { makeRepo, repoName, sh, visit, type TestRepo } from "../archive/visit-support";

const html = async (path: string) => {
  const res = await call(path, { headers: { Accept: "text/html" } });
  return { status: res.status, text: await res.text(), res };
};
const hrefs = (text: string, prefix: string) =>
  [...text.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, "&")).filter((h) => h.startsWith(prefix));

let repo: TestRepo;
let job: { id: string; status: string };

beforeAll(async () => {
  repo = await makeRepo(
    repoName("browse"),
    // The hostile name made by printf, so the shell never parses it.
    // (A file name cannot hold a slash, so names get an <img onerror> instead of a </script>.)
    `N="$(printf '<script>alert(1)</script>"\\x27\\xe2\\x80\\xaex')"
F="$(printf '<img src=x onerror=alert(1)>"\\x27\\xe2\\x80\\xaex')"
mkdir -p "dir/$F"
printf 'inside\\n' > "dir/$F/$F.txt"
seq 1 1200 > long.txt
printf '\\x00\\x01\\x02binary' > blob.bin
git add -A && git commit -q -m "fix $N" -m 'a body line'`,
  );
  job = await visit(repo.url);
  expect(job.status).toBe("full");
});

describe("the archive browser", () => {
  it("walks from the origin to a file, escaping every name and message", async () => {
    const origin = await html(`/archive/origin?url=${encodeURIComponent(repo.origin)}`);
    expect(origin.status).toBe(200);
    const [snapshotHref] = hrefs(origin.text, "/archive/snapshot/");
    expect(snapshotHref).toBeDefined();
    const snapshot = await html(snapshotHref!);
    expect(snapshot.text).toContain("refs/heads/main");
    expect(snapshot.text).toMatch(/swh:1:snp:[0-9a-f]{40}/);
    const [revHref] = hrefs(snapshot.text, "/archive/revision/");
    const rev = await html(revHref!);
    expect(rev.status).toBe(200);
    expect(rev.text).toContain("fix &lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;");
    expect(rev.text).not.toContain("<script>alert");
    const { stdout: head } = await sh(`git rev-parse HEAD`, { cwd: repo.bare });
    expect(rev.text).toContain(`swh:1:rev:${head.trim()}`);
    const [treeHref] = hrefs(rev.text, "/archive/directory/");
    const tree = await html(treeHref!);
    expect(tree.text).toContain("long.txt");
    const [dirHref] = hrefs(tree.text, "/archive/directory/").filter((h) => h.includes("path=dir"));
    const dir = await html(dirHref!);
    const [subHref] = hrefs(dir.text, "/archive/directory/").filter((h) => h.includes("path=dir%2F"));
    const sub = await html(subHref!);
    expect(sub.text).not.toContain("<img src=x");
    // The RTL override is shown as its code point: the name reads as it is.
    expect(sub.text).toContain("&lt;img src=x onerror=alert(1)&gt;&quot;&#39;[U+202E]x.txt");
    expect(sub.text).not.toContain("\u202E");
    const [fileHref] = hrefs(sub.text, "/archive/content/");
    const file = await html(fileHref!);
    expect(file.status).toBe(200);
    expect(file.text).toContain("<td>inside</td>");
    expect(file.text).not.toContain("<img src=x");
    expect(file.res.headers.get("Content-Security-Policy")).toContain("script-src 'self'");
  });

  it("shows text with line numbers and anchors, in pages, and offers binary files as a download", async () => {
    const { stdout: long } = await sh(`git rev-parse HEAD:long.txt`, { cwd: repo.bare });
    const first = await html(`/archive/content/${long.trim()}?path=long.txt`);
    expect(first.text).toContain(`<tr id="L1"><td class="ln"><a href="#L1">1</a></td><td>1</td></tr>`);
    expect(first.text).toContain(`id="L500"`);
    expect(first.text).not.toContain(`id="L501"`);
    expect(first.text.length).toBeLessThan(100_000);
    const second = await json(
      call(`/archive/content/${long.trim()}?path=long.txt&from=501`, { headers: { Accept: "application/json" } }),
    );
    expect(second.body).toMatchObject({ lines: 1200, from: 501, shown: 500, next: 1001 });
    const { stdout: bin } = await sh(`git rev-parse HEAD:blob.bin`, { cwd: repo.bare });
    const binary = await html(`/archive/content/${bin.trim()}?path=blob.bin`);
    expect(binary.text).toContain("A binary file");
    expect(binary.text).toContain(`href="/api/1/content/sha1_git:${bin.trim()}/raw/" download="blob.bin"`);
    expect(binary.text).not.toContain(`class="code"`);
  });

  it("resolves a SWHID to its page, and answers bad ones clearly", async () => {
    const { stdout } = await sh(`git rev-parse HEAD^{tree}`, { cwd: repo.bare });
    const tree = stdout.trim();
    const res = await call(`/archive/resolve?swhid=swh:1:dir:${tree}`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe(`/archive/directory/${tree}`);
    const bad = await html(`/archive/resolve?swhid=${encodeURIComponent("swh:1:xyz:<b>")}`);
    expect(bad.status).toBe(400);
    expect(bad.text).not.toContain("<b>");
    const unknown = await html(`/archive/resolve?swhid=swh:1:rev:${"0".repeat(40)}`);
    expect(unknown.status).toBe(404);
    const badId = await html(`/archive/revision/nothex`);
    expect(badId.status).toBe(400);
    expect(badId.text).toContain("expected 40 lowercase hex digits");
  });

  it("answers the same data as JSON", async () => {
    const { body } = await json(
      call(`/archive/origin?url=${encodeURIComponent(repo.origin)}`, { headers: { Accept: "application/json" } }),
    );
    expect(body.origin.url).toBe(repo.origin);
    expect(body.visits[0]).toMatchObject({ visit: 1, status: "full" });
    const index = await json(call(`/archive`, { headers: { Accept: "application/json" } }));
    expect(index.body.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
  });
});
