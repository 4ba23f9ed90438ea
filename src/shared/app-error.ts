/** The statuses a refusal may carry: what the caller can act on (a 5xx other than these is a bug). */
export type AppErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502 | 503;

/** Machine-readable kinds of refusal: a client branches on these, never on the message text. */
export type AppErrorCode =
  | "invalid_input"
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "too_large"
  | "unprocessable"
  | "rate_limited"
  | "upstream_failed"
  | "unavailable"
  | "account_moved"
  | "no_price"
  | "replay_ended"
  | "risk_limit";

const BY_STATUS: Record<AppErrorStatus, AppErrorCode> = {
  400: "invalid_input",
  401: "unauthenticated",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "too_large",
  422: "unprocessable",
  429: "rate_limited",
  502: "upstream_failed",
  503: "unavailable",
};

/** The code a refusal of this status has when nothing more precise is known. */
export const codeOfStatus = (status: number): AppErrorCode => BY_STATUS[status as AppErrorStatus] ?? "invalid_input";

/**
 * A refusal a caller can act on: a code for programs, a status for HTTP and a message in the
 * trader's words, shown as is. The web layer maps it to an answer in one place (error-plugin).
 */
export class AppError extends Error {
  override name = "AppError";
  readonly code: AppErrorCode;
  constructor(
    readonly status: AppErrorStatus,
    message: string,
    readonly details?: Record<string, unknown>,
    code?: AppErrorCode,
  ) {
    super(message);
    this.code = code ?? codeOfStatus(status);
  }
}
