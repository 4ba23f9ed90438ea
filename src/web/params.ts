import { AppError } from "../shared/app-error";
import { parse } from "../shared/parse";
import { z } from "zod";

/**
 * Query-string values, checked before they reach a query: a count that is not a whole number
 * or a time that is not a time would otherwise fail inside the database or `toISOString`.
 */
export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,9}$/, `a whole number between ${min} and ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `a whole number between ${min} and ${max}`);

/** 1970 to 2100: anything outside is a typo, and JavaScript dates end in 275760 anyway. */
export const MAX_TIME_MS = Date.UTC(2100, 0, 1);
const TIME_WORDS = "a time as epoch milliseconds or ISO-8601 (2026-03-02 or 2026-03-02T14:30:00Z)";

/** Epoch milliseconds, an ISO-8601 date (midnight UTC) or date-time with offset. */
export const timeParam = z
  .string()
  .trim()
  .transform((s, ctx) => {
    let ms = Number.NaN;
    if (/^\d{1,13}$/.test(s)) ms = Number(s);
    else if (z.iso.datetime({ offset: true }).safeParse(s).success) ms = Date.parse(s);
    else if (isDay(s)) ms = Date.parse(`${s}T00:00:00Z`);
    if (!(ms >= 0 && ms <= MAX_TIME_MS)) {
      ctx.addIssue({ code: "custom", message: TIME_WORDS });
      return z.NEVER;
    }
    return ms;
  });

/** A real calendar day written YYYY-MM-DD (2026-13-45 is not one). */
export function isDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s && d.getTime() <= MAX_TIME_MS;
}

/** A repeated parameter (?a=1&a=2) counts as its first value. */
function firsts(query: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(query).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]));
}

/** Parses a query; a refusal names the parameter: "limit: a whole number between 1 and 1000". */
export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, unknown> | undefined): z.infer<T> {
  return parse(schema, firsts(query ?? {}), (e) => {
    const i = e.issues[0]!;
    return `${i.path.length ? i.path.join(".") : "query"}: ${i.message}`;
  });
}

/** A form posted without a body (or not as a form) is an empty form: every field is missing. */
export function formOf(body: unknown): Record<string, unknown> {
  return body && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The version a form was rendered at: absent, or a whole number (a stale one is a 409 later). */
export function formVersion(v: string | undefined, field: string): number | undefined {
  if (v === undefined || v === "") return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new AppError(400, `${field}: a whole number`);
  return Number(v);
}
