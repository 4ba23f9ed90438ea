import { isIP } from "node:net";
import { peerAddress } from "./http";

/**
 * `X-Forwarded-Host` and `X-Forwarded-For` are only as true as whoever sent them: anyone can
 * write them. They are read only when the request came over a socket from one of the proxies
 * named in TRUST_PROXY; otherwise the Host header and the socket's own address count.
 */
const unmapped = (a: string) => (a.startsWith("::ffff:") && isIP(a.slice(7)) === 4 ? a.slice(7) : a);

export function isTrustedPeer(request: Request, trusted: readonly string[]): boolean {
  const peer = peerAddress(request);
  return Boolean(peer) && trusted.length > 0 && trusted.includes(unmapped(peer!));
}

/** The host the browser addressed, for the same-origin check. */
export function requestHost(request: Request, trusted: readonly string[]): string {
  const forwarded = isTrustedPeer(request, trusted)
    ? request.headers.get("x-forwarded-host")?.split(",")[0]?.trim()
    : undefined;
  return forwarded || request.headers.get("host") || new URL(request.url).host;
}

/** The client's address, for login throttling: the nearest proxy's view of it when trusted. */
export function clientAddress(request: Request, trusted: readonly string[]): string {
  const peer = peerAddress(request);
  if (isTrustedPeer(request, trusted)) {
    const last = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    if (last && isIP(last)) return unmapped(last);
  }
  return peer ? unmapped(peer) : "local";
}
