import { z } from "zod";
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

/** A Standard Schema (v1, with its JSON Schema): what a router validates a request part with. */
export interface EdgeSchema<T> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: "trading-app";
    readonly validate: (value: unknown) => { value: T; issues?: undefined } | { issues: { message: string }[] };
    readonly types?: { readonly input: unknown; readonly output: T };
    readonly jsonSchema: {
      readonly input: (options?: unknown) => Record<string, unknown>;
      readonly output: (options?: unknown) => Record<string, unknown>;
    };
  };
}

/** A schema's JSON Schema as the request is written (before transforms), for API documents. */
export const inputJsonSchema = (schema: z.ZodType): Record<string, unknown> =>
  z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;

/** An OpenAPI `content` of a JSON body or answer, from its schema. */
export const jsonContent = (schema: z.ZodType) => ({ "application/json": { schema: inputJsonSchema(schema) } });

/**
 * A request part checked where it arrives, by the same parser the service would use, so a
 * refusal reads exactly as it did: one issue, its message the whole answer (field path included).
 * Only a 400 is a validation failure; anything else the parser throws stays what it is.
 */
export function edgeSchema<T>(parser: (input: unknown) => T, json: () => Record<string, unknown>): EdgeSchema<T> {
  return {
    "~standard": {
      version: 1,
      vendor: "trading-app",
      validate(value) {
        try {
          return { value: parser(value) };
        } catch (err) {
          if (err instanceof AppError && err.status === 400) return { issues: [{ message: err.message }] };
          throw err;
        }
      },
      jsonSchema: { input: json, output: json },
    },
  };
}

/** edgeSchema over one zod schema and the wording of its refusals (see parse). */
export const edgeZod = <S extends z.ZodType>(
  schema: S,
  describe: string | ((err: z.ZodError) => string) = "body",
): EdgeSchema<z.infer<S>> =>
  edgeSchema(
    (input) => parse(schema, input, describe),
    () => inputJsonSchema(schema),
  );

/**
 * A query schema as OpenAPI parameters, for routes that check their query in the handler
 * (where a path problem must be reported first): the document still lists each one.
 */
export function queryParameters(schema: z.ZodObject) {
  const json = inputJsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: "query" as const,
    required: json.required?.includes(name) ?? false,
    schema: s as Record<string, unknown>,
  }));
}
