// Shared words of the registry room: registry event kinds, workflow kinds and their states, the stored-error
// format, and path prefixes. Plain data and functions, read by RepoObject, RegistryObject and WorkflowObject.

import type { Json } from "./job";

export type RegistryEventKind =
  | "repo_added"
  | "repo_removed"
  | "repo_move_accepted"
  | "repo_moved"
  | "repo_frozen"
  | "repo_unfrozen"
  | "repo_error_set"
  | "repo_error_cleared"
  /** A forge's repository event about a repo Forgeline does not know: logged, nothing else. */
  | "repo_unknown_event";

/** What a RepoObject (or the ingress) hands to its host's RegistryObject. */
export interface RegistryEntry {
  /** Id of the entry at its source (a repo event id, a delivery): the registry logs each source once. */
  source: string;
  kind: RegistryEventKind;
  /** The repo's id, or null for a repo Forgeline does not know. */
  repo: string | null;
  /** The repo's path on its forge (`owner/name`), after the event. */
  path: string;
  data: { [key: string]: Json };
}

export type WorkflowKind = "move-repo" | "freeze-repo" | "unfreeze-repo";

/** States of each workflow kind, in order; the last ones are final. */
export const WORKFLOW_STATES: Record<WorkflowKind, { states: string[]; final: string[] }> = {
  "move-repo": {
    states: ["started", "released", "acquired", "moved", "committed", "failed"],
    final: ["committed", "failed"],
  },
  "freeze-repo": { states: ["started", "completed", "failed"], final: ["completed", "failed"] },
  "unfreeze-repo": { states: ["started", "completed", "failed"], final: ["completed", "failed"] },
};

/** The workflow a repo is in now, as its RepoObject holds it. */
export interface RepoHold {
  workflow: string;
  kind: WorkflowKind;
  /** Jobs of the chain with a lower sequence number were there before the workflow and run first. */
  seq: number;
  /** The move's destination (canonical URL), for a move. */
  to?: string;
  /** Set once the workflow was told those jobs have ended. */
  ready?: boolean;
}

/** What the repo hands over when it starts a run. */
export interface WorkflowSpec {
  id: string;
  kind: WorkflowKind;
  repoId: string;
  /** Names the repo's RepoObject. */
  repoKey: string;
  from: string;
  to: string | null;
  by: string;
}

/** Observer errors: a weak one is stored after this many retries (the next weak report stores it). */
export const WEAK_RETRIES = 5;

const STORED_MAX = 120;

/** A repo's stored error: `"<RFC3339 UTC time> <message>"`, on one line, cut to 120 characters (117 + "..."). */
export function storedError(message: string, at: number): string {
  const line = `${new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z")} ${message.replace(/\s+/g, " ").trim()}`;
  return line.length <= STORED_MAX ? line : line.slice(0, STORED_MAX - 3) + "...";
}

/** A path prefix with exactly one trailing slash and none leading: `acme` and `acme//` are both `acme/`. */
export function normalizePrefix(prefix: string): string {
  const trimmed = prefix.trim().replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed ? `${trimmed}/` : "";
}

/** Whether a repo path lies under a normalized prefix (`acme/` holds `acme/x`, never `acme-corp/x`). */
export function underPrefix(path: string | null | undefined, prefix: string): boolean {
  if (typeof path !== "string") return false;
  return prefix === "" || `${path}/`.startsWith(prefix);
}
