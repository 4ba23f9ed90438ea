import type { Kysely } from "kysely";
import { ACCOUNT_MOVED } from "./ownership";
import type { z } from "zod";
import type { BarHistory } from "../market-data/archive/bar-history";
import { DEFAULT_ATR, type AtrSettings } from "../market-data/bars/atr";
import { CATALOGUE } from "../market-data/instruments/catalogue";
import { resolveSymbol } from "../market-data/instruments/symbols";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { nanosToDecimal } from "../persistence/repositories/ohlcv-repo";
import type { EngineHost } from "./engine-host";
import type { EngineService } from "./engine-service";
import { fitLadder } from "./engine/ladder-fit";
import { EngineError, type Bracket, type Command, type StopConfig, type Target } from "./engine/types";
import { positionView, type PositionView } from "./position-view";
import * as S from "./schemas";
import { ServiceError } from "./service-error";
import { sizePosition } from "./sizing";

export interface Caller {
  actor: Actor;
  userId: number;
  /** From the Idempotency-Key header: a retried request is applied once. */
  idempotencyKey?: string;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = "body"): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new ServiceError(400, S.describeIssue(r.error, prefix));
  return r.data;
}

const toTarget = (t: S.TargetInput): Target => t as Target;

function toStop(s: S.StopInput): StopConfig {
  return {
    kind: s.kind,
    initial: s.initial as StopConfig["initial"],
    limitOffsetTicks: s.limitOffsetTicks,
    trailBy: s.trailBy as Target | undefined,
    trailAfterTp1: s.trailAfterTp1,
    breakevenAfterTp1: s.breakevenAfterTp1 ?? null,
  };
}

/**
 * What the trader asks for, in the app's words: validated, tied to the caller's own accounts,
 * turned into engine commands. The JSON API and the pages are both thin controllers over this.
 */
export class TradingService {
  private replayHost: (accountId: number) => EngineHost | undefined = () => undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly engine: EngineService,
    private readonly bars: BarHistory,
    /** How long a market order waits for a symbol's first print (right after a start the feed is still connecting). */
    private readonly priceWaitMs = 3_000,
  ) {}

  /** Replay sessions run their accounts on engines of their own. */
  useReplayHosts(resolve: (accountId: number) => EngineHost | undefined): void {
    this.replayHost = resolve;
  }

  /** (user, name) → account: accounts are never renamed or removed, so each is read once. */
  private readonly accountRows = new Map<string, { id: number; kind: string }>();

  async accountId(userId: number, name: string): Promise<number> {
    const key = `${userId}/${name}`;
    let row = this.accountRows.get(key);
    if (!row) {
      row = await this.db
        .selectFrom("accounts")
        .select(["id", "kind"])
        .where("user_id", "=", userId)
        .where("name", "=", name)
        .executeTakeFirst();
      if (!row) throw new ServiceError(404, `account "${name}" not found`);
      this.accountRows.set(key, row);
    }
    if (row.kind !== "replay" && !this.engine.account(row.id)) {
      await this.engine.reloadAccounts();
      // On a shared database another instance may run it (its shard moved while this request ran): a retry reaches it.
      if (!this.engine.account(row.id)) throw new ServiceError(503, ACCOUNT_MOVED);
    }
    return row.id;
  }

  /** The engine an account trades on; a replay account whose session is gone has none. */
  hostFor(accountId: number): EngineHost {
    const replay = this.replayHost(accountId);
    if (replay) return replay;
    if (!this.engine.account(accountId))
      throw new ServiceError(
        409,
        "this replay is no longer running (it ended, or the server restarted); start a new one on the Replay page",
      );
    return this.engine;
  }

  symbol(input: string): string {
    if (typeof input !== "string") throw new ServiceError(400, "symbol: a symbol such as MES or MES1!");
    const r = resolveSymbol(input);
    if (!r.ok) throw new ServiceError(404, r.message);
    return r.value.instrument.root;
  }

  view(accountId: number, symbol: string): PositionView | null {
    const host = this.replayHost(accountId) ?? this.engine;
    const p = host.engine.position(accountId, symbol);
    if (!p) return null;
    return positionView(
      p as never,
      host.spec(symbol),
      host.engine.lastPrice(symbol),
      host.account(accountId)?.name ?? String(accountId),
      {
        orders: host.engine.workingOrders(),
        downSinceMs: host.engine.feedDownSince(symbol),
      },
    );
  }

  /** The last print an account's engine has seen (replay accounts: the replay's). */
  lastPrice(accountId: number, symbol: string): number | undefined {
    return (this.replayHost(accountId) ?? this.engine).engine.lastPrice(symbol);
  }

  async positions(userId: number, accountName?: string): Promise<PositionView[]> {
    // From memory: every open position of the user's accounts is in the engine this instance runs for them.
    const only = accountName ? await this.accountId(userId, accountName) : undefined;
    const out: PositionView[] = [];
    for (const p of this.engine.engine.allPositions()) {
      if (
        p.qty === 0 ||
        (only !== undefined ? p.accountId !== only : this.engine.account(p.accountId)?.userId !== userId)
      )
        continue;
      out.push(this.view(p.accountId, p.symbol)!);
    }
    return out.sort((a, b) => a.account.localeCompare(b.account) || a.symbol.localeCompare(b.symbol));
  }

  private async run(
    c: Caller,
    account: string,
    symbolInput: string,
    command: Command | ((host: EngineHost, symbol: string) => Command | Promise<Command>),
    version?: number,
  ) {
    const accountId = await this.accountId(c.userId, account);
    const symbol = this.symbol(symbolInput);
    const host = this.hostFor(accountId);
    const cmd = typeof command === "function" ? await command(host, symbol) : command;
    try {
      const idempotencyKey = c.idempotencyKey ? `${c.userId}:${c.idempotencyKey}` : undefined;
      await host.command({
        type: "command",
        accountId,
        symbol,
        command: cmd,
        actor: c.actor,
        expectedVersion: version,
        tsMs: host.now(),
        idempotencyKey,
      });
    } catch (err) {
      if (err instanceof EngineError) {
        const current = this.view(accountId, symbol);
        // A conflict says what the position is now, so the trader can decide again.
        const now =
          err.status === 409 && current && current.qty > 0
            ? ` — now ${current.side} ${current.qty} @ ${current.avgEntry}, stop ${current.stop ? current.stop.price : "none"}${current.ladder.length ? `, TPs ${current.ladder.map((l) => `${l.qty}@${l.price}${l.status === "armed" ? "" : ` ${l.status}`}`).join(" ")}` : ""}`
            : "";
        throw new ServiceError(err.status, err.message + now, err.status === 409 ? { current } : undefined);
      }
      throw err;
    }
    return this.view(accountId, symbol);
  }

  /**
   * The print a market order is placed at. Right after a start the feed may not have printed the
   * symbol yet: the order waits for it, a bounded while, instead of being refused at once — but
   * not when the symbol is known to have no prices (an outage) or in a replay (its tape decides).
   */
  private async refPrice(symbol: string, host: EngineHost): Promise<number> {
    const deadline = Date.now() + (host === this.engine && !host.engine.feedDownSince(symbol) ? this.priceWaitMs : 0);
    for (;;) {
      const last = host.engine.lastPrice(symbol);
      if (last) return last;
      if (Date.now() >= deadline) break;
      await Bun.sleep(25);
    }
    const down = host.engine.feedDownSince(symbol);
    throw new ServiceError(
      409,
      down
        ? `${symbol} has no prices (the feed is down); cannot place a market order — exits still work`
        : `${symbol} has no price yet (the feed has not printed it); cannot place a market order`,
    );
  }

  private async atrFor(
    symbol: string,
    stop: S.StopInput | null | undefined,
    atr: AtrSettings = DEFAULT_ATR,
    host?: EngineHost,
  ) {
    if (stop?.initial.unit !== "atr") return undefined;
    const r = host?.atr ? await host.atr(symbol, atr) : await this.bars.atr(symbol, atr);
    return r.available ? { value: r.value } : { unavailable: r.reason };
  }

  async order(c: Caller, account: string, symbolInput: string, body: unknown, atrSettings?: AtrSettings) {
    const b = parse(S.orderBody, body);
    return this.placeOrder(
      c,
      account,
      symbolInput,
      { side: b.side, qty: b.qty, type: b.type, limitPrice: b.limitPrice, version: b.version },
      b.bracket,
      atrSettings,
    );
  }

  /** An order with its bracket already parsed (the desk sends the symbol's saved defaults). */
  async placeOrder(
    c: Caller,
    account: string,
    symbolInput: string,
    o: { side: "buy" | "sell"; qty: number; type?: "market" | "limit"; limitPrice?: number; version?: number },
    b:
      | {
          ladder?: { enabled: boolean; qty: number; target: S.TargetInput }[];
          stop?: S.StopInput | null;
          timer?: S.TimerInput | null;
        }
      | undefined,
    atrSettings?: AtrSettings,
    opts: { fitLadder?: boolean } = {},
  ) {
    return this.run(
      c,
      account,
      symbolInput,
      async (host, symbol) => {
        const atr = await this.atrFor(symbol, b?.stop, atrSettings, host);
        if (atr && "unavailable" in atr)
          throw new ServiceError(
            400,
            `ATR stop refused: ATR is unavailable (${atr.unavailable}); set the stop by points or ticks`,
          );
        const refPrice = await this.refPrice(symbol, host);
        let ladder = b?.ladder?.map((l) => ({ enabled: l.enabled, qty: l.qty, target: toTarget(l.target) }));
        if (ladder && opts.fitLadder) {
          // The desk's saved default ladder may hold more contracts than the ticket: it is cut to fit (R6.1).
          const tick = host.spec(symbol)?.tick ?? 1;
          ladder = fitLadder(ladder, o.qty, (t) =>
            t.unit === "ticks" ? t.value * tick : t.unit === "points" ? t.value : Math.abs(t.value - refPrice),
          ).levels;
        }
        const bracket: Bracket | undefined = b
          ? {
              ladder,
              stop: b.stop ? toStop(b.stop) : null,
              atr: atr && "value" in atr ? atr.value : undefined,
              timer: b.timer
                ? { durationMs: b.timer.seconds * 1000, action: b.timer.action, mode: b.timer.mode }
                : null,
            }
          : undefined;
        return {
          kind: "order",
          side: o.side,
          qty: o.qty,
          orderType: o.type,
          limitPrice: o.limitPrice,
          refPrice,
          bracket,
        };
      },
      o.version,
    );
  }

  async record(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.recordBody, body);
    return this.run(
      c,
      account,
      symbol,
      { kind: "record", side: b.side, qty: b.qty, entryPrice: b.entryPrice },
      b.version,
    );
  }

  async exit(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.exitBody, body);
    return this.run(
      c,
      account,
      symbol,
      (host, root) => ({ kind: "exit", qty: b.qty, refPrice: host.engine.lastPrice(root) }),
      b.version,
    );
  }

  /** A stop-limit that rests with its limit passed becomes a market exit (docs/trading-rules.md R3.2). */
  async convertToMarket(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.exitBody.pick({ version: true }), body);
    return this.run(c, account, symbol, { kind: "convert-to-market" }, b.version);
  }

  async clear(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.exitBody.pick({ version: true }), body);
    return this.run(c, account, symbol, { kind: "clear" }, b.version);
  }

  async setLadder(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.ladderBody, body);
    return this.run(
      c,
      account,
      symbol,
      {
        kind: "set-ladder",
        levels: b.levels.map((l) => ({ enabled: l.enabled, qty: l.qty, target: toTarget(l.target) })),
      },
      b.version,
    );
  }

  async updateLevel(c: Caller, account: string, symbol: string, index: string, body: unknown) {
    const i = Number(index);
    if (!Number.isInteger(i) || i < 0 || i > 100) throw new ServiceError(404, `TP${index}: no such level`);
    const b = parse(S.levelPatchBody, body);
    return this.run(
      c,
      account,
      symbol,
      {
        kind: "update-level",
        index: i,
        patch: { enabled: b.enabled, qty: b.qty, target: b.target ? toTarget(b.target) : undefined },
      },
      b.version,
    );
  }

  async setStop(c: Caller, account: string, symbolInput: string, body: unknown, atrSettings?: AtrSettings) {
    const b = parse(S.stopBody, body);
    return this.setStopParsed(c, account, symbolInput, b.stop, b.version, atrSettings);
  }

  async setStopParsed(
    c: Caller,
    account: string,
    symbolInput: string,
    stop: S.StopInput | null,
    version: number | undefined,
    atrSettings?: AtrSettings,
  ) {
    return this.run(
      c,
      account,
      symbolInput,
      async (host, symbol) => ({
        kind: "set-stop",
        stop: stop ? toStop(stop) : null,
        atr: await this.atrFor(symbol, stop, atrSettings, host),
      }),
      version,
    );
  }

  async setLadderParsed(
    c: Caller,
    account: string,
    symbol: string,
    levels: { enabled: boolean; qty: number; target: S.TargetInput }[],
    version: number | undefined,
  ) {
    return this.run(
      c,
      account,
      symbol,
      {
        kind: "set-ladder",
        levels: levels.map((l) => ({ enabled: l.enabled, qty: l.qty, target: toTarget(l.target) })),
      },
      version,
    );
  }

  async setTimerParsed(
    c: Caller,
    account: string,
    symbol: string,
    timer: S.TimerInput | null,
    version: number | undefined,
  ) {
    return this.run(
      c,
      account,
      symbol,
      {
        kind: "set-timer",
        timer: timer ? { durationMs: timer.seconds * 1000, action: timer.action, mode: timer.mode } : null,
      },
      version,
    );
  }

  async moveStop(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.moveStopBody, body);
    return this.run(c, account, symbol, { kind: "move-stop", price: b.price }, b.version);
  }

  async setTimer(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.timerBody, body);
    return this.run(
      c,
      account,
      symbol,
      {
        kind: "set-timer",
        timer: b.timer ? { durationMs: b.timer.seconds * 1000, action: b.timer.action, mode: b.timer.mode } : null,
      },
      b.version,
    );
  }

  /** Route (paper / webhook), the webhook URL (write-only, kept encrypted) and commission of an account. */
  async setExecution(
    c: Caller,
    account: string,
    body: unknown,
    secrets: {
      set(scope: string, name: string, value: string, actor: Actor): Promise<void>;
      delete(scope: string, name: string, actor: Actor): Promise<boolean>;
    },
  ) {
    const b = parse(S.executionBody, body);
    const accountId = await this.accountId(c.userId, account);
    const row = await this.db
      .selectFrom("accounts")
      .select(["kind"])
      .where("id", "=", accountId)
      .executeTakeFirstOrThrow();
    if (b.route === "webhook" && row.kind !== "live")
      throw new ServiceError(
        400,
        `body.route: only a live account can send orders to a webhook (${account} is ${row.kind})`,
      );
    if (b.webhookUrl !== undefined && row.kind !== "live")
      throw new ServiceError(400, `body.webhookUrl: ${account} is a ${row.kind} account; it never sends orders out`);
    if (b.webhookUrl) await secrets.set("webhook", `account:${accountId}`, b.webhookUrl, c.actor);
    else if (b.webhookUrl === null) await secrets.delete("webhook", `account:${accountId}`, c.actor);
    if (b.route !== undefined || b.commission !== undefined) {
      await this.db.transaction().execute(async (trx) => {
        await trx
          .updateTable("accounts")
          .set({
            ...(b.route ? { execution: b.route } : {}),
            ...(b.commission !== undefined ? { commission: nanosToDecimal(b.commission) } : {}),
          })
          .where("id", "=", accountId)
          .execute();
        await appendEvent(trx, {
          actor: c.actor,
          accountId,
          kind: "account.execution",
          reason: `${account}: ${[b.route ? `route ${b.route}` : "", b.commission !== undefined ? `commission $${(b.commission / 1e9).toFixed(2)} per contract per side` : ""].filter(Boolean).join(", ")}`,
        });
      });
    }
    await this.engine.reloadAccounts();
    if (b.commission !== undefined) this.replayHost(accountId)?.setCommission?.(BigInt(b.commission));
  }

  sizing(query: unknown) {
    const q = parse(S.sizingQuery, query, "query");
    const inst = CATALOGUE.find((i) => i.root === this.symbol(q.symbol))!;
    const mini = inst.family === "mini" ? inst : CATALOGUE.find((i) => i.root === inst.pair)!;
    const micro = inst.family === "micro" ? inst : CATALOGUE.find((i) => i.root === inst.pair)!;
    const distance =
      q.stopPoints !== undefined
        ? BigInt(q.stopPoints)
        : q.stopTicks !== undefined
          ? BigInt(q.stopTicks) * inst.tickSize
          : undefined;
    if (distance === undefined) throw new ServiceError(400, "query: give stopPoints or stopTicks");
    return {
      symbol: inst.root,
      risk: q.risk / 1e9,
      stop: Number(distance) / 1e9,
      ...sizePosition(mini, micro, BigInt(q.risk), distance),
    };
  }

  async events(userId: number, account: string, symbol: string | undefined, limit = 100) {
    const accountId = await this.accountId(userId, account);
    let q = this.db
      .selectFrom("events")
      .select(["id", "at", "kind", "actor", "reason", "symbol", "trade_id", "data"])
      .where("account_id", "=", accountId);
    if (symbol) q = q.where("symbol", "=", this.symbol(symbol));
    const rows = await q
      .orderBy("id", "desc")
      .limit(Math.min(Math.max(1, limit), 1000))
      .execute();
    return rows.map((r) => {
      // The engine's own time of the event: replay time in a replay, else (nearly) `at`.
      const data = (typeof r.data === "string" ? JSON.parse(r.data) : r.data) as { ts?: number } | null;
      const ts = typeof data?.ts === "number" ? new Date(data.ts).toISOString() : undefined;
      return {
        id: Number(r.id),
        at: new Date(r.at).toISOString(),
        ...(ts ? { ts } : {}),
        kind: r.kind,
        actor: r.actor,
        symbol: r.symbol,
        tradeId: r.trade_id,
        reason: r.reason,
      };
    });
  }

  async journal(
    userId: number,
    filter: { account?: string; symbol?: string; from?: number; to?: number; tag?: string },
  ) {
    let q = this.db
      .selectFrom("closed_trades as t")
      .innerJoin("accounts as a", "a.id", "t.account_id")
      .select([
        "t.trade_id",
        "a.name as account",
        "t.symbol",
        "t.side",
        "t.qty",
        "t.entry",
        "t.exit",
        "t.opened_at",
        "t.closed_at",
        "t.realized",
        "t.commissions",
        "t.exit_reasons",
        "t.tags",
      ])
      .where("a.user_id", "=", userId);
    if (filter.account) q = q.where("a.name", "=", filter.account);
    // Practice stays apart from real results: replay trades only when asked for.
    q =
      filter.tag === "replay"
        ? q.where("a.kind", "=", "replay")
        : filter.account
          ? q
          : q.where("a.kind", "<>", "replay");
    if (filter.symbol) q = q.where("t.symbol", "=", this.symbol(filter.symbol));
    if (filter.from !== undefined) q = q.where("t.closed_at", ">=", new Date(filter.from));
    if (filter.to !== undefined) q = q.where("t.closed_at", "<", new Date(filter.to));
    const rows = await q.orderBy("t.closed_at", "desc").limit(10_000).execute();
    const trades = rows.map((r) => {
      const net = Number(r.realized) - Number(r.commissions);
      return {
        tradeId: r.trade_id,
        account: r.account,
        symbol: r.symbol,
        side: r.side,
        qty: r.qty,
        entry: Number(r.entry),
        exit: Number(r.exit),
        openedAt: new Date(r.opened_at).toISOString(),
        closedAt: new Date(r.closed_at).toISOString(),
        realized: Math.round(Number(r.realized) * 100) / 100,
        commissions: Math.round(Number(r.commissions) * 100) / 100,
        net: Math.round(net * 100) / 100,
        exitReasons: (typeof r.exit_reasons === "string" ? JSON.parse(r.exit_reasons) : r.exit_reasons) as string[],
        tags: r.tags,
      };
    });
    const wins = trades.filter((t) => t.net > 0);
    const losses = trades.filter((t) => t.net < 0);
    const sum = (xs: { net: number }[]) => Math.round(xs.reduce((n, t) => n + t.net, 0) * 100) / 100;
    return {
      trades,
      summary: {
        trades: trades.length,
        wins: wins.length,
        losses: losses.length,
        winRate: trades.length ? Math.round((wins.length / trades.length) * 1000) / 10 : null,
        net: sum(trades),
        grossWin: sum(wins),
        grossLoss: sum(losses),
        profitFactor: losses.length && sum(losses) !== 0 ? Math.round((sum(wins) / -sum(losses)) * 100) / 100 : null,
        avgWin: wins.length ? Math.round((sum(wins) / wins.length) * 100) / 100 : null,
        avgLoss: losses.length ? Math.round((sum(losses) / losses.length) * 100) / 100 : null,
      },
    };
  }
}

export const JOURNAL_CSV_HEADER =
  "trade_id,account,symbol,side,qty,entry,exit,opened_at,closed_at,realized,commissions,net,exit_reasons,tags";
export function journalCsv(trades: Awaited<ReturnType<TradingService["journal"]>>["trades"]): string {
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  return (
    [
      JOURNAL_CSV_HEADER,
      ...trades.map((t) =>
        [
          t.tradeId,
          t.account,
          t.symbol,
          t.side,
          t.qty,
          t.entry,
          t.exit,
          t.openedAt,
          t.closedAt,
          t.realized.toFixed(2),
          t.commissions.toFixed(2),
          t.net.toFixed(2),
          q(t.exitReasons.join(" | ")),
          q(t.tags.join(" ")),
        ].join(","),
      ),
    ].join("\n") + "\n"
  );
}

export { nanosToDecimal };
