// build_log.json, with the fields tX wrote (so tools that read tX's logs read ours), and the build's status rule.

export type BuildStatus = "success" | "warnings" | "failed";

export interface BuildLog {
  job_id: string;
  identifier: string;
  repo_owner: string;
  repo_name: string;
  commit_id: string;
  commit_message: string;
  commit_url: string;
  committed_by: string;
  compare_url: string;
  created_at: string;
  started_at: string;
  ended_at: string | null;
  status: BuildStatus | "requested" | "started" | "converting" | "deploying";
  success: boolean;
  message: string;
  convert_module: string;
  input_format: string;
  output_format: string;
  resource_type: string;
  log: string[];
  warnings: string[];
  errors: string[];
  /** Beyond tX: how many pages were converted, and how many were reused from an earlier build's cache. */
  files_converted: number;
  files_reused: number;
}

/** `failed` if any error, else `warnings` if any warning, else `success`. */
export function buildStatus(errors: string[], warnings: string[]): BuildStatus {
  return errors.length ? "failed" : warnings.length ? "warnings" : "success";
}

export function statusMessage(status: BuildStatus, errors: string[]): string {
  if (status === "failed")
    return errors.some((e) => e.startsWith("No converter was found")) ? "No converter found" : "Conversion failed";
  return status === "warnings" ? "Conversion successful with warnings" : "Conversion successful";
}

/** One build as project.json lists it. */
export interface ProjectBuild {
  id: string;
  created_at: string;
  started_at: string;
  ended_at: string | null;
  status: string;
  success: boolean;
  commit_id: string;
  ref: string;
}
