// The `publish` job kind: requested → started → converting → deploying → success | warnings | failed.
// A conversion that finds errors ends `failed` by its own move (with its build log); a strong error or an
// exhausted retry budget ends there too.

import { defineKind } from "../core/machine";

export const PUBLISH = "publish";

export const publishKind = defineKind({
  kind: PUBLISH,
  pipeline: PUBLISH,
  states: ["requested", "started", "converting", "deploying", "success", "warnings", "failed"],
  initial: "requested",
  final: ["success", "warnings", "failed"],
  transitions: {
    requested: ["started"],
    started: ["converting"],
    converting: ["deploying"],
    deploying: ["success", "warnings"],
  },
  failed: "failed",
  maxRetries: 5,
  heartbeatTimeoutMs: 5 * 60_000,
});
