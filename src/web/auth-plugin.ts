import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { timingSafeEqualText } from "../auth/crypto";
import type { Actor } from "../persistence/events";
import { noteRoute } from "./http";
import { elsewhere } from "./owner-gate";
import { requestHost } from "./proxy";

/** `credential` names what authenticated the request ("session:<hash>", "token:<id>"), so sockets can be bound to it. */
export type Auth =
  | {
      kind: "session";
      userId: number;
      username: string;
      isAdmin: boolean;
      credential: string;
      csrfToken: string;
      actor: Actor;
    }
  | {
      kind: "token";
      userId: number;
      username: string;
      isAdmin: boolean;
      credential: string;
      tokenName: string;
      actor: Actor;
    };

export const SESSION_COOKIE = "sid";

/** The only routes reachable without credentials. Everything else is refused by default. */
export function isPublic(method: string, path: string): boolean {
  if (method === "GET" && (path.startsWith("/static/") || path.startsWith("/vendor/"))) return true;
  if (method === "GET" && (path === "/healthz" || path === "/favicon.ico")) return true;
  return (method === "GET" || method === "POST") && (path === "/login" || path === "/setup");
}

export function isApiPath(path: string): boolean {
  return path.startsWith("/api/") || path === "/api" || path === "/ws";
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** "Firefox on Linux" from a user agent, for the audit trail's actor. */
export function deviceLabel(userAgent: string): string {
  const browser = /Edg\//.test(userAgent)
    ? "Edge"
    : /Firefox\//.test(userAgent)
      ? "Firefox"
      : /Chrome\//.test(userAgent)
        ? "Chrome"
        : /Safari\//.test(userAgent)
          ? "Safari"
          : /curl\//.test(userAgent)
            ? "curl"
            : "browser";
  const os = /Android/.test(userAgent)
    ? "Android"
    : /iPhone|iPad/.test(userAgent)
      ? "iOS"
      : /Windows/.test(userAgent)
        ? "Windows"
        : /Mac OS X/.test(userAgent)
          ? "macOS"
          : /Linux/.test(userAgent)
            ? "Linux"
            : "";
  return os ? `${browser} on ${os}` : browser;
}

function deny(path: string, status: 401 | 403, message: string): Response {
  if (isApiPath(path) || status === 403) {
    return new Response(JSON.stringify({ success: false, message }), {
      status,
      headers: {
        "content-type": "application/json",
        ...(status === 401 ? { "www-authenticate": 'Bearer realm="api"' } : {}),
      },
    });
  }
  return new Response(null, { status: 303, headers: { location: `/login?next=${encodeURIComponent(path)}` } });
}

/**
 * Same-origin check for state-changing browser requests and socket upgrades (defence in depth
 * beside the token). X-Forwarded-Host counts only from a proxy named in TRUST_PROXY.
 */
export function crossOrigin(request: Request, trustedProxies: readonly string[]): boolean {
  const origin = request.headers.get("origin");
  if (!origin || origin === "null") return origin === "null";
  const host = requestHost(request, trustedProxies);
  try {
    return new URL(origin).host !== host;
  } catch {
    return true;
  }
}

const authOf = new WeakMap<Request, Auth>();

async function authenticate(ctx: AppContext, request: Request, sid: string | undefined): Promise<Auth | undefined> {
  const header = request.headers.get("authorization");
  if (header) {
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    const t = m ? await ctx.tokens.verify(m[1]!) : undefined;
    return (
      t && {
        kind: "token",
        userId: t.userId,
        username: t.username,
        isAdmin: t.isAdmin,
        credential: `token:${t.tokenId}`,
        tokenName: t.tokenName,
        actor: { kind: "token", label: `${t.username} via token "${t.tokenName}"`, userId: t.userId },
      }
    );
  }
  const s = sid ? await ctx.sessions.lookup(sid) : undefined;
  return (
    s && {
      kind: "session",
      userId: s.userId,
      username: s.username,
      isAdmin: s.isAdmin,
      credential: `session:${s.idHash}`,
      csrfToken: s.csrfToken,
      actor: { kind: "user", label: `${s.username} (${deviceLabel(s.userAgent)})`, userId: s.userId },
    }
  );
}

export function readCookie(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A cookie we never set ("sid=%ZZ") is no credential at all, not a server error.
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * Deny by default: credentials are checked as the request arrives (before its body is even
 * parsed), so a route added later is protected without doing anything.
 */
export function authPlugin(ctx: AppContext) {
  return (
    new Elysia({ name: "auth" })
      .onRequest(async ({ request }) => {
        const path = new URL(request.url).pathname;
        if (isPublic(request.method, path)) return;
        const auth = await authenticate(ctx, request, readCookie(request, SESSION_COOKIE));
        if (!auth) {
          const header = request.headers.get("authorization");
          return deny(
            path,
            401,
            header
              ? "invalid or revoked API token"
              : "authentication required: sign in or send Authorization: Bearer <token>",
          );
        }
        // A browser's socket carries its cookie to any site that opens one: the upgrade must come from our pages.
        if (
          auth.kind === "session" &&
          request.headers.get("upgrade")?.toLowerCase() === "websocket" &&
          crossOrigin(request, ctx.config.TRUST_PROXY)
        ) {
          return deny(path, 403, "cross-origin WebSocket refused");
        }
        authOf.set(request, auth);
        // Another instance runs this user's engine: refused (soon forwarded) before anything is read.
        const moved = await elsewhere(ctx, request, path, auth.userId, isApiPath(path));
        if (moved) return moved;
      })
      // Public routes never read `auth`; every other route only runs once onRequest has set it.
      .resolve({ as: "global" }, ({ request }) => ({ auth: authOf.get(request) as Auth }))
      // A browser's write is checked for forgery once its body is read and before the route's schema
      // looks at it (transform runs before validation): a forged request is refused as forged, never
      // told what its body got wrong. A thrown Response is the answer as it stands (errorResponse).
      .onTransform({ as: "global" }, ({ request, path, body }) => {
        const auth = authOf.get(request);
        if (!auth || SAFE_METHODS.has(request.method) || auth.kind !== "session") return;
        if (crossOrigin(request, ctx.config.TRUST_PROXY)) throw deny(path, 403, "cross-origin request refused");
        const sent =
          request.headers.get("x-csrf-token") ??
          (body && typeof body === "object" ? (body as Record<string, unknown>)._csrf : undefined);
        if (typeof sent !== "string" || !timingSafeEqualText(sent, auth.csrfToken)) {
          throw deny(path, 403, "CSRF token missing or wrong: reload the page and try again");
        }
      })
      .onBeforeHandle({ as: "global" }, ({ request, route }) => {
        noteRoute(request, route);
      })
  );
}
