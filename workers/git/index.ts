// The git layer: smart-HTTP transfers (refs, fetch, push) and packs, streamed in bounded memory.
// Our own rather than a JS git library's (isomorphic-git holds a fetched pack whole in memory): packs of any size
// must stream through a 128 MB isolate, parsed as they arrive, with delta bases spilled to R2.

export { GitError, isForgeDown, isMissing, toJobError, type GitErrorStrength } from "./errors";
export { tokenAuth, type GitAuth, type TransportOptions } from "./http";
export { listRefs, type RemoteRef, type RefListing, type ListRefsOptions, type GitService } from "./refs";
export { fetchPack, type FetchPackOptions } from "./fetch";
export { readPack, type PackReader, type PackedObject, type PackSpill, type ReadPackOptions } from "./pack-reader";
export {
  hashObject,
  parseCommit,
  parseTag,
  parseTree,
  parsePerson,
  serializeTree,
  type ObjectType,
  type Commit,
  type Tag,
  type TreeEntry,
  type Person,
  type GitHeader,
} from "./objects";
export { ZERO_OID } from "./bytes";
export { writePack, packEntry, type PackInput, type WritePackOptions } from "./pack-writer";
export { writePackIndex, readPackIndex, type IndexEntry, type PackIndex } from "./pack-index";
export { push, type PushOptions, type PushResult, type PushRefResult, type RefUpdate } from "./push";
export { r2Spill, storePack } from "./r2-pack";
