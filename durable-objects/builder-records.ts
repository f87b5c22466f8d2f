// What the builders hub keeps: the shape of a connection (a socket attachment), of a build and of a
// builder as the API shows them, and its SQLite tables.

import type { BuilderMode } from "../workers/core/builder-protocol";

/** Where one connection stands. Kept as the socket's attachment, so it survives hibernation. */
export interface Conn {
  conn: string;
  stage: "hello" | "version" | "idle" | "ayt" | "offer" | "job";
  builderId: string | null;
  mode: BuilderMode | null;
  jobId: string | null;
  connectedAt: number;
  /** When the current `ayt` (or the greeting) must be answered by; while building, the build deadline. */
  deadline: number | null;
  /** When an idle builder is next asked `ayt`. */
  nextPoll: number | null;
}

export interface BuildSubmission {
  jobId: string;
  source: string;
  repoUrl: string;
  tag: Uint8Array;
}

export type BuildState = "queued" | "offered" | "building" | "done";

export interface BuildStatus {
  jobId: string;
  state: BuildState;
  builder: string | null;
  outcome: "uploaded" | "irrecoverable" | null;
  reason: string | null;
  /** The builder's public messages, oldest first. */
  messages: { at: number; text: string }[];
}

export interface BuilderView {
  id: string;
  mode: BuilderMode | null;
  connected: boolean;
  state: "connecting" | "idle" | "offered" | "building" | "disconnected";
  job: string | null;
  allowTesting: boolean;
  connectedAt: number | null;
  lastSeenAt: number | null;
}

export const SCHEMA = `
  CREATE TABLE IF NOT EXISTS builds (
    job_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, source TEXT NOT NULL, repo_url TEXT NOT NULL, tag BLOB NOT NULL,
    state TEXT NOT NULL, builder TEXT, conn TEXT, outcome TEXT, reason TEXT, messages TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS builders (
    id TEXT PRIMARY KEY, mode TEXT, allow_testing INTEGER NOT NULL DEFAULT 0, last_seen INTEGER);`;

export const MAX_MESSAGES = 200;

/** A duration setting in seconds, with its default. */
export function seconds(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return (Number.isFinite(n) && n > 0 ? n : fallback) * 1000;
}
