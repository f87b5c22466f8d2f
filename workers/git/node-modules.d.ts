// The slice of node:crypto (workerd's nodejs_compat) the git layer uses; @types/node is not in scope.
declare module "node:crypto" {
  interface Hash {
    update(data: Uint8Array): Hash;
    digest(): Uint8Array;
  }
  export function createHash(algorithm: string): Hash;
}
