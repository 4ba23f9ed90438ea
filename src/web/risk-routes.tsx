import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { RISK_LABELS, type RiskFormState, RiskSection } from "../../views/settings/risk";
import { AppError } from "../shared/app-error";
import { riskBody } from "../trading/risk-schemas";
import type { AppContext } from "./app-context";
import { authPlugin } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { saved } from "./saved";
import { formOf } from "./params";

const FIELDS = Object.keys(RISK_LABELS);

/**
 * The Settings page's risk section and the kill switch (the desk and the positions page post
 * it too): each answer is the section re-rendered, or for `answer=line` one status line.
 */
export function riskRoutes(ctx: AppContext) {
  const r = ctx.risk;
  return new Elysia({ name: "risk-routes" })
    .use(authPlugin(ctx))
    .post(
      "/settings/risk/:account",
      async ({ auth, params, body }) => {
        const f = formOf(body);
        const typed = Object.fromEntries(
          FIELDS.map((k) => [k, typeof f[k] === "string" ? (f[k] as string).trim() : ""]),
        );
        const parsed = riskBody.safeParse(typed);
        let state: RiskFormState | undefined;
        let status = 200;
        let notice: { ok: boolean; message: string } | undefined;
        if (!parsed.success) {
          // Next to the field, in its own words, with what was typed kept.
          const issue = parsed.error.issues[0]!;
          const field = String(issue.path[0] ?? "");
          state = {
            account: params.account,
            field,
            message: `${RISK_LABELS[field] ?? field}: ${issue.message}`,
            typed,
          };
          status = 400;
        } else {
          try {
            await r.set({ actor: auth.actor, userId: auth.userId }, params.account, parsed.data);
            notice = { ok: true, message: `${params.account}: risk limits saved.` };
          } catch (err) {
            if (!(err instanceof AppError)) throw err;
            state = { account: params.account, message: err.message, typed };
            status = err.status;
          }
        }
        return htmlResponse(<RiskSection risk={await r.list(auth.userId)} state={state} notice={notice} />, status);
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/risk/:account/resume",
      async ({ auth, params }) => {
        const { notice, status } = await saved(async () => {
          await r.resume({ actor: auth.actor, userId: auth.userId }, params.account);
          return `${params.account}: trading resumed.`;
        });
        return htmlResponse(<RiskSection risk={await r.list(auth.userId)} notice={notice} />, status);
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/kill-switch",
      async ({ auth, body }) => {
        const { notice, status } = await saved(async () => {
          const { accounts } = await r.kill({ actor: auth.actor, userId: auth.userId });
          return `Kill switch: ${accounts.join(", ")} flattened at market; new entries locked until the next session.`;
        });
        if (formOf(body).answer === "line")
          return htmlResponse(
            <p id="kill-result" class={`alert ${notice.ok ? "alert-ok" : "alert-error"}`} role="alert" safe>
              {notice.message}
            </p>,
            status,
          );
        return htmlResponse(<RiskSection risk={await r.list(auth.userId)} notice={notice} />, status);
      },
      { detail: { hide: true } },
    );
}
