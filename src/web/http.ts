import type { Logger } from "../log/logger";

interface RequestMeta {
  id: string;
  start: number;
  route?: string;
  /** The TCP peer (a proxy, when behind one); unknown for in-process requests. */
  peer?: string;
}

const meta = new WeakMap<Request, RequestMeta>();

export function requestId(request: Request): string {
  return meta.get(request)?.id ?? "-";
}

/** The address the request came from on the socket, if it came over one. */
export function peerAddress(request: Request): string | undefined {
  return meta.get(request)?.peer;
}

/** Called from a global hook once Elysia has matched the route, so the log names the pattern. */
export function noteRoute(request: Request, route: string): void {
  const m = meta.get(request);
  if (m) m.route = route;
}

export interface SecurityOptions {
  tls: boolean;
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export function applySecurityHeaders(headers: Headers, opts: SecurityOptions): void {
  headers.set("content-security-policy", CSP);
  headers.set("x-content-type-options", "nosniff");
  headers.set("x-frame-options", "DENY");
  headers.set("referrer-policy", "same-origin");
  headers.set("cross-origin-opener-policy", "same-origin");
  headers.set("cross-origin-resource-policy", "same-origin");
  headers.set("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()");
  if (opts.tls) headers.set("strict-transport-security", "max-age=31536000; includeSubDomains");
}

let counter = 0;
const bootId = Math.floor(Math.random() * 0xffffff)
  .toString(16)
  .padStart(6, "0");

type Handler = (request: Request) => Response | Promise<Response>;
interface Peer {
  requestIP(request: Request): { address: string } | null;
}
export type FetchHandler = (request: Request, server?: Peer) => Response | Promise<Response>;

/**
 * HTTP/1.0 allows a request without a Host header, and Bun then hands over a relative URL that
 * nothing can parse; such a request is served as if it had named the server's own address.
 */
function absolute(request: Request, base: string): Request {
  if (URL.canParse(request.url)) return request;
  return new Request(new URL(request.url.startsWith("/") ? request.url : `/${request.url}`, base), request);
}

/**
 * Outermost layer around the app: gives each request an id, adds security headers to every
 * answer (errors included) and writes one log line per request with its final status.
 */
const COMPRESSIBLE = /^(text\/html|application\/json)/;
const MIN_COMPRESS = 2048;
const MAX_COMPRESS = 4 * 1024 * 1024;

/** Pages and JSON answers (built in memory) go out gzipped when the browser accepts it and it pays. */
async function compressed(request: Request, response: Response): Promise<Response> {
  if (response.status !== 200 || response.headers.has("content-encoding") || !response.body) return response;
  if (!COMPRESSIBLE.test(response.headers.get("content-type") ?? "")) return response;
  if (!/\bgzip\b/.test(request.headers.get("accept-encoding") ?? "")) return response;
  const body = new Uint8Array(await response.arrayBuffer());
  const headers = new Headers(response.headers);
  headers.append("vary", "accept-encoding");
  if (body.length < MIN_COMPRESS || body.length > MAX_COMPRESS)
    return new Response(body, { status: response.status, headers });
  headers.set("content-encoding", "gzip");
  headers.delete("content-length");
  return new Response(new Uint8Array(Bun.gzipSync(body, { level: 6 })), { status: response.status, headers });
}

export interface BasicsOptions extends SecurityOptions {
  /** Where a Host-less request is taken to be addressed ("http://127.0.0.1:3000"). */
  base: string;
  /** The app's one error mapper, for anything that escapes the app itself. */
  onError(request: Request, error: unknown): Response | Promise<Response>;
}

export function withHttpBasics(handle: Handler, logger: Logger, opts: BasicsOptions): FetchHandler {
  return async (original, server) => {
    const m: RequestMeta = {
      id: `${bootId}-${(++counter).toString(36)}`,
      start: performance.now(),
      peer: server?.requestIP(original)?.address,
    };
    const request = absolute(original, opts.base);
    meta.set(request, m);
    let response: Response;
    try {
      response = await handle(request);
    } catch (err) {
      response = await opts.onError(request, err);
    }
    // A successful WebSocket upgrade has already been answered by Bun; log it as such.
    const upgraded = request.headers.get("upgrade")?.toLowerCase() === "websocket" && response.status === 200;
    try {
      applySecurityHeaders(response.headers, opts);
      response.headers.set("x-request-id", m.id);
    } catch {
      response = new Response(response.body, response);
      applySecurityHeaders(response.headers, opts);
    }
    if (!upgraded) response = await compressed(request, response);
    const url = new URL(request.url);
    const fields = {
      rid: m.id,
      method: request.method,
      route: m.route ?? url.pathname,
      status: upgraded ? 101 : response.status,
      ms: Math.round((performance.now() - m.start) * 100) / 100,
    };
    if (response.status >= 500) logger.error("http", fields);
    else if (url.pathname.startsWith("/static/") || url.pathname.startsWith("/vendor/")) logger.debug("http", fields);
    else logger.info("http", fields);
    return response;
  };
}
