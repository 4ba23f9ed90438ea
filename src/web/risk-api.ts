import { Elysia } from "elysia";
import { z } from "zod";
import { riskBody } from "../trading/risk-schemas";
import { answers, jsonBody } from "./api-model";
import type { AppContext } from "./app-context";
import { authPlugin } from "./auth-plugin";
import { caller } from "./trading-api";
import { writeHeaders } from "./trading-api-model";

const tags = ["Risk"];
const limits = {
  maxOrder: z.number().int().nullable().describe("most contracts one order may open, micro-equivalent (ES 1 = MES 10)"),
  maxPosition: z.number().int().nullable().describe("most contracts open in one product, mini and micro netted"),
  dailyLoss: z.string().nullable().describe("dollars: the day's loss (realized + open) that flattens and locks"),
  flattenBeforeCloseMin: z.number().int().nullable().describe("flatten this many minutes before the daily close"),
  confirmAbove: z.number().int().nullable().describe("the desk asks before an order of more contracts"),
};
const riskView = z.object({
  account: z.string(),
  ...limits,
  day: z.object({
    realized: z.number().describe("dollars, net of commissions, since the session opened"),
    open: z.number().describe("dollars, open positions at their last prints"),
    untilMs: z.number().describe("when the trading day ends (the next session opens)"),
    lock: z.object({ kind: z.enum(["loss", "kill"]), reason: z.string(), atMs: z.number() }).nullable(),
  }),
});

/** Risk limits per account and the kill switch (docs/trading-rules.md R10), over the risk service. */
export function riskApi(ctx: AppContext) {
  const r = ctx.risk;
  return new Elysia({ name: "risk-api", prefix: "/api/v1" })
    .use(authPlugin(ctx))
    .get("/risk", async ({ auth }) => ({ accounts: await r.list(auth.userId) }), {
      detail: {
        tags,
        summary: "Risk limits and today's P&L and lock of every live and paper account",
        responses: answers(z.object({ accounts: z.array(riskView) }), "`{accounts}`"),
      },
    })
    .put(
      "/accounts/:account/risk",
      async ({ auth, params, body, request }) => ({ risk: await r.set(caller(auth, request), params.account, body) }),
      {
        detail: {
          tags,
          summary: "Set an account's risk limits (all at once: a field left out or null is off)",
          responses: answers(z.object({ risk: riskView }), "`{risk}`", { 404: "no such live or paper account" }),
        },
        headers: writeHeaders,
        body: jsonBody(riskBody),
      },
    )
    .post("/kill-switch", async ({ auth, request }) => r.kill(caller(auth, request)), {
      detail: {
        tags,
        summary: "Flatten every live and paper account of the caller and lock new entries for the trading day",
        description:
          "Exits go out at market; working entries are cancelled. `POST /accounts/{account}/resume` lifts it.",
        responses: answers(z.object({ accounts: z.array(z.string()) }), "`{accounts}` flattened and locked", {
          503: "an account could not be reached: press it again",
        }),
      },
      headers: writeHeaders,
    })
    .post(
      "/accounts/:account/resume",
      async ({ auth, params, request }) => ({ risk: await r.resume(caller(auth, request), params.account) }),
      {
        detail: {
          tags,
          summary: "Lift a kill switch's lock (a daily loss lock stays until the next session)",
          responses: answers(z.object({ risk: riskView }), "`{risk}`", {
            404: "no such account",
            409: "not locked, or locked by the daily loss limit",
          }),
        },
        headers: writeHeaders,
      },
    );
}
