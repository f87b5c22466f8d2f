// Who may read what on the dashboard. Pages read through the API (read.ts), which applies its own rules; this is
// the one rule for the few repo-scoped rows pages read straight from D1 (the overview's error lists).

import type { Session } from "./context";

/**
 * Every repo is public today. When private repos land (issue 14), this answers whether `session` (signed in with
 * the admin token or a read token) may see the repo, and the overview drops the rows it may not.
 */
export function mayRead(_session: Session, _repo: { id: string | null; url: string }): boolean {
  return true;
}
