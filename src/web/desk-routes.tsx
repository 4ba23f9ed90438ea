import { AppError } from "../shared/app-error";
import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import type { AppContext } from "./app-context";
import { CATALOGUE } from "../market-data/instruments/catalogue";
import type { SymbolDefaults } from "../trading/settings-service";
import type { Caller } from "../trading/trading-service";
import { DeskPage, DeskState, type DeskStateProps } from "../../views/desk";
import { StopPreview } from "../../views/desk/stop";
import { replayPanel } from "./replay-routes";
import { authPlugin, type Auth } from "./auth-plugin";
import {
  type Form,
  form,
  levelsFromForm,
  optionalInt,
  recordFromForm,
  orderFromForm,
  orderIdFromForm,
  stopFromForm,
  ticketQty,
  timerFromForm,
} from "./desk-forms";
import { stopPreview } from "./desk-preview";
import { type DeskRequest, deskRequests } from "./desk-requests";
import { htmlResponse } from "./html-response";
import { pageUser } from "./pages";
import { formVersion } from "./params";

type ErrorFor = NonNullable<DeskStateProps["error"]>["for"];
const hidden = { detail: { hide: true } };

/**
 * The desk's HTML controller: form posts become trading-service calls; every answer is the
 * re-rendered position state with its stored log (all the page needs: no refresh follows), with a
 * refusal shown next to the control that caused it. Account and settings are read once per request.
 */
export function deskRoutes(ctx: AppContext) {
  const caller = (auth: Auth): Caller => ({ actor: auth.actor, userId: auth.userId });
  const desk = deskRequests(ctx);

  /** Runs an action; answers the state, with the refusal next to `where` if it failed. */
  async function act(auth: Auth, f: Form, where: ErrorFor, fn: (req: DeskRequest) => Promise<unknown>) {
    const req = await desk.load(auth, f);
    const ticketQty = optionalInt(f.qty);
    try {
      await fn(req);
      return htmlResponse(<DeskState {...(await desk.state(auth, req, { ticketQty }))} />);
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const error = { for: where, message: err.message };
      // The refused form comes back as the trader typed it, not reset to what is stored.
      const state = await desk.state(auth, req, { error, ticketQty, typed: f });
      return htmlResponse(<DeskState {...state} />, err.status);
    }
  }

  const isOpen = (req: DeskRequest) => {
    const p = ctx.trading.view(req.accountId, req.inst.root);
    return Boolean(p && p.qty > 0);
  };

  const version = (f: Form) => formVersion(f.version, "version");

  /** The next trade's defaults with one part replaced; the answer shows what was stored. */
  async function saveDefaults(auth: Auth, f: Form, req: DeskRequest, change: (d: SymbolDefaults) => SymbolDefaults) {
    const value = change(req.defaults.value);
    const v = await ctx.settings.setSymbolDefaults(
      auth.userId,
      req.inst.root,
      value,
      formVersion(f.dversion, "dversion"),
      auth.actor,
    );
    req.defaults = { value, version: v };
  }

  /** A form post on the desk: the action `fn` runs against the request's account and symbol. */
  const action =
    (where: ErrorFor, fn: (auth: Auth, f: Form, req: DeskRequest) => Promise<unknown>) =>
    async ({ auth, body }: { auth: Auth; body: unknown }) => {
      const f = form(body);
      return act(auth, f, where, (req) => fn(auth, f, req));
    };

  return new Elysia({ name: "desk" })
    .use(authPlugin(ctx))
    .get(
      "/desk",
      async ({ auth, query }) => {
        const req = await desk.load(auth, form(query), true);
        const s = await desk.state(auth, req);
        const base = { ...s, user: pageUser(auth, ctx), accounts: req.acct.all };
        const replay = req.acct.replay;
        if (replay) {
          const i = replay.roots.indexOf(s.inst.root);
          const num = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v / 1e9);
          const symbols = replay.roots.map((r) => ({ root: r, name: ctx.instruments.get(r)?.name ?? r }));
          const quote = { bid: num(replay.bid[i]), ask: num(replay.ask[i]) };
          return htmlResponse(<DeskPage {...base} symbols={symbols} quote={quote} replay={replayPanel(replay)} />);
        }
        const q = ctx.priceHub.snapshot(s.inst.root).quote as { b?: number | null; a?: number | null } | undefined;
        const symbols = CATALOGUE.filter((i) => i.family === s.inst.family).map((i) => ({
          root: i.root,
          name: i.name,
        }));
        const quote = q ? { bid: q.b ?? null, ask: q.a ?? null } : null;
        return htmlResponse(<DeskPage {...base} symbols={symbols} quote={quote} />);
      },
      hidden,
    )
    .get(
      "/desk/state",
      async ({ auth, query }) => {
        const req = await desk.load(auth, form(query));
        return htmlResponse(<DeskState {...(await desk.state(auth, req))} />);
      },
      hidden,
    )
    .post(
      "/desk/order",
      action("ticket", async (auth, f, req) => {
        const o = orderFromForm(f);
        const d = req.defaults.value;
        // A new trade gets the symbol's saved bracket, its ladder fitted to the ticket's quantity (nearest
        // levels first, docs/trading-rules.md R6.1); adding to or netting a position does not replace its own.
        await ctx.trading.placeOrder(
          caller(auth),
          req.acct.name,
          req.inst.root,
          o,
          { stop: d.stop, ladder: d.ladder, timer: d.timer },
          req.prefs.atr,
          { fitLadder: true },
        );
      }),
      hidden,
    )
    .post(
      "/desk/exit",
      action("ticket", (auth, f, req) =>
        ctx.trading.exitParsed(
          caller(auth),
          req.acct.name,
          req.inst.root,
          f.all === "1" ? {} : { qty: ticketQty(f.qty) },
        ),
      ),
      hidden,
    )
    .post(
      "/desk/stop/market",
      // A stop-limit resting with its limit passed goes out at market (R3.2).
      action("position", (auth, f, req) =>
        ctx.trading.convertToMarket(caller(auth), req.acct.name, req.inst.root, { version: version(f) }),
      ),
      hidden,
    )
    .post(
      "/desk/record",
      action("ticket", (auth, f, req) =>
        ctx.trading.recordParsed(caller(auth), req.acct.name, req.inst.root, recordFromForm(f)),
      ),
      hidden,
    )
    .post(
      "/desk/cancel",
      // A resting entry limit withdrawn (the working orders' Cancel, the price ladder's ×), R1.6.
      action("position", (auth, f, req) =>
        ctx.trading.cancelOrder(caller(auth), req.acct.name, req.inst.root, orderIdFromForm(f)),
      ),
      hidden,
    )
    .post(
      "/desk/clear",
      action("ticket", (auth, _f, req) => ctx.trading.clear(caller(auth), req.acct.name, req.inst.root, {})),
      hidden,
    )
    .post(
      "/desk/stop",
      action("stop", async (auth, f, req) => {
        if (!isOpen(req)) return saveDefaults(auth, f, req, (d) => ({ ...d, stop: stopFromForm(f) }));
        const stop = f.remove === "1" ? null : stopFromForm(f);
        await ctx.trading.setStopParsed(caller(auth), req.acct.name, req.inst.root, stop, version(f), req.prefs.atr);
      }),
      hidden,
    )
    .post(
      "/desk/stop/preview",
      async ({ auth, body }) => {
        const f = form(body);
        const req = await desk.load(auth, f);
        const atr = await desk.atrFor(req.acct.replay, req.inst.root, req.prefs.atr);
        const position = ctx.trading.view(req.accountId, req.inst.root);
        const last = ctx.trading.lastPrice(req.accountId, req.inst.root) ?? 0;
        const qty = optionalInt(f.qty) ?? req.defaults.value.qty;
        return htmlResponse(<StopPreview {...stopPreview(f, req.inst, qty, position, last, atr)} />);
      },
      hidden,
    )
    .post(
      "/desk/ladder",
      action("ladder", async (auth, f, req) => {
        const levels = levelsFromForm(f);
        if (!isOpen(req)) return saveDefaults(auth, f, req, (d) => ({ ...d, ladder: levels }));
        await ctx.trading.setLadderParsed(caller(auth), req.acct.name, req.inst.root, levels, version(f));
      }),
      hidden,
    )
    .post(
      "/desk/timer",
      action("timer", async (auth, f, req) => {
        const timer = timerFromForm(f);
        if (!isOpen(req)) return saveDefaults(auth, f, req, (d) => ({ ...d, timer }));
        await ctx.trading.setTimerParsed(caller(auth), req.acct.name, req.inst.root, timer, version(f));
      }),
      hidden,
    );
}
