// Typed errors: AppError answers an HTTP request; JobError tells the job engine how a failure should end.

/** An error that becomes `{ error: { code, message } }` with its HTTP status. */
export class AppError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const badRequest = (message: string, code = "bad_request") => new AppError(400, code, message);
export const unauthorized = (message: string, code = "unauthorized") => new AppError(401, code, message);
export const forbidden = (message: string, code = "forbidden") => new AppError(403, code, message);
export const notFound = (message: string, code = "not_found") => new AppError(404, code, message);
export const conflict = (message: string, code = "conflict") => new AppError(409, code, message);
export const tooLarge = (message: string, code = "too_large") => new AppError(413, code, message);

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * How a job failure ends:
 * - weak: transient (network, 5xx, timeouts); retried with backoff, at most the kind's retry budget.
 * - strong: the job cannot succeed as asked; fails at once.
 * - not_found: the thing the job is about does not exist; ends without blame.
 * - not_for_us: the event is not meant for this pipeline; ends without blame.
 */
export type FailureStrength = "weak" | "strong" | "not_found" | "not_for_us";

export class JobError extends Error {
  constructor(
    readonly strength: FailureStrength,
    message: string,
    /** The state the job should end in, when the kind has a more precise one than its default. */
    readonly state?: string,
  ) {
    super(message);
    this.name = "JobError";
  }
}

export const weak = (message: string) => new JobError("weak", message);
export const strong = (message: string, state?: string) => new JobError("strong", message, state);
export const gone = (message: string, state?: string) => new JobError("not_found", message, state);
export const notForUs = (message: string, state?: string) => new JobError("not_for_us", message, state);

/** A short, single-line form of an error message, for summaries (repo error, job list). */
export function summarize(message: string, max = 120): string {
  const line = message.replace(/\s+/g, " ").trim();
  return line.length <= max ? line : line.slice(0, max - 1) + "…";
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}

/**
 * An answer across RPC: errors lose their class (and so their status) on the way, so a Durable Object
 * returns the refusal as data and the route turns it back into an AppError.
 */
export type Outcome<T> =
  { ok: true; value: T } | { ok: false; status: AppError["status"]; code: string; message: string };

export function refuse(err: AppError): Outcome<never> {
  return { ok: false, status: err.status, code: err.code, message: err.message };
}

export function unwrap<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new AppError(outcome.status, outcome.code, outcome.message);
  return outcome.value;
}
