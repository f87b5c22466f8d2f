// The builder protocol over real WebSockets into the Worker: greeting, ayt/ack polling, handing over a
// build, outcomes, testing builders, and every way a builder can misbehave.

import { afterEach, describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject, SELF } from "cloudflare:test";
import { admin, call, eventually, json, unique, type Answer } from "../support/http";
import { TestBuilder } from "./support";
import { remote } from "../../workers/core/remote";
import type { BuildersObject } from "../../durable-objects/builders";
import { ulid } from "../../workers/core/ids";

const hub = () => remote<BuildersObject>(env.BUILDERS, "builders");
const hubStub = () => env.BUILDERS.get(env.BUILDERS.idFromName("builders"));
const open: TestBuilder[] = [];

async function builder(mode: "testing" | "production" = "production") {
  const id = unique("b");
  const b = await TestBuilder.ready(id, mode);
  open.push(b);
  await eventually(
    async () => (await hub().builders()).builders.some((x) => x.id === id && x.connected),
    10_000,
    `builder ${id} registered`,
  );
  return { b, id };
}

function submit(tag = "object 1\n") {
  const jobId = ulid();
  return {
    jobId,
    done: hub().submit({
      jobId,
      source: "example",
      repoUrl: "https://forge.test/o/p",
      tag: new TextEncoder().encode(tag),
    }),
  };
}

/** Makes every deadline and poll of the hub due now and runs its alarm. */
async function hubAlarmNow() {
  await runInDurableObject(hubStub(), async (_i, state) => {
    for (const ws of state.getWebSockets()) {
      const c = ws.deserializeAttachment();
      if (!c) continue;
      if (c.deadline) c.deadline = Date.now() - 1;
      if (c.nextPoll) c.nextPoll = Date.now() - 1;
      ws.serializeAttachment(c);
    }
  });
  await runDurableObjectAlarm(hubStub());
}

afterEach(async () => {
  for (const b of open.splice(0)) b.close();
  // Builds left by a test must not reach the next test's builders.
  await runInDurableObject(hubStub(), async (_i, state) => void state.storage.sql.exec(`DELETE FROM builds`));
});

describe("builder connections", () => {
  it("refuses connections without a valid builder token, and plain HTTP", async () => {
    const none = await SELF.fetch("https://forgeline.test/api/builders/connect", { headers: { Upgrade: "websocket" } });
    expect(none.status).toBe(401);
    expect(((await none.json()) as Answer).error.code).toBe("bad_builder_token");
    const wrong = await SELF.fetch("https://forgeline.test/api/builders/connect", {
      headers: { Upgrade: "websocket", Authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    const plain = await SELF.fetch("https://forgeline.test/api/builders/connect", {
      headers: { Authorization: "Bearer test-builder-token" },
    });
    expect(plain.status).toBe(400);
    // The second configured token works too.
    const second = await TestBuilder.connect("second-builder-token");
    expect(await second.next()).toBe("forgeline-ready");
    second.close();
  });

  it("greets, polls idle builders with ayt, and lists them", async () => {
    const { b, id } = await builder();
    await hubAlarmNow();
    expect(await b.next()).toBe("ayt");
    b.send("ack");
    const listed = await json(call("/api/builders", { headers: { Accept: "application/json" } }));
    expect(listed.body.builders.find((x: Answer) => x.id === id)).toMatchObject({
      mode: "production",
      connected: true,
      state: "idle",
      job: null,
    });
    const html = await call("/api/builders", { headers: { Accept: "text/html" } });
    expect(html.headers.get("Content-Type")).toMatch(/text\/html/);
    expect(await html.text()).toContain(id);
  });

  it("hands a build over with ayt right before it, and records the outcome", async () => {
    const { b, id } = await builder();
    const { jobId, done } = submit("tag bytes\n");
    expect((await done).jobId).toBe(jobId);
    const job = await b.takeJob();
    expect(job).toMatchObject({ jobId, source: "example", repoUrl: "https://forge.test/o/p" });
    expect(new TextDecoder().decode(job.tag)).toBe("tag bytes\n");
    expect(await hub().status(jobId)).toMatchObject({ state: "building", builder: id });
    b.send("message building example 1.0");
    b.send("uploaded");
    const status = await eventually(async () => {
      const s = await hub().status(jobId);
      return s?.state === "done" && s;
    });
    expect(status).toMatchObject({ outcome: "uploaded", builder: id });
    expect(status.messages.map((m) => m.text)).toEqual(["building example 1.0"]);
    // Back to idle: the next build goes to it too.
    const second = submit();
    await second.done;
    expect((await b.takeJob()).jobId).toBe(second.jobId);
    b.send("irrecoverable");
    expect(await eventually(async () => (await hub().status(second.jobId))?.outcome ?? undefined)).toBe(
      "irrecoverable",
    );
  });

  it("gives testing builders no jobs until an admin allows it", async () => {
    const { b, id } = await builder("testing");
    const { jobId, done } = submit();
    expect((await done).state).toBe("queued");
    expect((await json(call("/api/builders"))).body.queued).toBe(1);
    // Unauthenticated, unknown builder, bad body.
    expect((await call(`/api/builders/${id}/allow-testing`, { method: "POST" })).status).toBe(401);
    expect((await admin(`/api/builders/nobody-${id}/allow-testing`, "POST")).status).toBe(404);
    expect((await admin(`/api/builders/${id}/allow-testing`, "POST", { allow: "yes" })).status).toBe(400);
    expect((await hub().status(jobId))?.state).toBe("queued");
    const allowed = await json(admin(`/api/builders/${id}/allow-testing`, "POST"));
    expect(allowed.body).toEqual({ builder: id, allowTesting: true });
    expect((await b.takeJob()).jobId).toBe(jobId);
    b.send("uploaded");
    await eventually(async () => (await hub().status(jobId))?.state === "done");
  });
});

describe("builder misbehaviour", () => {
  it("drops a builder that sends garbage, telling it why; other builds are not affected", async () => {
    const { b } = await builder();
    const { b: good } = await builder();
    b.send("hello there");
    expect(await b.next()).toMatch(/^protocol-violation unknown line/);
    expect((await b.waitClosed()).code).toBe(1008);
    const { jobId, done } = submit();
    await done;
    expect((await good.takeJob()).jobId).toBe(jobId);
    good.send("uploaded");
    await eventually(async () => (await hub().status(jobId))?.outcome === "uploaded");
  });

  it("drops a builder that speaks out of turn or the wrong version", async () => {
    const early = await TestBuilder.connect();
    open.push(early);
    expect(await early.next()).toBe("forgeline-ready");
    early.send("builder-id x1 production");
    expect(await early.next()).toBe("protocol-violation builder-id out of turn");
    const old = await TestBuilder.connect();
    open.push(old);
    await old.next();
    old.send("builder-version 2");
    expect(await old.next()).toMatch(/unsupported protocol version 2/);
    const binary = await TestBuilder.connect();
    open.push(binary);
    await binary.next();
    binary.send(new Uint8Array([1, 2, 3]));
    expect(await binary.next()).toBe("protocol-violation binary message from a builder");
    const { b } = await builder();
    b.send("ack");
    expect(await b.next()).toBe("protocol-violation ack without an ayt");
  });

  it("refuses a second connection with the same builder id", async () => {
    const { b, id } = await builder();
    const twin = await TestBuilder.connect();
    open.push(twin);
    await twin.next();
    twin.send("builder-version 1");
    twin.send(`builder-id ${id} production`);
    expect(await twin.next()).toBe(`protocol-violation builder ${id} is already connected`);
    expect(b.closed).toBeNull();
  });

  it("drops a builder that sends uploaded for a job it does not hold, and no job changes", async () => {
    const { b: holder } = await builder();
    const { jobId, done } = submit();
    await done;
    await holder.takeJob();
    const { b: liar } = await builder();
    liar.send("uploaded");
    expect(await liar.next()).toBe("protocol-violation uploaded for a job it does not hold");
    await liar.waitClosed();
    expect(await hub().status(jobId)).toMatchObject({ state: "building", outcome: null });
    holder.send("uploaded");
    await eventually(async () => (await hub().status(jobId))?.outcome === "uploaded");
  });

  it("makes the job irrecoverable when the builder disconnects mid-job", async () => {
    const { b, id } = await builder();
    const { jobId, done } = submit();
    await done;
    await b.takeJob();
    b.send("message starting");
    b.close();
    const status = await eventually(async () => {
      const s = await hub().status(jobId);
      return s?.state === "done" && s;
    });
    expect(status.outcome).toBe("irrecoverable");
    expect(status.reason).toContain(`connection to builder ${id} lost`);
  });

  it("makes the job irrecoverable when the builder sends garbage mid-job", async () => {
    const { b } = await builder();
    const { jobId, done } = submit();
    await done;
    await b.takeJob();
    b.send("uploaded-ish");
    expect(await b.next()).toMatch(/^protocol-violation/);
    expect(await eventually(async () => (await hub().status(jobId))?.reason ?? undefined)).toMatch(
      /protocol violation: unknown line/,
    );
  });

  it("drops a builder that misses its ack deadline; a build only offered goes back to the queue", async () => {
    const { b: slow } = await builder();
    const { jobId, done } = submit();
    await done;
    expect(await slow.next()).toBe("ayt"); // the offer; it never answers
    expect(await hub().status(jobId)).toMatchObject({ state: "offered" });
    await hubAlarmNow();
    expect(await slow.next()).toBe("protocol-violation ack deadline missed");
    await slow.waitClosed();
    expect(await hub().status(jobId)).toMatchObject({ state: "queued", builder: null });
    const { b: next } = await builder();
    expect((await next.takeJob()).jobId).toBe(jobId);
    next.send("uploaded");
    await eventually(async () => (await hub().status(jobId))?.outcome === "uploaded");
  });

  it("drops a builder that holds a build past the build deadline; the job ends irrecoverable", async () => {
    const { b } = await builder();
    const { jobId, done } = submit();
    await done;
    await b.takeJob();
    await hubAlarmNow();
    expect(await b.next()).toBe("protocol-violation build did not finish within 21600 s");
    expect(await hub().status(jobId)).toMatchObject({ state: "done", outcome: "irrecoverable" });
  });

  it("drops a connection that never greets", async () => {
    const mute = await TestBuilder.connect();
    open.push(mute);
    await mute.next();
    await hubAlarmNow();
    expect(await mute.next()).toBe("protocol-violation no greeting in time");
  });

  it("asks a builder to restart on an admin's request", async () => {
    const { b, id } = await builder();
    expect((await admin(`/api/builders/${id}/restart`, "POST")).status).toBe(200);
    expect(await b.next()).toBe("restart-builder");
    await b.waitClosed();
    expect((await admin(`/api/builders/${id}/restart`, "POST")).status).toBe(404);
  });
});
