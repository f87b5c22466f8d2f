// ForgeEvent: one webhook delivery, normalized across GitHub, Gitea, Forgejo, Gogs and GitLab.

export type ForgeFamily = "github" | "gitea" | "forgejo" | "gogs" | "gitlab";
export type ForgeEventKind = "push" | "tag_push" | "tag_delete" | "branch_delete" | "ping";

export const ZERO_ID = "0000000000000000000000000000000000000000";

export interface ForgeEvent {
  /** ULID given when the event was received. */
  id: string;
  /** The forge's delivery id (or a hash of the body when it sends none): redeliveries share it. */
  delivery: string;
  forge: ForgeFamily;
  host: string;
  kind: ForgeEventKind;
  repo: {
    url: string;
    cloneUrl: string;
    fullName: string;
    owner: string;
    name: string;
    defaultBranch: string | null;
    private: boolean;
  };
  /** Full ref name (`refs/heads/main`, `refs/tags/v1`). */
  ref: string | null;
  before: string | null;
  after: string | null;
  commits: ForgeCommit[];
  tag?: { name: string; objectId?: string; message?: string };
  pusher: string | null;
  /** ISO 8601. */
  receivedAt: string;
}

export interface ForgeCommit {
  id: string;
  message: string;
  url: string | null;
  timestamp: string | null;
  author: { name: string | null; email: string | null } | null;
}
