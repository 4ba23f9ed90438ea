import type { Kysely } from "kysely";
import type { BarHistory } from "../market-data/archive/bar-history";
import { DEFAULT_ATR, type AtrSettings } from "../market-data/bars/atr";
import { resolveSymbol } from "../market-data/instruments/symbols";
import type { Database } from "../persistence/database";
import type { Actor } from "../persistence/events";
import { findAccount } from "../persistence/repositories/accounts-repo";
import { AppError } from "../shared/app-error";
import { parse } from "../shared/parse";
import { applyExecution, type WebhookSecrets } from "./account-execution";
import {
  describeNow,
  toBracket,
  toLevels,
  toStop,
  toTarget,
  toTimer,
  type BracketInput,
  type LevelInput,
} from "./command-input";
import type { EngineHost } from "./engine-host";
import type { EngineService } from "./engine-service";
import { fitLadder } from "./engine/ladder-fit";
import { EngineError, type Command } from "./engine/types";
import { ACCOUNT_MOVED } from "./ownership";
import { positionView, type PositionView } from "./position-view";
import * as S from "./schemas";
import { sizeForQuery } from "./sizing";
import { readEvents, readJournal, type JournalFilter } from "./trade-journal";

export interface Caller {
  actor: Actor;
  userId: number;
  /** From the Idempotency-Key header: a retried request is applied once. */
  idempotencyKey?: string;
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
  private readonly accountRows = new Map<string, { id: number; name: string; kind: string }>();

  async accountId(userId: number, name: string): Promise<number> {
    return (await this.account(userId, name)).id;
  }

  private async account(userId: number, name: string) {
    const key = `${userId}/${name}`;
    let row = this.accountRows.get(key);
    if (!row) {
      row = await findAccount(this.db, userId, name);
      if (!row) throw new AppError(404, `account "${name}" not found`);
      this.accountRows.set(key, row);
    }
    if (row.kind !== "replay" && !this.engine.account(row.id)) {
      await this.engine.reloadAccounts();
      // On a shared database another instance may run it (its shard moved while this request ran): a retry reaches it.
      if (!this.engine.account(row.id)) throw new AppError(503, ACCOUNT_MOVED, undefined, "account_moved");
    }
    return row;
  }

  /** The engine an account trades on; a replay account whose session is gone has none. */
  hostFor(accountId: number): EngineHost {
    const replay = this.replayHost(accountId);
    if (replay) return replay;
    if (!this.engine.account(accountId))
      throw new AppError(
        409,
        "this replay is no longer running (it ended, or the server restarted); start a new one on the Replay page",
      );
    return this.engine;
  }

  symbol(input: string): string {
    if (typeof input !== "string") throw new AppError(400, "symbol: a symbol such as MES or MES1!");
    const r = resolveSymbol(input);
    if (!r.ok) throw new AppError(404, r.message);
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
        const now = err.status === 409 ? describeNow(current) : "";
        throw new AppError(err.status, err.message + now, err.status === 409 ? { current } : undefined, err.code);
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
    throw new AppError(
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

  /** The order body as the route's schema parsed it. */
  async orderParsed(c: Caller, account: string, symbolInput: string, b: S.OrderBody, atrSettings?: AtrSettings) {
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
    b: BracketInput | undefined,
    atrSettings?: AtrSettings,
    opts: { fitLadder?: boolean } = {},
  ) {
    const command = async (host: EngineHost, symbol: string): Promise<Command> => {
      const atr = await this.atrFor(symbol, b?.stop, atrSettings, host);
      if (atr && "unavailable" in atr)
        throw new AppError(
          400,
          `ATR stop refused: ATR is unavailable (${atr.unavailable}); set the stop by points or ticks`,
        );
      const refPrice = await this.refPrice(symbol, host);
      let ladder = b?.ladder && toLevels(b.ladder);
      if (ladder && opts.fitLadder) {
        // The desk's saved default ladder may hold more contracts than the ticket: it is cut to fit (R6.1).
        const tick = host.spec(symbol)?.tick ?? 1;
        ladder = fitLadder(ladder, o.qty, (t) =>
          t.unit === "ticks" ? t.value * tick : t.unit === "points" ? t.value : Math.abs(t.value - refPrice),
        ).levels;
      }
      const bracket = b && toBracket(b, ladder, atr && "value" in atr ? atr.value : undefined);
      return {
        kind: "order",
        side: o.side,
        qty: o.qty,
        orderType: o.type,
        limitPrice: o.limitPrice,
        refPrice,
        bracket,
      };
    };
    return this.run(c, account, symbolInput, command, o.version);
  }

  async record(c: Caller, account: string, symbol: string, body: unknown) {
    return this.recordParsed(c, account, symbol, parse(S.recordBody, body ?? {}));
  }

  async recordParsed(c: Caller, account: string, symbol: string, b: S.RecordBody) {
    const command: Command = { kind: "record", side: b.side, qty: b.qty, entryPrice: b.entryPrice };
    return this.run(c, account, symbol, command, b.version);
  }

  async exit(c: Caller, account: string, symbol: string, body: unknown) {
    return this.exitParsed(c, account, symbol, parse(S.exitBody, body ?? {}));
  }

  async exitParsed(c: Caller, account: string, symbol: string, b: S.ExitBody) {
    const command = (host: EngineHost, root: string): Command => ({
      kind: "exit",
      qty: b.qty,
      refPrice: host.engine.lastPrice(root),
    });
    return this.run(c, account, symbol, command, b.version);
  }

  /** A stop-limit that rests with its limit passed becomes a market exit (docs/trading-rules.md R3.2). */
  async convertToMarket(c: Caller, account: string, symbol: string, body: unknown) {
    return this.convertToMarketParsed(c, account, symbol, parse(S.versionBody, body ?? {}));
  }

  async convertToMarketParsed(c: Caller, account: string, symbol: string, b: S.VersionBody) {
    return this.run(c, account, symbol, { kind: "convert-to-market" }, b.version);
  }

  async clear(c: Caller, account: string, symbol: string, body: unknown) {
    return this.clearParsed(c, account, symbol, parse(S.versionBody, body ?? {}));
  }

  async clearParsed(c: Caller, account: string, symbol: string, b: S.VersionBody) {
    return this.run(c, account, symbol, { kind: "clear" }, b.version);
  }

  /** Withdraws a resting entry order by its id (R1.6); the position shows its orders under `working`. */
  async cancelOrder(c: Caller, account: string, symbol: string, orderId: string) {
    return this.run(c, account, symbol, { kind: "cancel-order", orderId: parse(S.orderId, orderId) });
  }

  async setLadder(c: Caller, account: string, symbol: string, body: unknown) {
    const b = parse(S.ladderBody, body ?? {});
    return this.setLadderParsed(c, account, symbol, b.levels, b.version);
  }

  /** `index` as levelIndex read it from the address. */
  async updateLevelParsed(c: Caller, account: string, symbol: string, i: number, b: S.LevelPatchBody) {
    const patch = { enabled: b.enabled, qty: b.qty, target: b.target ? toTarget(b.target) : undefined };
    return this.run(c, account, symbol, { kind: "update-level", index: i, patch }, b.version);
  }

  async setStop(c: Caller, account: string, symbolInput: string, body: unknown, atrSettings?: AtrSettings) {
    const b = parse(S.stopBody, body ?? {});
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
    const command = async (host: EngineHost, symbol: string): Promise<Command> => ({
      kind: "set-stop",
      stop: stop ? toStop(stop) : null,
      atr: await this.atrFor(symbol, stop, atrSettings, host),
    });
    return this.run(c, account, symbolInput, command, version);
  }

  async setLadderParsed(c: Caller, account: string, symbol: string, levels: LevelInput[], version?: number) {
    return this.run(c, account, symbol, { kind: "set-ladder", levels: toLevels(levels) }, version);
  }

  async setTimerParsed(c: Caller, account: string, symbol: string, timer: S.TimerInput | null, version?: number) {
    return this.run(c, account, symbol, { kind: "set-timer", timer: toTimer(timer) }, version);
  }

  async moveStop(c: Caller, account: string, symbol: string, body: unknown) {
    return this.moveStopParsed(c, account, symbol, parse(S.moveStopBody, body ?? {}));
  }

  async moveStopParsed(c: Caller, account: string, symbol: string, b: S.MoveStopBody) {
    return this.run(c, account, symbol, { kind: "move-stop", price: b.price }, b.version);
  }

  /** Route (paper / webhook), the webhook URL (write-only, kept encrypted) and commission of an account. */
  async setExecution(c: Caller, account: string, body: unknown, secrets: WebhookSecrets) {
    return this.setExecutionParsed(c, account, parse(S.executionBody, body ?? {}), secrets);
  }

  async setExecutionParsed(c: Caller, account: string, b: S.ExecutionBody, secrets: WebhookSecrets) {
    const row = await this.account(c.userId, account);
    await applyExecution(this.db, c.actor, { id: row.id, name: account, kind: row.kind }, b, secrets);
    await this.engine.reloadAccounts();
    if (b.commission !== undefined) this.replayHost(row.id)?.setCommission?.(BigInt(b.commission));
  }

  sizingParsed(q: S.SizingQuery) {
    return sizeForQuery(this.symbol(q.symbol), q);
  }

  async events(userId: number, account: string, symbol: string | undefined, limit = 100) {
    const accountId = await this.accountId(userId, account);
    return readEvents(this.db, accountId, symbol ? this.symbol(symbol) : undefined, limit);
  }

  async journal(userId: number, filter: JournalFilter) {
    return readJournal(this.db, userId, { ...filter, symbol: filter.symbol ? this.symbol(filter.symbol) : undefined });
  }
}

/** A ladder level's index in the address (0-based); anything else names no level. */
export function levelIndex(index: string): number {
  const i = Number(index);
  if (!Number.isInteger(i) || i < 0 || i > 100) throw new AppError(404, `TP${index}: no such level`);
  return i;
}
