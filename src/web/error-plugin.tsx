import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { ZodError } from "zod";
import type { Logger } from "../log/logger";
import { FencedError } from "../persistence/shard-leases";
import { AppError, type AppErrorCode } from "../shared/app-error";
import { FixedPointError } from "../shared/fixed-point";
import { describeIssue } from "../shared/parse";
import { ErrorPage } from "../../views/auth-pages";
import { isApiPath } from "./auth-plugin";
import { requestId } from "./http";
import { htmlResponse } from "./html-response";

/** The original Flask API's routes answer byte for byte as it did: `{success, message}` and nothing more. */
const ORIGINAL_API = /^\/api\/(place_order|get_active_orders|clear_trade|save_tp_levels?|get_tp_levels)(\/|$)/;

function json(path: string, r: Refusal): Response {
  const code = ORIGINAL_API.test(path) ? {} : { code: r.code };
  return new Response(JSON.stringify({ success: false, message: r.message, ...code, ...r.details }), {
    status: r.status,
    headers: { "content-type": "application/json" },
  });
}

interface Refusal {
  status: number;
  /** Machine-readable: what a client branches on (the message is for the trader). */
  code: AppErrorCode | "internal";
  message: string;
  details?: Record<string, unknown>;
}

const invalid = (message: string): Refusal => ({ status: 400, code: "invalid_input", message });

/** A failure the caller caused, in their words; undefined for anything unexpected. */
function refusal(error: unknown, code: unknown, request: Request, path: string): Refusal | undefined {
  if (error instanceof AppError)
    return { status: error.status, code: error.code, message: error.message, details: error.details };
  // A schema parsed by a service, or a price with too many decimals: the input was wrong.
  if (error instanceof ZodError) return invalid(describeIssue(error, "input"));
  if (error instanceof FixedPointError) return invalid(error.message);
  // The account moved to another instance while this request ran: nothing was written; a retry reaches the new owner.
  if (error instanceof FencedError)
    return { status: 503, code: "account_moved", message: `${error.message}; try again` };
  if (code === "PARSE") return invalid("request body is not valid JSON or form data");
  if (code === "VALIDATION") {
    // A route's schema (shared/parse edgeSchema) refuses in the service's words: its one issue's message.
    const custom = (error as { customError?: unknown }).customError;
    return invalid(
      typeof custom === "string" ? custom : ((error as Error).message.split("\n")[0] ?? "invalid request"),
    );
  }
  if (code === "NOT_FOUND") return { status: 404, code: "not_found", message: `no route ${request.method} ${path}` };
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
  // A hook that refuses before the route runs throws its answer ready-made (auth-plugin's CSRF check).
  if (error instanceof Response) return error;
  const rid = requestId(request);
  let r = refusal(error, code, request, path);
  if (r) logger.debug("http.refused", { rid, status: r.status, message: r.message });
  else {
    logger.error("http.error", { rid, method: request.method, path, code, error });
    r = { status: 500, code: "internal", message: `internal error (request ${rid})` };
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
    ? json(path, r)
    : htmlResponse(<ErrorPage status={r.status} message={r.message} />, r.status);
}

export function errorPlugin(logger: Logger) {
  return new Elysia({ name: "errors" }).onError({ as: "global" }, ({ code, error, request, path }) =>
    errorResponse(logger, request, error, code, path),
  );
}
