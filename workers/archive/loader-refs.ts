// From a remote's ref listing to a snapshot's branches: which refs an archive keeps, which targets are
// new (and must be fetched), and how symbolic refs become aliases. Plain functions over plain data.

import type { ObjectType, RemoteRef } from "../git";
import type { Branch, BranchTargetType as TargetType } from "./model";

/** A snapshot's branches by name; null is a dangling branch (an alias that points nowhere). */
export type Branches = Record<string, Branch>;

/** Refs a forge makes up for its own bookkeeping, not part of the repository's history. */
const DROPPED: RegExp[] = [
  /^refs\/pull\/[^/]+\/merge$/,
  /^refs\/merge-requests\/[^/]+\/merge$/,
  /^refs\/pipelines\//,
  /^refs\/changes\//,
];

/** Whether the archive keeps a ref: not a peeled `^{}` name, not a forge's synthetic merge/CI ref. */
export function keepsRef(name: string): boolean {
  if (name.endsWith("^{}")) return false;
  return !DROPPED.some((re) => re.test(name));
}

export interface KeptRefs {
  /** Refs that name an object, by name. */
  direct: Map<string, string>;
  /** Symbolic refs (HEAD), by name, with the ref they point to. */
  aliases: Map<string, string>;
}

/**
 * The refs worth archiving. A symbolic ref becomes an alias to its target name when the listing says
 * which ref it points to; without that (old servers), it is kept as a direct ref to its object.
 */
export function keptRefs(refs: readonly RemoteRef[]): KeptRefs {
  const direct = new Map<string, string>();
  const aliases = new Map<string, string>();
  for (const ref of refs) {
    if (!keepsRef(ref.name)) continue;
    if (ref.symref && keepsRef(ref.symref) && ref.symref !== ref.name) aliases.set(ref.name, ref.symref);
    else if (/^[0-9a-f]{40}$/.test(ref.oid)) direct.set(ref.name, ref.oid);
  }
  return { direct, aliases };
}

/** Every distinct object the kept refs point to. */
export function refTargets(kept: KeptRefs): string[] {
  return [...new Set(kept.direct.values())];
}

/** Revision and release targets of a snapshot: what a fetch can offer as haves. */
export function snapshotHaves(branches: Branches | null | undefined): string[] {
  const out = new Set<string>();
  for (const b of Object.values(branches ?? {}))
    if (b && (b.targetType === "revision" || b.targetType === "release")) out.add(b.target);
  return [...out];
}

/** Every object target of a snapshot with its type. */
export function snapshotTargets(branches: Branches | null | undefined): Map<string, TargetType> {
  const out = new Map<string, TargetType>();
  for (const b of Object.values(branches ?? {})) if (b && b.targetType !== "alias") out.set(b.target, b.targetType);
  return out;
}

export type { TargetType };

export function targetTypeOf(type: ObjectType): TargetType {
  switch (type) {
    case "blob":
      return "content";
    case "tree":
      return "directory";
    case "commit":
      return "revision";
    case "tag":
      return "release";
  }
}

/**
 * The snapshot's branches: each direct ref with its target's type (which must be known by now), each
 * alias to its target name, or dangling when that name is not among the branches.
 */
export function branchesOf(kept: KeptRefs, typeOf: (oid: string) => TargetType | undefined): Branches {
  const branches: Branches = {};
  for (const [name, oid] of kept.direct) {
    const type = typeOf(oid);
    if (!type) throw new Error(`ref ${name} points to ${oid}, which is neither in the fetched pack nor in the archive`);
    branches[name] = { target: oid, targetType: type };
  }
  for (const [name, target] of kept.aliases) {
    branches[name] = kept.direct.has(target) || kept.aliases.has(target) ? { target, targetType: "alias" } : null;
  }
  return branches;
}
