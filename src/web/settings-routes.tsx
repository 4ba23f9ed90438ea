import { AppError } from "../shared/app-error";
import { ctShort } from "../shared/format";
import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "./app-context";
import { TokenError } from "../auth/api-tokens-service";
import { CATALOGUE } from "../market-data/instruments/catalogue";
import {
  ArchiveSection,
  ExecutionSection,
  KeysSection,
  PrefsSection,
  SettingsPage,
  TokensSection,
  type AccountRow,
  type Notice,
} from "../../views/settings";
import { authPlugin, type Auth } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { saved } from "./saved";
import { pageUser } from "./pages";
import { formOf, formVersion } from "./params";
import { listAccounts } from "../persistence/repositories/accounts-repo";
import { alertsSection } from "./alerts-routes";

const str = (v: unknown) =>
  typeof v === "string" ? v.trim() : Array.isArray(v) && typeof v[0] === "string" ? v[0].trim() : "";
const keySchema = z.string().regex(/^db-[\x21-\x7e]{29}$/, "a Databento key is 32 characters and starts with db-");

/** Where stored Databento keys live in the secrets store. */
export const DATABENTO_SECRET = { scope: "databento", live: "api_key", archive: "archive_key" } as const;

/**
 * Settings: trading preferences, accounts' execution, Databento keys (write-only), API tokens,
 * the archive's state and the per-symbol defaults. Each section saves on its own and answers
 * itself re-rendered with what happened.
 */
export function settingsRoutes(ctx: AppContext) {
  async function accounts(auth: Auth): Promise<AccountRow[]> {
    const rows = await listAccounts(ctx.db, auth.userId, { kinds: "regular", orderBy: "name" });
    const hooks = new Map((await ctx.secrets.list("webhook")).map((s) => [s.name, s.masked]));
    return rows.map((r) => ({
      name: r.name,
      kind: r.kind,
      execution: r.kind === "live" ? r.execution : "paper",
      commission: Number(r.commission),
      webhook: hooks.get(`account:${r.id}`) ?? null,
    }));
  }
  async function keys() {
    const list = new Map((await ctx.secrets.list(DATABENTO_SECRET.scope)).map((s) => [s.name, s.masked]));
    return { live: list.get(DATABENTO_SECRET.live) ?? null, archive: list.get(DATABENTO_SECRET.archive) ?? null };
  }
  async function tokens(auth: Auth) {
    return (await ctx.tokens.list(auth.userId)).map((t) => ({
      name: t.name,
      createdAt: ctShort(t.createdAt),
      lastUsedAt: t.lastUsedAt ? ctShort(t.lastUsedAt) : null,
    }));
  }
  const feedText = () => {
    const f = ctx.config.FEED === "off" ? { kind: "off", state: "stopped" } : ctx.marketData.status();
    return `${f.kind === "simulated" ? "simulated market" : f.kind === "databento" ? "Databento live" : "off"} (${f.state})`;
  };
  /** Runs a save; a refusal becomes the section's notice with the right status. */
  const attempt = (fn: () => Promise<string>) => saved(fn, (err) => (err instanceof TokenError ? 400 : undefined));

  return new Elysia({ name: "settings" })
    .use(authPlugin(ctx))
    .get(
      "/settings",
      async ({ auth }) => {
        const defaults = await Promise.all(
          CATALOGUE.map(async (i) => {
            const d = await ctx.settings.symbolDefaults(auth.userId, i.root);
            return { root: i.root, name: i.name, d: d.value, saved: d.version > 0 };
          }),
        );
        return htmlResponse(
          <SettingsPage
            user={pageUser(auth, ctx)}
            prefs={await ctx.settings.prefs(auth.userId)}
            accounts={await accounts(auth)}
            risk={await ctx.risk.list(auth.userId)}
            alerts={await alertsSection(ctx, auth)}
            keys={await keys()}
            feed={feedText()}
            tokens={await tokens(auth)}
            archive={ctx.archive.status()}
            defaults={defaults}
            admin={auth.isAdmin}
          />,
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/prefs",
      async ({ auth, body }) => {
        const f = formOf(body);
        const r = await attempt(async () => {
          await ctx.settings.setPrefs(
            auth.userId,
            {
              atr: {
                method: str(f.method),
                period: str(f.period),
                lookback: str(f.lookback),
                multiplier: str(f.multiplier),
              },
              confirm: str(f.confirm) === "1",
            },
            formVersion(str(f.version), "version") ?? 0,
            auth.actor,
          );
          return "Preferences saved.";
        });
        const p = await ctx.settings.prefs(auth.userId);
        return htmlResponse(<PrefsSection prefs={p.value} version={p.version} notice={r.notice} />, r.status);
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/execution/:account",
      async ({ auth, params, body }) => {
        const f = formOf(body);
        const url = str(f.webhookUrl);
        const route = str(f.route);
        const commission = str(f.commission);
        const r = await attempt(async () => {
          if (!route && !url && !commission)
            throw new AppError(400, "nothing to save: choose a route, type a webhook URL or a commission");
          await ctx.trading.setExecution(
            { actor: auth.actor, userId: auth.userId },
            params.account,
            {
              ...(route ? { route } : {}),
              ...(url ? { webhookUrl: url } : {}),
              ...(commission ? { commission } : {}),
            },
            ctx.secrets,
          );
          return `${params.account}: saved${url ? " (webhook URL replaced)" : ""}.`;
        });
        return htmlResponse(<ExecutionSection accounts={await accounts(auth)} notice={r.notice} />, r.status);
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/keys",
      async ({ auth, body }) => {
        const f = formOf(body);
        const r = await attempt(async () => {
          // The keys serve every user of this server: only an administrator may replace or remove them.
          if (!auth.isAdmin) throw new AppError(403, "only an administrator can change the server-wide Databento keys");
          if (str(f.clear) === "1") {
            await ctx.secrets.delete(DATABENTO_SECRET.scope, DATABENTO_SECRET.live, auth.actor);
            await ctx.secrets.delete(DATABENTO_SECRET.scope, DATABENTO_SECRET.archive, auth.actor);
            return "Stored keys removed; the simulated market is used from the next start unless the environment sets a key.";
          }
          const saved: string[] = [];
          for (const [field, name] of [
            ["live", DATABENTO_SECRET.live],
            ["archive", DATABENTO_SECRET.archive],
          ] as const) {
            const v = str(f[field]);
            if (!v) continue;
            const ok = keySchema.safeParse(v);
            if (!ok.success) throw new AppError(400, `${field} key: ${ok.error.issues[0]!.message}`);
            await ctx.secrets.set(DATABENTO_SECRET.scope, name, v, auth.actor);
            saved.push(field);
          }
          if (!saved.length) throw new AppError(400, "type a key to save it (the stored ones are never shown)");
          return `Saved the ${saved.join(" and ")} key; restart the app to use it.`;
        });
        return htmlResponse(
          <KeysSection keys={await keys()} feed={feedText()} admin={auth.isAdmin} notice={r.notice} />,
          r.status,
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/tokens",
      async ({ auth, body }) => {
        const name = str(formOf(body).name);
        let created: { name: string; token: string } | undefined;
        const r = await attempt(async () => {
          const t = await ctx.tokens.create(auth.userId, name, auth.actor);
          created = { name: t.info.name, token: t.token };
          return `Token ${t.info.name} created.`;
        });
        return htmlResponse(
          <TokensSection tokens={await tokens(auth)} created={created} notice={created ? undefined : r.notice} />,
          r.status,
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/settings/tokens/:name/revoke",
      async ({ auth, params }) => {
        const r = await attempt(async () =>
          (await ctx.tokens.revoke(auth.userId, params.name, auth.actor))
            ? `Token ${params.name} revoked.`
            : `No active token named ${params.name}.`,
        );
        return htmlResponse(<TokensSection tokens={await tokens(auth)} notice={r.notice} />, r.status);
      },
      { detail: { hide: true } },
    )
    .get("/settings/archive", () => htmlResponse(<ArchiveSection archive={ctx.archive.status()} />), {
      detail: { hide: true },
    });
}
