import { z } from "zod";
import { edgeSchema, inputJsonSchema, jsonContent, parse } from "../shared/parse";
import { parseQuery } from "./params";

const OPTIONAL = "may be left out: a request without a body is read as `{}`";

/**
 * A JSON body checked where it arrives by the schema its service parses it with. A request
 * without a body is an empty object, as the services have always read it, so a missing body
 * is refused (or accepted) word for word as before.
 */
export const jsonBody = <S extends z.ZodType>(schema: S) =>
  edgeSchema(
    (input) => parse(schema, input ?? {}),
    // The document marks every body required; one that `{}` satisfies says it may be left out.
    () => ({ ...inputJsonSchema(schema), ...(schema.safeParse({}).success ? { description: OPTIONAL } : {}) }),
  );

/**
 * A query checked at the route as its handler checked it (parseQuery, unless the service has its
 * own wording). Given a query schema Elysia hands a repeated parameter over as a list; without one
 * it gave the last value, which is what the handlers always saw, so that is what is checked.
 */
export const queryOf = <S extends z.ZodType>(
  schema: S,
  parser: (query: unknown) => z.infer<S> = (query) => parseQuery(schema, query as Record<string, unknown>),
) =>
  edgeSchema(
    (query) => parser(lastValues(query)),
    () => inputJsonSchema(schema),
  );

function lastValues(query: unknown): unknown {
  if (!query || typeof query !== "object") return query;
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v.at(-1) : v]));
}

/** The v1 API's refusal (error-plugin builds it): a code to branch on, a message for the trader. */
export const refusal = z.object({
  success: z.literal(false),
  message: z.string().describe("in the trader's words; names the field when the input was wrong"),
  code: z.string().describe("machine-readable: invalid_input, not_found, conflict, no_price, …"),
});

const refused = (description: string, schema: z.ZodType = refusal) => ({ description, content: jsonContent(schema) });

/** OpenAPI responses of a v1 route (documentation only: answers are not checked on the way out). */
export function answers(ok: z.ZodType, description: string, more: Record<number, string> = {}) {
  return {
    200: { description, content: jsonContent(ok) },
    400: refused("invalid input: the message names the field; nothing changed"),
    ...Object.fromEntries(Object.entries(more).map(([status, text]) => [status, refused(text)])),
  };
}
