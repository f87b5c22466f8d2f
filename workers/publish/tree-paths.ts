// Path safety for a fetched tree: names that would leave the site's folder, and symlinks that point out of the tree.

import { joinPath } from "./markdown";

/** Why a tree entry's name is refused, or null. git itself refuses most of these, but a crafted tree need not. */
export function badEntryName(name: string): string | null {
  if (name === "" || name === "." || name === "..") return `a path component named "${name}"`;
  if (name.includes("/") || name.includes("\\")) return `a name containing a slash ("${name}")`;
  if (name.includes("\0")) return "a name containing a NUL byte";
  return null;
}

/** Why a symlink at `path` pointing to `target` is refused (absolute, or climbing out of the tree), or null. */
export function badSymlink(path: string, target: string): string | null {
  if (target.startsWith("/") || /^[a-zA-Z]:[\\/]/.test(target))
    return `symlink ${path} points to an absolute path (${target})`;
  if (joinPath(path, target) === null) return `symlink ${path} points out of the tree (${target})`;
  return null;
}
