// The slice of node:zlib (workerd's nodejs_compat, native zlib) content packs use; @types/node is not in scope.
declare module "node:zlib" {
  export function deflateRawSync(data: Uint8Array, options?: { level?: number }): Uint8Array;
  export function inflateRawSync(data: Uint8Array): Uint8Array;
}
