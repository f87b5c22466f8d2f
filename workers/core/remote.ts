// Typed access to Durable Objects over RPC. The platform's own stub types expand recursively on
// JSON-shaped values; this mapping keeps each method's own signature, made async as RPC makes it.

export type Remote<T> = {
  [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: T[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/**
 * The object named `name` in `namespace`, seen through `Remote<T>`. `T` comes from the namespace's own type
 * (the generated Env types each binding with its class), so callers need not import the object's module.
 */
export function remote<T extends Rpc.DurableObjectBranded | undefined>(
  namespace: DurableObjectNamespace<T>,
  name: string,
): Remote<T> {
  return namespace.get(namespace.idFromName(name)) as unknown as Remote<T>;
}
