import { Elysia } from "elysia";
import { z } from "zod";
import { AppError } from "../shared/app-error";
import { alertBody } from "../trading/alerts/alert-schemas";
import { answers, jsonBody } from "./api-model";
import type { AppContext } from "./app-context";
import { authPlugin } from "./auth-plugin";
import { writeHeaders } from "./trading-api-model";

const tags = ["Alerts"];
const alert = z.object({
  id: z.number(),
  symbol: z.string(),
  direction: z.enum(["above", "below"]),
  price: z.string().describe("decimal"),
  repeat: z.boolean(),
  armed: z.boolean().describe("false: fired (a repeating one waits for the price to come back)"),
  firedCount: z.number(),
  firedAt: z.string().nullable(),
});
const logLine = z.object({ at: z.string(), kind: z.string(), symbol: z.string().nullable(), reason: z.string() });

/** Price alerts over the alerts service: listed with their log, created, removed. */
export function alertsApi(ctx: AppContext) {
  const a = ctx.alerts;
  const shown = (x: Awaited<ReturnType<typeof a.list>>[number]) => ({
    id: x.id,
    symbol: x.symbol,
    direction: x.direction,
    price: a.priceText(x.symbol, x.price),
    repeat: x.repeat,
    armed: x.armed,
    firedCount: x.firedCount,
    firedAt: x.firedAt?.toISOString() ?? null,
  });
  return new Elysia({ name: "alerts-api", prefix: "/api/v1" })
    .use(authPlugin(ctx))
    .get(
      "/alerts",
      async ({ auth }) => ({
        alerts: (await a.list(auth.userId)).map(shown),
        log: (await a.log(auth.userId)).map((e) => ({
          at: e.at.toISOString(),
          kind: e.kind,
          symbol: e.symbol,
          reason: e.reason,
        })),
      }),
      {
        detail: {
          tags,
          summary: "Your price alerts, and the alert log (price alerts, fills, stops, risk actions, feed outages)",
          responses: answers(z.object({ alerts: z.array(alert), log: z.array(logLine) }), "`{alerts, log}`"),
        },
      },
    )
    .post(
      "/alerts",
      async ({ auth, body }) => ({
        alert: shown(
          await a.create(auth.actor, auth.userId, {
            symbol: ctx.trading.symbol(body.symbol),
            direction: body.direction,
            price: body.price,
            repeat: body.repeat,
          }),
        ),
      }),
      {
        detail: {
          tags,
          summary:
            "A price alert: fires on the first print at or beyond the price (repeating: each time it comes back)",
          responses: answers(z.object({ alert }), "`{alert}`", { 404: "unknown symbol", 409: "too many alerts" }),
        },
        headers: writeHeaders,
        body: jsonBody(alertBody),
      },
    )
    .delete(
      "/alerts/:id",
      async ({ auth, params }) => {
        if (!/^\d{1,9}$/.test(params.id)) throw new AppError(400, "id: a whole number");
        await a.remove(auth.actor, auth.userId, Number(params.id));
        return { success: true };
      },
      {
        detail: {
          tags,
          summary: "Remove a price alert",
          responses: answers(z.object({ success: z.literal(true) }), "`{success}`", { 404: "no such alert" }),
        },
        headers: writeHeaders,
      },
    );
}
