import { Elysia } from "elysia";
import { sql } from "kysely";
import type { AppContext } from "./app-context";
import { instanceRole } from "./instance-role";
import { unprotected } from "../trading/feed-watch";
import { assetResponse } from "./assets";
import { authPlugin } from "./auth-plugin";

export const VERSION = "0.1.0";

/** Health, static files: the public, unauthenticated surface besides login and setup. */
export function systemRoutes(ctx: AppContext) {
  return new Elysia({ name: "system" })
    .use(authPlugin(ctx))
    .get(
      "/healthz",
      async ({ set }) => {
        const dbOk = await sql`select 1`.execute(ctx.db).then(
          () => true,
          () => false,
        );
        if (!dbOk) set.status = 503;
        const u = unprotected(ctx.engine.engine);
        return {
          status: dbOk ? "ok" : "degraded",
          version: VERSION,
          uptime_s: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000),
          database: { kind: ctx.dbKind, reachable: dbOk },
          instance: instanceRole(ctx),
          ...(ctx.cluster ? { cluster: { nats: ctx.cluster.link.state } } : {}),
          feed: ctx.config.FEED === "off" ? { kind: "off" } : ctx.marketData.status(),
          // Public: counts and symbols only, never whose positions they are (R7.1).
          unprotected: { positions: u.positions, symbols: u.symbols, sinceMs: u.sinceMs },
        };
      },
      { detail: { tags: ["System"], summary: "Liveness and readiness; no authentication, no secrets" } },
    )
    .get("/favicon.ico", ({ request }) => assetResponse("/static/favicon.svg", request), { detail: { hide: true } })
    .get("/static/*", ({ path, set, request }) => assetResponse(path, request) ?? ((set.status = 404), "not found"), {
      detail: { hide: true },
    })
    .get("/vendor/*", ({ path, set, request }) => assetResponse(path, request) ?? ((set.status = 404), "not found"), {
      detail: { hide: true },
    });
}
