// What one step of a visit may spend (objects, subrequests, CPU time) and what it has spent: the D1 and R2
// bindings the step uses are the real ones behind a counter, so the budget counts every call actually made.

import type { ArchiveEnv } from "./store";

export interface StepBudget {
  /** Objects parsed or stored per step. */
  objects: number;
  /** R2 operations + D1 statements + fetches per step (paid plan: 10,000 subrequests, 1,000 D1 queries). */
  subrequests: number;
  /** Wall time per step, an upper bound of its CPU time (the Worker's `limits.cpu_ms` must stay above it). */
  cpuMs: number;
}

/** Safely inside the paid plan: under 1,000 subrequests (D1 queries are capped at 1,000 a invocation too). */
export const DEFAULT_STEP_BUDGET: StepBudget = { objects: 200_000, subrequests: 900, cpuMs: 20_000 };

export interface StepSettings {
  ARCHIVE_STEP_OBJECTS?: string;
  ARCHIVE_STEP_SUBREQUESTS?: string;
  ARCHIVE_STEP_CPU_MS?: string;
}

/** The deployment's budget (settings, else defaults), lowered by a repo's own where it has one. */
export function stepBudget(env: StepSettings, own: Partial<StepBudget> = {}): StepBudget {
  const setting = (text: string | undefined, fallback: number) => {
    const n = Number(text);
    return text && Number.isInteger(n) && n > 0 ? n : fallback;
  };
  const deployment = {
    objects: setting(env.ARCHIVE_STEP_OBJECTS, DEFAULT_STEP_BUDGET.objects),
    subrequests: setting(env.ARCHIVE_STEP_SUBREQUESTS, DEFAULT_STEP_BUDGET.subrequests),
    cpuMs: setting(env.ARCHIVE_STEP_CPU_MS, DEFAULT_STEP_BUDGET.cpuMs),
  };
  return {
    objects: Math.min(deployment.objects, own.objects ?? Infinity),
    subrequests: Math.min(deployment.subrequests, own.subrequests ?? Infinity),
    cpuMs: Math.min(deployment.cpuMs, own.cpuMs ?? Infinity),
  };
}

/** Counts one step's work; `spent` says when the step should stop at its next clean point. */
export class StepMeter {
  objects = 0;
  subrequests = 0;
  r2Writes = 0;
  d1Statements = 0;
  readonly started = Date.now();

  constructor(readonly budget: StepBudget) {}

  get elapsedMs(): number {
    return Date.now() - this.started;
  }

  /** True once a budget is reached, keeping `reserve` subrequests for what the step must still write to end. */
  spent(reserve = 0): boolean {
    return (
      this.objects >= this.budget.objects ||
      this.subrequests + reserve >= this.budget.subrequests ||
      this.elapsedMs >= this.budget.cpuMs
    );
  }

  fetched(n = 1): void {
    this.subrequests += n;
  }

  /** `env` with DB and ARCHIVE counted by this meter (everything else as it is). */
  wrap<E extends ArchiveEnv>(env: E): E {
    return { ...env, DB: meteredDatabase(env.DB, this), ARCHIVE: meteredBucket(env.ARCHIVE, this) };
  }
}

const R2_WRITES = new Set(["put", "createMultipartUpload", "uploadPart", "complete"]);

function meteredBucket(bucket: R2Bucket, meter: StepMeter): R2Bucket {
  const count = (name: string) => {
    meter.subrequests += 1;
    if (R2_WRITES.has(name)) meter.r2Writes += 1;
  };
  const upload = (u: R2MultipartUpload): R2MultipartUpload => methodsCounted(u, (name) => count(name));
  return methodsCounted(
    bucket,
    (name) => count(name),
    (name, out) => {
      if (name === "createMultipartUpload") return (out as Promise<R2MultipartUpload>).then(upload);
      if (name === "resumeMultipartUpload") return upload(out as R2MultipartUpload);
      return out;
    },
    new Set(["resumeMultipartUpload"]),
  );
}

function meteredDatabase(db: D1Database, meter: StepMeter): D1Database {
  const real = new WeakMap<object, D1PreparedStatement>();
  const statement = (s: D1PreparedStatement): D1PreparedStatement => {
    const wrapped = methodsCounted(
      s,
      () => {
        meter.subrequests += 1;
        meter.d1Statements += 1;
      },
      (name, out) => (name === "bind" ? statement(out as D1PreparedStatement) : out),
      new Set(["bind"]),
    );
    real.set(wrapped, s);
    return wrapped;
  };
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (sql: string) => statement(value.call(target, sql));
      if (prop === "batch")
        return (statements: D1PreparedStatement[]) => {
          // D1 counts each statement of a batch as a query against the invocation's limit.
          meter.subrequests += statements.length;
          meter.d1Statements += statements.length;
          return value.call(
            target,
            statements.map((s) => real.get(s) ?? s),
          );
        };
      return (...args: unknown[]) => {
        meter.subrequests += 1;
        meter.d1Statements += 1;
        return value.apply(target, args);
      };
    },
  });
}

/** `target` with each method call counted (except `free` ones) and its result passed through `after`. */
function methodsCounted<T extends object>(
  target: T,
  count: (name: string) => void,
  after: (name: string, out: unknown) => unknown = (_, out) => out,
  free: Set<string> = new Set(),
): T {
  return new Proxy(target, {
    get(t, prop) {
      const value = Reflect.get(t, prop, t);
      if (typeof value !== "function") return value;
      const name = String(prop);
      return (...args: unknown[]) => {
        if (!free.has(name)) count(name);
        return after(name, value.apply(t, args));
      };
    },
  });
}
