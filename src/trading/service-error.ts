/** A refusal a caller can act on; the HTTP layer maps `status` and shows `message` as is. */
export class ServiceError extends Error {
  override name = "ServiceError";
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 502 | 503,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}
