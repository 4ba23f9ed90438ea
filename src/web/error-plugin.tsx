import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { Logger } from "../log/logger";
import { ServiceError } from "../trading/service-error";
import { ErrorPage } from "../../views/auth-pages";
import { isApiPath } from "./auth-plugin";
import { requestId } from "./http";
import { htmlResponse } from "./html-response";

function json(status: number, message: string, details?: Record<string, unknown>): Response {
  return new Response(JSON.stringify({ success: false, message, ...details }), { status, headers: { "content-type": "application/json" } });
}

/**
 * One place turns failures into answers: a refusal keeps its message, a malformed body says
 * so, anything unexpected is logged with the request id and answered without internals.
 */
export function errorPlugin(logger: Logger) {
  return new Elysia({ name: "errors" }).onError({ as: "global" }, ({ code, error, request, path }) => {
    let status: number;
    let message: string;
    let details: Record<string, unknown> | undefined;
    if (error instanceof ServiceError) {
      status = error.status;
      message = error.message;
      details = error.details;
    } else if (code === "PARSE") {
      status = 400;
      message = "request body is not valid JSON or form data";
    } else if (code === "VALIDATION") {
      status = 400;
      message = error.message.split("\n")[0] ?? "invalid request";
    } else if (code === "NOT_FOUND") {
      status = 404;
      message = `no route ${request.method} ${path}`;
    } else {
      const rid = requestId(request);
      logger.error("http.error", { rid, method: request.method, path, code, error });
      status = 500;
      message = `internal error (request ${rid})`;
    }
    if (status < 500) logger.debug("http.refused", { rid: requestId(request), status, message });
    if (request.headers.get("hx-request")) {
      // An htmx request gets a fragment, not a whole page inside the page.
      return htmlResponse(<p class="alert alert-error" role="alert" safe>{message}</p>, status);
    }
    return isApiPath(path) || request.headers.get("accept")?.includes("application/json")
      ? json(status, message, details)
      : htmlResponse(<ErrorPage status={status} message={message} />, status);
  });
}
