import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { ZodError } from "zod";
import type { Logger } from "../log/logger";
import { FencedError } from "../persistence/shard-leases";
import { FixedPointError } from "../shared/fixed-point";
import { describeIssue } from "../trading/schemas";
import { ServiceError } from "../trading/service-error";
import { ErrorPage } from "../../views/auth-pages";
import { isApiPath } from "./auth-plugin";
import { requestId } from "./http";
import { htmlResponse } from "./html-response";

function json(status: number, message: string, details?: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ success: false, message, ...details }), {
    status,
    headers: { "content-type": "application/json" },
  });
}

interface Refusal {
  status: number;
  message: string;
  details?: Record<string, unknown>;
}

/** A failure the caller caused, in their words; undefined for anything unexpected. */
function refusal(error: unknown, code: unknown, request: Request, path: string): Refusal | undefined {
  if (error instanceof ServiceError) return { status: error.status, message: error.message, details: error.details };
  // A schema parsed by a service, or a price with too many decimals: the input was wrong.
  if (error instanceof ZodError) return { status: 400, message: describeIssue(error, "input") };
  if (error instanceof FixedPointError) return { status: 400, message: error.message };
  // The account moved to another instance while this request ran: nothing was written; a retry reaches the new owner.
  if (error instanceof FencedError) return { status: 503, message: `${error.message}; try again` };
  if (code === "PARSE") return { status: 400, message: "request body is not valid JSON or form data" };
  if (code === "VALIDATION")
    return { status: 400, message: (error as Error).message.split("\n")[0] ?? "invalid request" };
  if (code === "NOT_FOUND") return { status: 404, message: `no route ${request.method} ${path}` };
  return undefined;
}

export function pathOf(request: Request): string {
  try {
    return new URL(request.url).pathname;
  } catch {
    return request.url.split("?")[0] ?? "/";
  }
}

/**
 * The one error mapper: a refusal keeps its message and status, anything else is logged with
 * the request id and answered 500 without internals. Pages get an error page, htmx a fragment,
 * the API JSON. Used by Elysia's onError and by the outermost fetch wrapper alike.
 */
export function errorResponse(
  logger: Logger,
  request: Request,
  error: unknown,
  code?: unknown,
  path = pathOf(request),
): Promise<Response> | Response {
  const rid = requestId(request);
  let r = refusal(error, code, request, path);
  if (r) logger.debug("http.refused", { rid, status: r.status, message: r.message });
  else {
    logger.error("http.error", { rid, method: request.method, path, code, error });
    r = { status: 500, message: `internal error (request ${rid})` };
  }
  if (request.headers.get("hx-request")) {
    // An htmx request gets a fragment, not a whole page inside the page.
    return htmlResponse(
      <p class="alert alert-error" role="alert" safe>
        {r.message}
      </p>,
      r.status,
    );
  }
  return isApiPath(path) || request.headers.get("accept")?.includes("application/json")
    ? json(r.status, r.message, r.details)
    : htmlResponse(<ErrorPage status={r.status} message={r.message} />, r.status);
}

export function errorPlugin(logger: Logger) {
  return new Elysia({ name: "errors" }).onError({ as: "global" }, ({ code, error, request, path }) =>
    errorResponse(logger, request, error, code, path),
  );
}
