// D1 rows of the archive tables back into the plain model.

import type { archiveReleases, archiveRevisions, archiveVisits } from "../../schema";
import type { Release, ReleaseTargetType, Revision, Visit, VisitStatus } from "./model";

export function visitOfRow(row: typeof archiveVisits.$inferSelect, url: string): Visit {
  return {
    origin: url,
    visit: row.visit,
    type: "git",
    date: row.date,
    status: row.status as VisitStatus,
    statusDate: row.statusDate,
    snapshot: row.snapshot,
    jobId: row.jobId,
    error: row.error,
  };
}

export function revisionOfRow(r: typeof archiveRevisions.$inferSelect): Revision {
  return {
    id: r.id,
    directory: r.directory,
    parents: r.parents,
    author: { fullname: r.authorFullname, name: r.authorName, email: r.authorEmail },
    date: { seconds: r.dateSeconds, microseconds: r.dateMicroseconds, offsetBytes: r.dateOffset },
    committer: { fullname: r.committerFullname, name: r.committerName, email: r.committerEmail },
    committerDate: {
      seconds: r.committerDateSeconds,
      microseconds: r.committerDateMicroseconds,
      offsetBytes: r.committerDateOffset,
    },
    message: r.message,
    type: "git",
    synthetic: r.synthetic,
    extraHeaders: r.extraHeaders,
    rawManifest: r.rawManifest,
  };
}

export function releaseOfRow(r: typeof archiveReleases.$inferSelect): Release {
  return {
    id: r.id,
    name: r.name,
    target: r.target,
    targetType: r.targetType as ReleaseTargetType,
    author: r.authorFullname === null ? null : { fullname: r.authorFullname, name: r.authorName, email: r.authorEmail },
    date:
      r.dateSeconds === null
        ? null
        : { seconds: r.dateSeconds, microseconds: r.dateMicroseconds ?? 0, offsetBytes: r.dateOffset ?? "+0000" },
    message: r.message,
    synthetic: r.synthetic,
    rawManifest: r.rawManifest,
  };
}
