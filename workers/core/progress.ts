// A job's progress as its pipeline reports it (phase, done of total), and the record the JobObject keeps of it,
// from which anyone can read a rate and the time left. Plain data, so any pipeline can report the same way.

export interface ProgressReport {
  /** What the job is doing now, in the pipeline's words: `parsing`, `storing`, `uploading`, `building`. */
  phase: string;
  /** How much of the phase is done (objects, bytes, files); 0 for a phase that only has a start. */
  done: number;
  /** How much the phase has in all, when known. */
  total?: number | null;
  /** What `done` counts: `objects`, `bytes`, `files`. */
  unit?: string | null;
}

export interface JobProgress {
  phase: string;
  done: number;
  total: number | null;
  unit: string | null;
  /** When this report was made. */
  at: number;
  /** When the phase started, and how much was done then: rate = (done − sinceDone) / (at − since). */
  since: number;
  sinceDone: number;
}

const count = (n: unknown) => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0);

/** The next progress record: a new phase starts its own clock; numbers are made sane, names cut short. */
export function nextProgress(
  previous: JobProgress | null | undefined,
  report: ProgressReport,
  now: number,
): JobProgress {
  const phase = String(report.phase).slice(0, 80) || "working";
  const done = count(report.done);
  const total = report.total === null || report.total === undefined ? null : count(report.total);
  const same = previous && previous.phase === phase && done >= previous.sinceDone;
  return {
    phase,
    done,
    total,
    unit: report.unit ? String(report.unit).slice(0, 20) : null,
    at: now,
    since: same ? previous.since : now,
    sinceDone: same ? previous.sinceDone : done,
  };
}
