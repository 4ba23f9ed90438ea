import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { type AlertRow, AlertsSection } from "../../views/settings/alerts";
import type { Notice } from "../../views/settings/notice";
import { AppError } from "../shared/app-error";
import { parse } from "../shared/parse";
import { alertBody } from "../trading/alerts/alert-schemas";
import type { AppContext } from "./app-context";
import { type Auth, authPlugin } from "./auth-plugin";
import { inWords } from "./form-words";
import { htmlResponse } from "./html-response";
import { saved } from "./saved";
import { formOf } from "./params";

const LABELS: Record<string, string> = { symbol: "Symbol", direction: "When the price is", price: "Price" };
const words = inWords(([first]) => LABELS[String(first)] ?? "Alert");

/** Settings → Alerts: add and remove price alerts; each answer is the section re-rendered. */
export function alertsRoutes(ctx: AppContext) {
  async function section(auth: Auth, notice?: Notice, typed?: Record<string, string>) {
    return <AlertsSection {...(await alertsSection(ctx, auth))} notice={notice} typed={typed} />;
  }
  /** A save; a refusal is the section's notice, with what was typed kept. */
  async function attempt(auth: Auth, fn: () => Promise<string>, typed?: Record<string, string>) {
    const { notice, status } = await saved(fn);
    return htmlResponse(await section(auth, notice, notice.ok ? undefined : typed), status);
  }
  return new Elysia({ name: "alerts-routes" })
    .use(authPlugin(ctx))
    .post(
      "/settings/alerts",
      ({ auth, body }) => {
        const f = formOf(body);
        const typed = Object.fromEntries(
          ["symbol", "direction", "price", "repeat"].map((k) => [k, typeof f[k] === "string" ? (f[k] as string) : ""]),
        );
        return attempt(
          auth,
          async () => {
            const b = parse(alertBody, typed, words);
            const a = await ctx.alerts.create(auth.actor, auth.userId, {
              symbol: ctx.trading.symbol(b.symbol),
              direction: b.direction,
              price: b.price,
              repeat: b.repeat,
            });
            return `Alert added: ${ctx.alerts.describe(a)}.`;
          },
          typed,
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/alerts/:id/remove",
      ({ auth, params }) =>
        attempt(auth, async () => {
          if (!/^\d{1,9}$/.test(params.id)) throw new AppError(400, "alert: not an alert");
          await ctx.alerts.remove(auth.actor, auth.userId, Number(params.id));
          return "Alert removed.";
        }),
      { detail: { hide: true } },
    );
}

/** The section as the Settings page first renders it. */
export async function alertsSection(ctx: AppContext, auth: Auth) {
  const rows: AlertRow[] = (await ctx.alerts.list(auth.userId)).map((a) => ({
    id: a.id,
    text: ctx.alerts.describe(a),
    armed: a.armed,
    repeat: a.repeat,
    firedAt: a.firedAt,
    firedCount: a.firedCount,
  }));
  return { alerts: rows, log: await ctx.alerts.log(auth.userId, 30) };
}
