import type { z } from "zod";
import { AppError } from "./app-error";

/** "field.path: problem" for the first issue — what the 4xx answers say. */
export function describeIssue(err: z.ZodError, prefix = "body"): string {
  const i = err.issues[0]!;
  return `${[prefix, ...i.path].join(".")}: ${i.message}`;
}

/**
 * The one way input is checked against a schema: the parsed value, or a 400 naming the first
 * problem. `describe` is the field path's prefix ("body", "query") or a wording of its own.
 */
export function parse<T extends z.ZodType>(
  schema: T,
  input: unknown,
  describe: string | ((err: z.ZodError) => string) = "body",
): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success)
    throw new AppError(400, typeof describe === "string" ? describeIssue(r.error, describe) : describe(r.error));
  return r.data;
}
