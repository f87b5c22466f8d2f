// Input validation at the edge: zod schemas through Hono's validator, failures as 400 JSON errors.

import { validator } from "hono/validator";
import { z } from "zod";
import { badRequest, tooLarge } from "./errors";
import { MAX_API_BYTES } from "./limits";

export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "body"}: ${i.message}`)
    .join("; ");
}

/** Validates a JSON body (which must be JSON and at most MAX_API_BYTES). */
export function jsonBody<S extends z.ZodType>(schema: S) {
  return validator("json", async (_value, c) => {
    const type = c.req.header("Content-Type") ?? "";
    if (!/^application\/json\b/i.test(type)) throw badRequest("send a JSON body with Content-Type: application/json", "unsupported_media_type");
    const text = await c.req.text();
    if (text.length > MAX_API_BYTES) throw tooLarge(`body is over ${MAX_API_BYTES} bytes`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw badRequest("body is not valid JSON", "malformed_json");
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw badRequest(describeIssues(parsed.error), "invalid_input");
    return parsed.data as z.output<S>;
  });
}

export function queryOf<S extends z.ZodType>(schema: S) {
  return validator("query", (value, _c) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw badRequest(describeIssues(parsed.error), "invalid_query");
    return parsed.data as z.output<S>;
  });
}

/** An optional id in a query string; an empty value counts as absent. */
export function optionalId(check: (s: string) => boolean, message: string) {
  return z
    .string()
    .optional()
    .transform((s) => (s ? s : undefined))
    .refine((s) => s === undefined || check(s), { message });
}
