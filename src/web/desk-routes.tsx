import { Html } from "@elysiajs/html";
import { Elysia } from "elysia";
import { z } from "zod";
import type { AppContext } from "../app/context";
import { CATALOGUE, priceDecimals } from "../market-data/instruments/catalogue";
import { resolveSymbol } from "../market-data/instruments/symbols";
import { describeIssue, stopSchema, targetSchema } from "../trading/schemas";
import { ServiceError } from "../trading/service-error";
import type { SymbolDefaults } from "../trading/settings-service";
import type { Caller } from "../trading/trading-service";
import { DeskPage, DeskState, type DeskStateProps } from "../../views/desk";
import type { AtrSettings } from "../market-data/bars/atr";
import type { ReplaySession } from "../replay/replay-session";
import { replayPanel } from "./replay-routes";
import { authPlugin, type Auth } from "./auth-plugin";
import { htmlResponse } from "./html-response";
import { pageUser } from "./pages";
import { formVersion } from "./params";

type Form = Record<string, string | undefined>;

/** Form bodies as single strings: a repeated field (two inputs of one name) keeps its first value. */
function form(body: unknown): Form {
  const out: Form = {};
  if (!body || typeof body !== "object") return out;
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    const first = Array.isArray(v) ? v[0] : v;
    if (typeof first === "string") out[k] = first;
    else if (typeof first === "number" || typeof first === "boolean") out[k] = String(first);
  }
  return out;
}
type ErrorFor = NonNullable<DeskStateProps["error"]>["for"];

const levelInput = z.object({
  enabled: z.boolean(),
  qty: z.coerce.number().int().min(1).max(10_000),
  target: targetSchema,
});
const timerInput = z.object({
  seconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
  action: z.enum(["hold", "exit", "reverse", "breakeven"]),
  mode: z.enum(["unless-profit", "regardless"]),
});

function parse<T extends z.ZodType>(schema: T, input: unknown, field: string): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ServiceError(400, describeIssue(r.error, field));
  return r.data;
}

const CT_TIME = new Intl.DateTimeFormat("en-GB", {
  timeZone: "America/Chicago",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** The ticket's quantity as typed, for re-rendering it; anything not a whole number is just left out. */
const optionalInt = (v: string | undefined) => (v !== undefined && /^\d{1,9}$/.test(v) ? Number(v) : undefined);

/**
 * The desk's HTML controller: form posts become trading-service calls; every answer is the
 * re-rendered position state, with a refusal shown next to the control that caused it.
 */
export function deskRoutes(ctx: AppContext) {
  const caller = (auth: Auth): Caller => ({ actor: auth.actor, userId: auth.userId });

  /** The account asked for; a replay account only while its session is open (it is never the default). */
  async function account(auth: Auth, name: string | undefined) {
    const rows = await ctx.db
      .selectFrom("accounts")
      .select(["id", "name", "kind"])
      .where("user_id", "=", auth.userId)
      .orderBy("kind")
      .execute();
    const asked = rows.find((r) => r.name === name && (r.kind !== "replay" || ctx.replay.hostFor(r.id)));
    if (name?.startsWith("replay-") && !asked)
      throw new ServiceError(404, `${name} is not open: the replay was closed or the server restarted (see Replay)`);
    // Only an absent choice means "the default": a name that is not one of the user's accounts must not act on paper.
    if (name && !asked) throw new ServiceError(404, `account "${name}" not found`);
    const regular = rows.filter((r) => r.kind !== "replay");
    const pick = asked ?? regular.find((r) => r.kind === "paper") ?? regular[0];
    if (!pick) throw new ServiceError(404, "no account");
    return {
      name: pick.name,
      kind: pick.kind,
      replay: pick.kind === "replay" ? ctx.replay.hostFor(pick.id) : undefined,
      all: pick.kind === "replay" ? [pick] : regular,
    };
  }

  /** ATR as of the account's market: the replay's own bars, or the live archive. */
  function atrFor(replay: ReplaySession | undefined, root: string, s: AtrSettings) {
    return replay ? replay.atr(root, s) : ctx.barHistory.atr(root, s);
  }

  function instrument(symbol: string | undefined) {
    const r = resolveSymbol(symbol || "MES");
    if (!r.ok) throw new ServiceError(404, r.message);
    const i = ctx.instruments.get(r.value.instrument.root)!;
    return {
      root: i.root,
      name: i.name,
      family: i.family,
      pair: i.pair,
      tick: Number(i.tickSize) / 1e9,
      decimals: priceDecimals(i),
      pointValue: Number(i.pointValue) / 1e9,
    };
  }

  async function state(auth: Auth, f: Form, extra: Partial<DeskStateProps> = {}): Promise<DeskStateProps> {
    const acct = await account(auth, f.account);
    const inst = instrument(f.symbol);
    const accountId = await ctx.trading.accountId(auth.userId, acct.name);
    const [defaults, prefs, events] = await Promise.all([
      ctx.settings.symbolDefaults(auth.userId, inst.root),
      ctx.settings.prefs(auth.userId),
      ctx.trading.events(auth.userId, acct.name, inst.root, 40),
    ]);
    const atr = await atrFor(acct.replay, inst.root, prefs.value.atr);
    return {
      account: acct.name,
      accountKind: acct.kind,
      inst,
      nowMs: acct.replay ? acct.replay.now() : Date.now(),
      position: ctx.trading.view(accountId, inst.root),
      defaults: defaults.value,
      defaultsVersion: defaults.version,
      // Exchange time, like the status bar's clock and the chart.
      events: events.map((e) => ({
        at: CT_TIME.format(new Date(e.ts ?? e.at)),
        actor: e.actor,
        reason: e.reason,
        kind: e.kind,
      })),
      last: (ctx.trading.lastPrice(accountId, inst.root) ?? 0) / 1e9 || null,
      atr: atr.available ? { available: true, value: atr.value / 1e9, method: atr.method, period: atr.period } : atr,
      atrMultiplier: prefs.value.atr.multiplier,
      confirm: prefs.value.confirm,
      ...extra,
    };
  }

  /** Runs an action; answers the state, with the refusal next to `where` if it failed. */
  async function act(auth: Auth, f: Form, where: ErrorFor, fn: () => Promise<unknown>) {
    try {
      await fn();
      return htmlResponse(<DeskState {...(await state(auth, f, { ticketQty: optionalInt(f.qty) }))} />);
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      return htmlResponse(
        <DeskState
          {...(await state(auth, f, { error: { for: where, message: err.message }, ticketQty: optionalInt(f.qty) }))}
        />,
        err.status,
      );
    }
  }

  const isOpen = async (auth: Auth, f: Form) => {
    const acct = await account(auth, f.account);
    const p = ctx.trading.view(await ctx.trading.accountId(auth.userId, acct.name), instrument(f.symbol).root);
    return { open: Boolean(p && p.qty > 0), account: acct.name, root: instrument(f.symbol).root };
  };

  const version = (f: Form) => formVersion(f.version, "version");

  async function saveDefaults(auth: Auth, f: Form, root: string, change: (d: SymbolDefaults) => SymbolDefaults) {
    const cur = await ctx.settings.symbolDefaults(auth.userId, root);
    await ctx.settings.setSymbolDefaults(
      auth.userId,
      root,
      change(cur.value),
      formVersion(f.dversion, "dversion"),
      auth.actor,
    );
  }

  function stopFromForm(f: Form) {
    const kind = f.kind ?? "fixed";
    const unit = f.unit === "ticks" ? "ticks" : "points";
    const initial = f.mode === "atr" ? { unit: "atr", multiplier: f.multiplier } : { unit, value: f.amount };
    const trail = f.trailBy
      ? { unit: "points", value: f.trailBy }
      : kind === "trailing" && f.mode !== "atr"
        ? initial
        : undefined;
    return parse(
      stopSchema,
      {
        kind,
        initial,
        trailBy: trail,
        limitOffsetTicks: kind === "stop-limit" ? f.limitOffsetTicks || "0" : undefined,
        trailAfterTp1: f.trailAfterTp1 === "1",
        breakevenAfterTp1: f.breakeven === "1" ? { offsetTicks: 1, thenTrail: f.thenTrail === "1" } : null,
      },
      "stop",
    );
  }

  function levelsFromForm(f: Form) {
    const n = Math.min(Number(f.count ?? 0) || 0, 20);
    const out: z.infer<typeof levelInput>[] = [];
    for (let i = 0; i < n; i++) {
      // Pending or filled rows are not editable (their inputs are disabled and not sent).
      if (f[`qty_${i}`] === undefined || String(i) === f.remove) continue;
      out.push(
        parse(
          levelInput,
          {
            enabled: f[`enabled_${i}`] === "1",
            qty: f[`qty_${i}`],
            target: { unit: f[`unit_${i}`], value: f[`value_${i}`] },
          },
          `TP${i + 1}`,
        ),
      );
    }
    if (f.add)
      out.push(
        parse(
          levelInput,
          { enabled: true, qty: 1, target: { unit: "ticks", value: 8 * (out.length + 1) } },
          "new level",
        ),
      );
    return out;
  }

  return new Elysia({ name: "desk" })
    .use(authPlugin(ctx))
    .get(
      "/desk",
      async ({ auth, query }) => {
        const f = form(query);
        const acct = await account(auth, f.account);
        const replay = acct.replay;
        // A replay desk offers the replay's symbols; its first one unless another is asked for.
        if (replay && !replay.roots.includes(instrument(f.symbol).root)) f.symbol = replay.roots[0];
        const s = await state(auth, f);
        const accounts = acct.all.map((a) => ({ name: a.name, kind: a.kind }));
        if (replay) {
          const i = replay.roots.indexOf(s.inst.root);
          const num = (v: number | undefined) => (v === undefined || v !== v ? null : v / 1e9);
          const symbols = replay.roots.map((r) => ({ root: r, name: ctx.instruments.get(r)?.name ?? r }));
          return htmlResponse(
            <DeskPage
              {...s}
              user={pageUser(auth, ctx)}
              accounts={accounts}
              symbols={symbols}
              quote={{ bid: num(replay.bid[i]), ask: num(replay.ask[i]) }}
              replay={replayPanel(replay)}
            />,
          );
        }
        const q = ctx.priceHub.snapshot(s.inst.root).quote as { b?: number | null; a?: number | null } | undefined;
        const symbols = CATALOGUE.filter((i) => i.family === s.inst.family).map((i) => ({
          root: i.root,
          name: i.name,
        }));
        return htmlResponse(
          <DeskPage
            {...s}
            user={pageUser(auth, ctx)}
            accounts={accounts}
            symbols={symbols}
            quote={q ? { bid: q.b ?? null, ask: q.a ?? null } : null}
          />,
        );
      },
      { detail: { hide: true } },
    )
    .get("/desk/state", async ({ auth, query }) => htmlResponse(<DeskState {...(await state(auth, form(query)))} />), {
      detail: { hide: true },
    })
    .post(
      "/desk/order",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "ticket", async () => {
          const { account: name, root } = await isOpen(auth, f);
          const side = f.side === "sell" ? "sell" : f.side === "buy" ? "buy" : undefined;
          if (!side) throw new ServiceError(400, "side: Buy or Sell");
          const qty = Number(f.qty);
          if (!Number.isInteger(qty) || qty < 1)
            throw new ServiceError(400, "quantity: a whole number of contracts ≥ 1");
          const d = (await ctx.settings.symbolDefaults(auth.userId, root)).value;
          const prefs = (await ctx.settings.prefs(auth.userId)).value;
          // A new trade gets the symbol's saved bracket, its ladder fitted to the ticket's quantity (nearest
          // levels first, docs/trading-rules.md R6.1); adding to or netting a position does not replace its own.
          await ctx.trading.placeOrder(
            caller(auth),
            name,
            root,
            { side, qty },
            { stop: d.stop, ladder: d.ladder, timer: d.timer },
            prefs.atr,
            { fitLadder: true },
          );
        });
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/exit",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "ticket", () =>
          ctx.trading.exit(caller(auth), f.account ?? "paper", f.symbol ?? "", f.all === "1" ? {} : { qty: f.qty }),
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/stop/market",
      async ({ auth, body }) => {
        const f = form(body);
        // A stop-limit resting with its limit passed goes out at market (R3.2).
        return act(auth, f, "position", () =>
          ctx.trading.convertToMarket(caller(auth), f.account ?? "paper", f.symbol ?? "", { version: version(f) }),
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/record",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "ticket", () =>
          ctx.trading.record(caller(auth), f.account ?? "paper", f.symbol ?? "", {
            side: f.side,
            qty: f.qty,
            entryPrice: f.entryPrice,
          }),
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/clear",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "ticket", () => ctx.trading.clear(caller(auth), f.account ?? "paper", f.symbol ?? "", {}));
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/stop",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "stop", async () => {
          const { open, account: name, root } = await isOpen(auth, f);
          const prefs = (await ctx.settings.prefs(auth.userId)).value;
          if (open)
            await ctx.trading.setStopParsed(
              caller(auth),
              name,
              root,
              f.remove === "1" ? null : stopFromForm(f),
              version(f),
              prefs.atr,
            );
          else await saveDefaults(auth, f, root, (d) => ({ ...d, stop: stopFromForm(f) }));
        });
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/stop/preview",
      async ({ auth, body }) => {
        const f = form(body);
        const inst = instrument(f.symbol);
        const acct = await account(auth, f.account);
        const accountId = await ctx.trading.accountId(auth.userId, acct.name);
        const p = ctx.trading.view(accountId, inst.root);
        const prefs = (await ctx.settings.prefs(auth.userId)).value;
        const atr = await atrFor(acct.replay, inst.root, prefs.atr);
        const last = (ctx.trading.lastPrice(accountId, inst.root) ?? 0) / 1e9;
        const open = p && p.qty > 0 ? p : null;
        const ref = open?.avgEntry ?? last;
        const side = open?.side ?? "long";
        const qty = open?.qty ?? (await ctx.settings.symbolDefaults(auth.userId, inst.root)).value.qty;
        let distance: number | undefined;
        let note = "";
        try {
          const stop = stopFromForm(f);
          if (stop.initial.unit === "atr") {
            if (!atr.available) note = `ATR unavailable: ${atr.reason} — the stop would be refused`;
            else distance = Math.ceil(((atr.value / 1e9) * stop.initial.multiplier) / inst.tick - 1e-9) * inst.tick;
          } else if (stop.initial.unit === "ticks") distance = stop.initial.value * inst.tick;
          else if (stop.initial.unit === "points")
            distance = Math.ceil(stop.initial.value / 1e9 / inst.tick - 1e-9) * inst.tick;
        } catch (err) {
          note = (err as Error).message;
        }
        if (!ref) note ||= "no price yet";
        const text =
          distance !== undefined && ref
            ? `Stop ${(side === "long" ? ref - distance : ref + distance).toFixed(inst.decimals)} · risk $${(distance * inst.pointValue * qty).toFixed(2)} for ${qty} (${Math.round(distance / inst.tick)} ticks)${atr.available ? ` · ATR ${(atr.value / 1e9).toFixed(inst.decimals)}` : ""}`
            : note;
        return htmlResponse(
          <span class={distance !== undefined && ref ? "" : "short"} data-stop-preview safe>
            {text}
          </span>,
        );
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/ladder",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "ladder", async () => {
          const { open, account: name, root } = await isOpen(auth, f);
          const levels = levelsFromForm(f);
          if (open) await ctx.trading.setLadderParsed(caller(auth), name, root, levels, version(f));
          else await saveDefaults(auth, f, root, (d) => ({ ...d, ladder: levels }));
        });
      },
      { detail: { hide: true } },
    )
    .post(
      "/desk/timer",
      async ({ auth, body }) => {
        const f = form(body);
        return act(auth, f, "timer", async () => {
          const { open, account: name, root } = await isOpen(auth, f);
          const minutes = Number(f.minutes);
          const timer =
            f.off === "1"
              ? null
              : parse(timerInput, { seconds: Math.round(minutes * 60), action: f.action, mode: f.mode }, "timer");
          if (open) await ctx.trading.setTimerParsed(caller(auth), name, root, timer, version(f));
          else await saveDefaults(auth, f, root, (d) => ({ ...d, timer }));
        });
      },
      { detail: { hide: true } },
    );
}
