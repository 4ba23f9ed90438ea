import { html } from "@elysiajs/html";
import { openapi } from "@elysiajs/openapi";
import { Elysia, type AnyElysia } from "elysia";
import type { AppContext } from "./app-context";
import { authPlugin } from "./auth-plugin";
import { authRoutes } from "./auth-routes";
import { docsRoutes } from "./docs-routes";
import { edgePlugin } from "./edge";
import { errorPlugin, errorResponse } from "./error-plugin";
import { withHttpBasics } from "./http";
import { legacyApi } from "./legacy-api";
import { marketApi } from "./market-api";
import { alertsApi } from "./alerts-api";
import { riskApi } from "./risk-api";
import { tradingApi } from "./trading-api";
import { pages } from "./pages";
import { deskRoutes } from "./desk-routes";
import { journalRoutes } from "./journal-routes";
import { alertsRoutes } from "./alerts-routes";
import { riskRoutes } from "./risk-routes";
import { settingsRoutes } from "./settings-routes";
import { replayRoutes } from "./replay-routes";
import { priceSocket } from "./price-ws";
import { systemRoutes, VERSION } from "./system-routes";

/** The whole HTTP surface. Tests call `app.handle`; the server serves `fetch`. */
export function createApp(ctx: AppContext) {
  let self: AnyElysia | undefined;
  const app = new Elysia()
    .use(errorPlugin(ctx.logger))
    .use(authPlugin(ctx))
    .use(edgePlugin())
    .use(html({ autoDoctype: false }))
    .use(
      openapi({
        path: "/api/openapi",
        specPath: "/api/openapi.json",
        provider: null,
        documentation: {
          info: {
            title: "Trade Manager API",
            version: VERSION,
            description:
              "Server-side trade management for CME futures. Authenticate with `Authorization: Bearer <token>`.",
          },
          components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
          security: [{ bearer: [] }],
        },
      }),
    )
    .use(systemRoutes(ctx))
    .use(authRoutes(ctx))
    .use(pages(ctx))
    .use(deskRoutes(ctx))
    .use(journalRoutes(ctx))
    .use(settingsRoutes(ctx))
    .use(riskRoutes(ctx))
    .use(alertsRoutes(ctx))
    .use(replayRoutes(ctx))
    .use(docsRoutes(ctx, () => self!))
    .use(legacyApi(ctx))
    .use(marketApi(ctx))
    .use(tradingApi(ctx))
    .use(riskApi(ctx))
    .use(alertsApi(ctx))
    .use(priceSocket(ctx));
  self = app;
  return app;
}

export type App = ReturnType<typeof createApp>;

export function createFetch(ctx: AppContext, app: App) {
  const tls = Boolean(ctx.config.TLS_CERT_FILE);
  const host = ctx.config.HOST.includes(":") ? `[${ctx.config.HOST}]` : ctx.config.HOST;
  return withHttpBasics((request) => app.handle(request), ctx.logger, {
    tls,
    base: `${tls ? "https" : "http"}://${host}:${ctx.config.PORT}`,
    onError: (request, err) => errorResponse(ctx.logger, request, err),
  });
}
