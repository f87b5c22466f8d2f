// The SYNC bucket as each role sees it. The producer writes through its R2 binding. The consumer reads either
// through the binding (same account, local dev) or, deployed in another account, through R2's S3-compatible
// endpoint with its own read credentials (SYNC_S3_ENDPOINT, SYNC_S3_ACCESS_KEY_ID, SYNC_S3_SECRET_ACCESS_KEY,
// SYNC_S3_BUCKET).

import { AwsClient } from "aws4fetch";
import type { Env } from "../env";

export interface SyncObject {
  key: string;
  etag: string;
  size: number;
  uploaded: number;
  /** What the producer recorded (commit time), when it was a Forgeline producer. */
  metadata: Record<string, string>;
}

/** The bucket failed or answered out of turn: worth retrying later. */
export class BucketUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BucketUnavailable";
  }
}

export interface SyncReader {
  list(): AsyncGenerator<SyncObject>;
  head(key: string): Promise<SyncObject | null>;
  get(key: string): Promise<{ object: SyncObject; body: ReadableStream<Uint8Array> } | null>;
}

export function syncReader(env: Env): SyncReader {
  if (env.SYNC_S3_ENDPOINT) return s3Reader(env);
  return bindingReader(env.SYNC);
}

function fromR2(o: R2Object): SyncObject {
  return { key: o.key, etag: o.etag, size: o.size, uploaded: o.uploaded.getTime(), metadata: o.customMetadata ?? {} };
}

async function guarded<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw new BucketUnavailable(`SYNC bucket: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function bindingReader(bucket: R2Bucket): SyncReader {
  return {
    async *list() {
      let cursor: string | undefined;
      do {
        const page = await guarded("list", () => bucket.list({ cursor, limit: 1000, include: ["customMetadata"] }));
        for (const o of page.objects) yield fromR2(o);
        cursor = page.truncated ? page.cursor : undefined;
      } while (cursor);
    },
    head: (key) =>
      guarded(`head ${key}`, async () => {
        const o = await bucket.head(key);
        return o ? fromR2(o) : null;
      }),
    get: (key) =>
      guarded(`get ${key}`, async () => {
        const o = await bucket.get(key);
        return o ? { object: fromR2(o), body: o.body } : null;
      }),
  };
}

function s3Reader(env: Env): SyncReader {
  const missing = ["SYNC_S3_ACCESS_KEY_ID", "SYNC_S3_SECRET_ACCESS_KEY", "SYNC_S3_BUCKET"].filter(
    (k) => !env[k as keyof Env],
  );
  if (missing.length)
    throw new Error(`SYNC_S3_ENDPOINT is set but ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not`);
  const client = new AwsClient({
    accessKeyId: env.SYNC_S3_ACCESS_KEY_ID!,
    secretAccessKey: env.SYNC_S3_SECRET_ACCESS_KEY!,
    service: "s3",
    region: "auto",
    retries: 2,
  });
  const base = `${env.SYNC_S3_ENDPOINT!.replace(/\/+$/, "")}/${encodeURIComponent(env.SYNC_S3_BUCKET!)}`;
  const objectUrl = (key: string) => `${base}/${key.split("/").map(encodeURIComponent).join("/")}`;
  const call = async (method: string, url: string) => {
    const res = await guarded(`${method} ${url}`, () => client.fetch(url, { method }));
    if (res.status === 404 && method !== "LIST") return null;
    if (!res.ok) {
      await res.body?.cancel();
      throw new BucketUnavailable(`SYNC bucket (S3 endpoint): ${method} answered HTTP ${res.status}`);
    }
    return res;
  };
  const fromHeaders = (key: string, res: Response): SyncObject => {
    const metadata: Record<string, string> = {};
    res.headers.forEach((value, name) => {
      if (name.startsWith("x-amz-meta-")) metadata[name.slice(11)] = value;
    });
    return {
      key,
      etag: (res.headers.get("etag") ?? "").replace(/"/g, ""),
      size: Number(res.headers.get("content-length") ?? "0"),
      uploaded: Date.parse(res.headers.get("last-modified") ?? "") || 0,
      metadata,
    };
  };
  return {
    async *list() {
      let token: string | undefined;
      do {
        const url = `${base}?list-type=2&max-keys=1000${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`;
        const res = (await call("GET", url))!;
        const xml = await res.text();
        for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
          const field = (name: string) => unxml(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(m[1]!)?.[1] ?? "");
          yield {
            key: field("Key"),
            etag: field("ETag").replace(/"/g, ""),
            size: Number(field("Size")),
            uploaded: Date.parse(field("LastModified")) || 0,
            metadata: {},
          };
        }
        token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
          ? unxml(/<NextContinuationToken>([\s\S]*?)<\/NextContinuationToken>/.exec(xml)?.[1] ?? "")
          : undefined;
      } while (token);
    },
    async head(key) {
      const res = await call("HEAD", objectUrl(key));
      return res ? fromHeaders(key, res) : null;
    },
    async get(key) {
      const res = await call("GET", objectUrl(key));
      return res?.body ? { object: fromHeaders(key, res), body: res.body } : null;
    },
  };
}

function unxml(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)))
    .replace(/&amp;/g, "&");
}
