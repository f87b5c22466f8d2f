// The slices of node:crypto and node:zlib (workerd's nodejs_compat) the git layer uses; @types/node is not in scope.
declare module "node:crypto" {
  interface Hash {
    update(data: Uint8Array): Hash;
    digest(): Uint8Array;
  }
  export function createHash(algorithm: string): Hash;
}
declare module "node:zlib" {
  export function inflateSync(
    data: Uint8Array,
    options: { info: true; maxOutputLength?: number },
  ): { buffer: Uint8Array; engine: { bytesWritten: number } };
  export function deflateSync(data: Uint8Array, options?: { level?: number }): Uint8Array;
}
