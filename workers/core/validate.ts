// Input validation at the edge: zod schemas through @hono/zod-validator, bodies bounded by Hono's bodyLimit;
// every failure answers in the API's error shape (400 invalid_input / invalid_query / malformed_json, 413).

import type { Context, MiddlewareHandler } from "hono";
import { zValidator } from "@hono/zod-validator";
import { every } from "hono/combine";
import { z } from "zod";
import { badRequest } from "./errors";
import { limitBody, MAX_API_BYTES } from "./limits";

/** The first few problems zod found, each as `path: message`. */
export function describeIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "body"}: ${i.message}`)
    .join("; ");
}

const isJsonType = (type: string | undefined) =>
  /^application\/([\w.-]+\+)?json$/i.test((type ?? "").split(";")[0]!.trim());

function failAs(code: string) {
  return (result: { success: boolean; error?: Parameters<typeof describeIssues>[0] }) => {
    if (!result.success) throw badRequest(describeIssues(result.error!), code);
  };
}

/**
 * zod-validator behind a guard that answers, in our words, what it leaves to Hono's validator: a body not
 * declared JSON (Hono would validate `{}` in its place) or one that does not parse (Hono's own 400).
 * `optional`: a request without a body is validated as `{}`.
 */
function jsonValidator<S extends z.ZodType>(schema: S, optional: boolean) {
  const validate = zValidator("json", schema, failAs("invalid_input"));
  const guard: MiddlewareHandler = async (c, next) => {
    const declared = isJsonType(c.req.header("Content-Type"));
    const unsupported = () =>
      badRequest("send a JSON body with Content-Type: application/json", "unsupported_media_type");
    if (!declared && !optional) throw unsupported();
    const text = await c.req.text(); // bounded by limitBody first; Hono keeps it for the validator
    if (optional && !text.trim()) {
      const parsed = schema.safeParse({});
      failAs("invalid_input")(parsed);
      c.req.addValidatedData("json", parsed.data as object);
      return next();
    }
    if (!declared) throw unsupported();
    try {
      JSON.parse(text);
    } catch {
      throw badRequest("body is not valid JSON", "malformed_json");
    }
    return validate(c, next);
  };
  // `every` runs the limit, then the guard; the validator's input and output types survive only through this cast.
  return every(limitBody(MAX_API_BYTES), guard) as typeof validate;
}

/** Validates a JSON body (which must be declared JSON and be at most MAX_API_BYTES): `c.req.valid("json")`. */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return jsonValidator(schema, false);
}

/** As jsonBody, where the body may also be left out (then the schema sees `{}`). */
export function optionalJsonBody<S extends z.ZodType>(schema: S) {
  return jsonValidator(schema, true);
}

/** Validates the query string: `c.req.valid("query")`. */
export function queryOf<S extends z.ZodType>(schema: S) {
  return zValidator("query", schema, failAs("invalid_query"));
}

/**
 * The query string checked against `schema` inside a handler: the same values and the same errors as queryOf,
 * for routes where a middleware cannot be typed or placed (a path pair, one route serving several actions).
 */
export function queryIn<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const value = Object.fromEntries(Object.entries(c.req.queries()).map(([k, v]) => [k, v.length === 1 ? v[0] : v]));
  const parsed = schema.safeParse(value);
  failAs("invalid_query")(parsed);
  return parsed.data as z.output<S>;
}

/** An optional id in a query string; an empty value counts as absent. */
export function optionalId(check: (s: string) => boolean, message: string) {
  return z
    .string()
    .optional()
    .transform((s) => (s ? s : undefined))
    .refine((s) => s === undefined || check(s), { message });
}

/**
 * A whole number in a query string within [min, max]; absent or empty is `fallback` (or undefined without one).
 * Digits only, so `1e3`, `0x10`, ` 5` and `-1` are refused rather than read some way.
 */
export function wholeNumber(min: number, max: number): z.ZodType<number | undefined>;
export function wholeNumber(min: number, max: number, fallback: number): z.ZodType<number>;
export function wholeNumber(min: number, max: number, fallback?: number): z.ZodType<number | undefined> {
  const range = `must be between ${min} and ${max}`;
  return z
    .string()
    .regex(/^\d{1,15}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().min(min, range).max(max, range))
    .optional()
    .or(z.literal("").transform(() => undefined))
    .transform((n) => n ?? fallback);
}
