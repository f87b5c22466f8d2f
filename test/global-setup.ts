// Vitest global setup (runs in Node): starts the loopback git server and hands its URL to the Workers pool.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
// @ts-expect-error: a plain ES module shared with the benchmarks
import { startGitServer } from "./git-server.mjs";

declare module "vitest" {
  interface ProvidedContext {
    gitServer: string;
  }
}

export default async function setup(project: TestProject) {
  try {
    execFileSync("git", ["--version"]);
  } catch {
    throw new Error("the tests need the git CLI on PATH (apt-get install git)");
  }
  const root = mkdtempSync(join(tmpdir(), "forgeline-git-"));
  const server = await startGitServer(root);
  project.provide("gitServer", server.url);
  return async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  };
}
