// GitError: how a git transfer failed (gone / weak / strong), and its mapping onto the job engine's JobError.

import { JobError } from "../core/errors";

/**
 * - gone: the repo or ref does not exist for us (HTTP 401/403/404/410, "not a git repository").
 * - weak: the forge is down or the transfer broke (refused, timeout, 5xx, stream cut); retrying may help.
 * - strong: bad data or a protocol violation (corrupt pack, id mismatch); retrying will not help.
 */
export type GitErrorStrength = "weak" | "strong" | "gone";

export class GitError extends Error {
  constructor(
    readonly strength: GitErrorStrength,
    /** A short machine-readable cause, e.g. "not_found", "server_error", "stream_cut", "corrupt_pack". */
    readonly reason: string,
    message: string,
    /** The HTTP status, when the failure was an HTTP answer. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "GitError";
  }
}

export const gitWeak = (reason: string, message: string, status?: number) =>
  new GitError("weak", reason, message, status);
export const gitStrong = (reason: string, message: string, status?: number) =>
  new GitError("strong", reason, message, status);
export const gitGone = (reason: string, message: string, status?: number) =>
  new GitError("gone", reason, message, status);

/** True when the error says the forge is unreachable or failing (worth a retry later). */
export function isForgeDown(err: unknown): boolean {
  return err instanceof GitError && err.strength === "weak";
}

/** True when the error says the repository or ref does not exist (or is not ours to read). */
export function isMissing(err: unknown): boolean {
  return err instanceof GitError && err.strength === "gone";
}

/** The job engine's view of a git failure: gone → not_found, weak → weak, strong → strong; other errors pass. */
export function toJobError(err: unknown): unknown {
  if (!(err instanceof GitError)) return err;
  return new JobError(err.strength === "gone" ? "not_found" : err.strength, err.message);
}

/** Messages from a remote that mean "no such repository" rather than a failure. */
const GONE_TEXT = /not a git repository|repository not found|does not exist|no such repo|not found/i;

/** Classifies a remote's own error text (ERR packet, fatal side-band message). */
export function remoteError(text: string, otherwise: GitErrorStrength): GitError {
  const message = `remote: ${text.trim().slice(0, 500)}`;
  if (GONE_TEXT.test(text)) return gitGone("not_found", message);
  return new GitError(otherwise, "remote_error", message);
}
