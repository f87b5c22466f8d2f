// A probe Worker for `node bench/mirror-memory/run.mjs`: streams N MiB through one platform piece the mirror
// uses (age, native gzip, pako gzip/gunzip, native gunzip, R2 multipart + read back) and discards the output.
import { Encrypter } from "age-encryption";
import pako from "pako";
const MB = 1024 * 1024;
function source(total) {
  let sent = 0;
  return new ReadableStream({
    pull(c) {
      if (sent >= total) return c.close();
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < chunk.length; i += 65536) crypto.getRandomValues(chunk.subarray(i, i + 65536));
      sent += chunk.length;
      c.enqueue(chunk);
    },
  });
}
async function drain(s) {
  let n = 0;
  for await (const c of s) n += c.length;
  return n;
}
export default {
  async fetch(req, env) {
    const what = new URL(req.url).pathname.slice(1);
    const total = Number(new URL(req.url).searchParams.get("mb") ?? 64) * MB;
    if (what === "age") {
      const e = new Encrypter();
      e.addRecipient("age1nyx3vkv2kdvnzvyxkzt2n4regk8hre4ds8tjetl8h8sqa754r5cs6fk2rw");
      return new Response(String(await drain(await e.encrypt(source(total)))));
    }
    if (what === "gzip2") {
      const cs = new CompressionStream("gzip");
      const writer = cs.writable.getWriter();
      (async () => {
        for await (const c of source(total)) await writer.write(c);
        await writer.close();
      })();
      return new Response(String(await drain(cs.readable)));
    }
    if (what === "gzip3") {
      const cs = new CompressionStream("gzip");
      const writer = cs.writable.getWriter();
      (async () => {
        for await (const c of source(total)) {
          await writer.ready;
          writer.write(c);
        }
        await writer.close();
      })();
      return new Response(String(await drain(cs.readable)));
    }
    if (what === "gunzip" || what === "pakogunzip") {
      const gz = [];
      const d = new pako.Deflate({ gzip: true, level: 1 });
      d.onData = (c) => gz.push(c);
      const zero = new Uint8Array(MB);
      for (let i = 0; i < total / MB; i++) d.push(zero, false);
      d.push(new Uint8Array(0), true);
      if (what === "pakogunzip") {
        let n = 0;
        const inf = new pako.Inflate();
        inf.onData = (c) => {
          n += c.length;
        };
        for (const c of gz) inf.push(c, false);
        return new Response(String(n));
      }
      let i = 0;
      const src = new ReadableStream({
        pull(c) {
          if (i < gz.length) c.enqueue(gz[i++]);
          else c.close();
        },
      });
      return new Response(String(await drain(src.pipeThrough(new DecompressionStream("gzip")))));
    }
    if (what === "pako") {
      let n = 0;
      const d = new pako.Deflate({ gzip: true, level: 6 });
      d.onData = (c) => {
        n += c.length;
      };
      for await (const c of source(total)) d.push(c, false);
      d.push(new Uint8Array(0), true);
      return new Response(String(n));
    }
    if (what === "gzip")
      return new Response(String(await drain(source(total).pipeThrough(new CompressionStream("gzip")))));
    if (what === "r2") {
      const up = await env.B.createMultipartUpload("x");
      const parts = [];
      const r = source(total).getReader();
      let part = new Uint8Array(8 * MB),
        fill = 0;
      for (;;) {
        const { done, value } = await r.read();
        if (done) break;
        part.set(value, fill);
        fill += value.length;
        if (fill === part.length) {
          parts.push(await up.uploadPart(parts.length + 1, part));
          part = new Uint8Array(8 * MB);
          fill = 0;
        }
      }
      await up.complete(parts);
      const o = await env.B.get("x");
      return new Response(String(await drain(o.body)));
    }
    return new Response("?");
  },
};
