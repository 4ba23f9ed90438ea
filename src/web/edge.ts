import { AppError } from "../shared/app-error";
import { Elysia } from "elysia";

/**
 * Checks every request gets before any route sees it, whatever the route: Postgres refuses a
 * NUL byte in text (a 500 deep inside a query), and a path segment with broken
 * percent-encoding reaches a handler as `null`. Both are the caller's mistake, so they are
 * answered here with a 400 naming the field, and nothing downstream has to think of them.
 */
const NUL = "\u0000";
const MAX_DEPTH = 20;

/** The first string under `value` holding a NUL byte, as a field path ("tp_levels.0.name"). */
export function nulField(value: unknown): string | undefined {
  const hit = nulPath(value, 0);
  return hit && (hit.length ? hit.join(".") : "body");
}

/** The path to the NUL, built only when there is one (every request's body is walked). */
function nulPath(value: unknown, depth: number): string[] | undefined {
  if (typeof value === "string") return value.includes(NUL) ? [] : undefined;
  if (!value || typeof value !== "object" || depth > MAX_DEPTH || value instanceof Blob) return undefined;
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k.includes(NUL)) return ["(key)"];
    const hit = nulPath(o[k], depth + 1);
    if (hit) {
      hit.unshift(k);
      return hit;
    }
  }
  return undefined;
}

/** A 400 for the first bad path parameter, query value or body string; undefined when all are fine. */
export function edgeProblem(
  params: Record<string, unknown> | undefined,
  query: Record<string, unknown> | undefined,
  body: unknown,
): string | undefined {
  for (const [name, v] of Object.entries(params ?? {})) {
    // Elysia hands a segment it could not percent-decode over as null.
    if (v === null) return `${name}: bad percent-encoding in the address`;
    if (typeof v === "string" && v.includes(NUL)) return `${name}: must not contain a NUL byte`;
  }
  const q = nulField(query);
  if (q) return `${q}: must not contain a NUL byte`;
  const b = nulField(body);
  if (b) return `${b}: must not contain a NUL byte`;
  return undefined;
}

export function edgePlugin() {
  return new Elysia({ name: "edge" }).onTransform({ as: "global" }, ({ params, query, body }) => {
    const problem = edgeProblem(params as Record<string, unknown>, query as Record<string, unknown>, body);
    if (problem) throw new AppError(400, problem);
  });
}
