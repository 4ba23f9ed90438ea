import { AppError } from "../shared/app-error";
import { ctClock } from "../shared/format";
import type { AppContext } from "./app-context";
import type { AtrSettings } from "../market-data/bars/atr";
import { priceDecimals } from "../market-data/instruments/catalogue";
import { resolveSymbol } from "../market-data/instruments/symbols";
import type { ReplaySession } from "../replay/replay-session";
import type { Prefs, SymbolDefaults } from "../trading/settings-service";
import type { DeskStateProps } from "../../views/desk";
import { stopFormValues } from "../../views/desk/stop-values";
import type { Auth } from "./auth-plugin";
import type { Form } from "./desk-forms";
import { stopPreview } from "./desk-preview";
import { listAccounts } from "../persistence/repositories/accounts-repo";

/**
 * What one desk request works on, read once: the account, the instrument, the user's settings.
 * The action and the state it answers share it (a click used to read accounts and settings
 * twice each: once to act, once to render).
 */
export interface DeskRequest {
  acct: {
    name: string;
    kind: string;
    replay: ReplaySession | undefined;
    /** The desk asks before an order of more contracts than this (the account's risk settings). */
    confirmAbove: number | null;
    /** The accounts the picker offers. */
    all: { name: string; kind: string }[];
  };
  inst: DeskStateProps["inst"];
  accountId: number;
  defaults: { value: SymbolDefaults; version: number };
  prefs: Prefs;
}

export function deskRequests(ctx: AppContext) {
  /** The account asked for; a replay account only while its session is open (it is never the default). */
  async function account(auth: Auth, name: string | undefined): Promise<DeskRequest["acct"]> {
    const rows = await listAccounts(ctx.db, auth.userId, { orderBy: "kind" });
    const asked = rows.find((r) => r.name === name && (r.kind !== "replay" || ctx.replay.hostFor(r.id)));
    if (name?.startsWith("replay-") && !asked)
      throw new AppError(404, `${name} is not open: the replay was closed or the server restarted (see Replay)`);
    // Only an absent choice means "the default": a name that is not one of the user's accounts must not act on paper.
    if (name && !asked) throw new AppError(404, `account "${name}" not found`);
    const regular = rows.filter((r) => r.kind !== "replay");
    const pick = asked ?? regular.find((r) => r.kind === "paper") ?? regular[0];
    if (!pick) throw new AppError(404, "no account");
    return {
      name: pick.name,
      kind: pick.kind,
      replay: pick.kind === "replay" ? ctx.replay.hostFor(pick.id) : undefined,
      confirmAbove: pick.confirm_above,
      all: (pick.kind === "replay" ? [pick] : regular).map((a) => ({ name: a.name, kind: a.kind })),
    };
  }

  function instrument(symbol: string | undefined): DeskRequest["inst"] {
    const r = resolveSymbol(symbol || "MES");
    if (!r.ok) throw new AppError(404, r.message);
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

  /**
   * Reads the request's account, instrument and settings. `page`: a replay desk offers the
   * replay's symbols, its first one unless another is asked for.
   */
  async function load(auth: Auth, f: Form, page = false): Promise<DeskRequest> {
    const acct = await account(auth, f.account);
    if (page && acct.replay && !acct.replay.roots.includes(instrument(f.symbol).root)) f.symbol = acct.replay.roots[0];
    const inst = instrument(f.symbol);
    const accountId = await ctx.trading.accountId(auth.userId, acct.name);
    const [defaults, prefs] = await Promise.all([
      ctx.settings.symbolDefaults(auth.userId, inst.root),
      ctx.settings.prefs(auth.userId),
    ]);
    return { acct, inst, accountId, defaults, prefs: prefs.value };
  }

  /** ATR as of the account's market: the replay's own bars, or the live archive. */
  function atrFor(replay: ReplaySession | undefined, root: string, s: AtrSettings) {
    return replay ? replay.atr(root, s) : ctx.barHistory.atr(root, s);
  }

  /** The state fragment's props: the position from memory, the stored log read now. */
  async function state(auth: Auth, req: DeskRequest, extra: Partial<DeskStateProps> = {}): Promise<DeskStateProps> {
    const { acct, inst, accountId, prefs } = req;
    const [events, atr] = await Promise.all([
      ctx.trading.events(auth.userId, acct.name, inst.root, 40),
      atrFor(acct.replay, inst.root, prefs.atr),
    ]);
    const position = ctx.trading.view(accountId, inst.root);
    const lastNanos = ctx.trading.lastPrice(accountId, inst.root) ?? 0;
    const props: DeskStateProps = {
      account: acct.name,
      accountKind: acct.kind,
      inst,
      nowMs: acct.replay ? acct.replay.now() : Date.now(),
      position,
      defaults: req.defaults.value,
      defaultsVersion: req.defaults.version,
      // Exchange time, like the status bar's clock and the chart.
      events: events.map((e) => ({
        at: ctClock(new Date(e.ts ?? e.at)),
        ts: Date.parse(e.ts ?? e.at),
        actor: e.actor,
        reason: e.reason,
        kind: e.kind,
      })),
      last: lastNanos / 1e9 || null,
      atr: atr.available ? { available: true, value: atr.value / 1e9, method: atr.method, period: atr.period } : atr,
      atrMultiplier: prefs.atr.multiplier,
      confirm: prefs.confirm,
      confirmAbove: acct.confirmAbove,
      ...extra,
    };
    // The stop form's preview comes with the state: the page asks for it again only while typing.
    const open = position && position.qty > 0 ? position : null;
    const form: Form = { ...stopFormValues(props, open) };
    // Flat, the risk is the ticket's quantity's (what the next order would open).
    const qty = props.ticketQty ?? req.defaults.value.qty;
    return { ...props, stopPreview: stopPreview(form, req.inst, qty, position, lastNanos, atr) };
  }

  return { load, state, atrFor };
}
