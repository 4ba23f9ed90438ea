import type { Kysely } from "kysely";
import type { Logger } from "../../log/logger";
import type { Database } from "../../persistence/database";
import {
  barsBetween,
  lastBarTime,
  latestBars,
  upsertBars,
  type ArchivedBar,
} from "../../persistence/repositories/ohlcv-repo";
import type { Bar } from "../bars/bar";
import type { PriceBus } from "../bus/price-bus";
import { RType } from "../dbn/constants";
import { decodeDbnStream } from "../dbn/decoder";
import type { DbnRecord } from "../dbn/record-codec";
import type { HistoricalClient } from "../databento/historical-client";

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface ArchiveConfig {
  /** GLBX.MDP3, or SIM when the bars come from the simulated market. */
  dataset: string;
  symbols: readonly string[];
  /** How far back a backfill reaches when the archive is empty or was off for long. */
  backfillDays: number;
  /** Absent: no Historical access (no key); the archive is built from the live feed only. */
  historical?: HistoricalClient;
  /** Rows per upsert statement while backfilling. */
  batch?: number;
  /** The continuous symbol of a root under its roll rule (MES.v.0), as the live feed subscribes it. */
  continuous?: (root: string) => string;
  /** The contract a root is held on while a roll waits for its positions (ESZ6): gaps are filled with that one's bars. */
  heldContract?: (root: string) => string | undefined;
}

export type BackfillPhase = "idle" | "waiting" | "running" | "done" | "failed" | "no-historical";

export interface SymbolArchiveStatus {
  symbol: string;
  phase: BackfillPhase;
  /** Newest stored bar (ms), if any. */
  lastBarMs: number | null;
  /** The range being (or last) backfilled. */
  fromMs?: number;
  toMs?: number;
  /** Bars received in the current/last backfill. */
  bars: number;
  /** 0..1 by time covered. */
  progress: number;
  message?: string;
}

export interface ArchiveHooks {
  rootOf(instrumentId: number): string | undefined;
  contractOf(instrumentId: number): string | undefined;
}

/**
 * The one-minute archive: keeps every bar of the configured symbols (the live feed's, replaced
 * by Databento's own when it arrives), fills gaps from the Historical API at start-up and after
 * any feed outage, and never deletes. Writes are batched upserts, so a bar sent twice (a
 * restart, an overlapping backfill) is stored once.
 */
export class ArchiveService {
  private readonly wanted: Set<string>;
  private pending = new Map<string, ArchivedBar>();
  private readonly state = new Map<string, SymbolArchiveStatus>();
  private flushTimer: ReturnType<typeof setInterval> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private backfilling: Promise<void> | undefined;
  private again = false;
  /** Start of a feed outage still to be filled (live bars after it may already be stored). */
  private since: number | undefined;
  private stopped = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cfg: ArchiveConfig & {},
    private readonly hooks: ArchiveHooks,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.wanted = new Set(cfg.symbols);
    for (const s of cfg.symbols)
      this.state.set(s, {
        symbol: s,
        phase: cfg.historical ? "idle" : "no-historical",
        lastBarMs: null,
        bars: 0,
        progress: 0,
      });
  }

  private continuous(root: string): string {
    return this.cfg.continuous?.(root) ?? `${root}.v.0`;
  }

  /** Historical access arriving after construction (the demo's local server starts with the feed). */
  useHistorical(client: HistoricalClient): void {
    this.cfg.historical = client;
    for (const s of this.state.values()) if (s.phase === "no-historical") s.phase = "idle";
  }

  get dataset(): string {
    return this.cfg.dataset;
  }

  /** The Historical API in use (Databento's, or the simulated market's past), if any. */
  get historical(): HistoricalClient | undefined {
    return this.cfg.historical;
  }

  get symbols(): string[] {
    return [...this.wanted];
  }

  /** Live one-minute bars go to the archive (the bus calls this synchronously; writes are batched). */
  attach(bus: PriceBus, flushEveryMs = 2_000): void {
    bus.subscribe({ bar: (b) => this.onBar(b) });
    this.flushTimer = setInterval(() => void this.flush(), flushEveryMs);
  }

  onBar(b: Bar): void {
    if (b.interval !== "1m") return;
    const symbol = this.hooks.rootOf(b.instrumentId);
    if (!symbol || !this.wanted.has(symbol)) return;
    const key = `${symbol}@${b.startMs}`;
    const prev = this.pending.get(key);
    // Databento's bar wins over ours for the same minute, here as in the table.
    if (prev?.source === "databento" && b.source === "trades") return;
    this.pending.set(key, {
      dataset: this.cfg.dataset,
      symbol,
      startMs: b.startMs,
      contract: this.hooks.contractOf(b.instrumentId) ?? this.continuous(symbol),
      instrumentId: b.instrumentId,
      // The simulated market's bars say so, whoever built them (migrations/0012).
      open: b.open,
      high: b.high,
      low: b.low,
      close: b.close,
      volume: b.volume,
      source: this.cfg.dataset === "SIM" ? "simulated" : b.source,
    });
  }

  /** Writes the live bars collected so far; a failed write keeps them for the next attempt. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = this.pending;
      this.pending = new Map();
      try {
        await upsertBars(this.db, [...batch.values()]);
        for (const b of batch.values()) {
          const s = this.state.get(b.symbol);
          if (s && (s.lastBarMs === null || b.startMs > s.lastBarMs)) s.lastBarMs = b.startMs;
        }
      } catch (err) {
        // Bars that arrived meanwhile are newer, except that Databento's bar still beats one built from trades.
        for (const [k, v] of batch) {
          const since = this.pending.get(k);
          if (!since || (since.source === "trades" && v.source === "databento")) this.pending.set(k, v);
        }
        this.logger.error("archive.write_failed", {
          bars: batch.size,
          reason: (err as Error).message,
          action: "kept for the next flush",
        });
      }
    });
    return this.flushing;
  }

  /**
   * Fills every symbol's gap, from its newest stored bar (or the lookback) to now. A call while
   * one runs makes it run once more after, so an outage during a backfill is not missed.
   */
  backfill(reason: string, sinceMs?: number): Promise<void> {
    if (!this.cfg.historical) return Promise.resolve();
    if (sinceMs !== undefined) this.since = Math.min(this.since ?? sinceMs, sinceMs);
    if (this.backfilling) {
      this.again = true;
      return this.backfilling;
    }
    this.backfilling = (async () => {
      do {
        this.again = false;
        const since = this.since;
        this.since = undefined;
        const available = await this.availableUntil();
        for (const s of this.state.values()) if (s.phase !== "running") s.phase = "waiting";
        for (const symbol of this.wanted) {
          if (this.stopped) return;
          await this.backfillSymbol(symbol, reason, since, available);
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.backfilling = undefined;
    });
    return this.backfilling;
  }

  /** The end of what the Historical API has (it trails real time); unknown → now. */
  private async availableUntil(): Promise<number> {
    try {
      return await this.cfg.historical!.availableEnd(this.historicalDataset, "ohlcv-1m");
    } catch (err) {
      this.logger.warn("archive.dataset_range_unknown", {
        reason: (err as Error).message,
        action: "backfill up to now",
      });
    }
    return this.now();
  }

  private get historicalDataset(): string {
    return this.cfg.dataset === "SIM" ? "GLBX.MDP3" : this.cfg.dataset;
  }

  private async backfillSymbol(
    symbol: string,
    reason: string,
    since: number | undefined,
    available: number,
  ): Promise<void> {
    const st = this.state.get(symbol)!;
    const now = this.now();
    const last = await lastBarTime(this.db, this.cfg.dataset, symbol);
    st.lastBarMs = last ?? null;
    const floor = now - (now % MINUTE) - this.cfg.backfillDays * DAY;
    let fromMs = last === undefined ? floor : last + MINUTE;
    if (since !== undefined) fromMs = Math.min(fromMs, since - (since % MINUTE));
    fromMs = Math.max(fromMs, floor);
    // The minute in progress is not a bar yet.
    const end = Math.min(now, available);
    const toMs = end - (end % MINUTE);
    Object.assign(st, { fromMs, toMs, bars: 0, progress: 0, message: undefined });
    if (toMs - fromMs < MINUTE) {
      st.phase = "done";
      st.progress = 1;
      return;
    }
    st.phase = "running";
    const t0 = performance.now();
    this.logger.info("archive.backfill_started", {
      symbol,
      dataset: this.cfg.dataset,
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      reason,
    });
    try {
      const held = this.cfg.heldContract?.(symbol);
      const res = await this.cfg.historical!.getRange({
        dataset: this.historicalDataset,
        symbols: [held ?? this.continuous(symbol)],
        schema: "ohlcv-1m",
        stypeIn: held ? "raw_symbol" : "continuous",
        start: new Date(fromMs),
        end: new Date(toMs),
      });
      for (const w of res.warnings) this.logger.warn("archive.backfill_warning", { symbol, warning: w });
      let batch: ArchivedBar[] = [];
      let lastLog = performance.now();
      const write = async () => {
        if (batch.length === 0) return;
        await upsertBars(this.db, batch);
        const newest = batch[batch.length - 1]!.startMs;
        st.lastBarMs = Math.max(st.lastBarMs ?? 0, newest);
        st.progress = Math.min(1, (newest + MINUTE - fromMs) / (toMs - fromMs));
        batch = [];
        if (performance.now() - lastLog > 1000) {
          lastLog = performance.now();
          this.logger.info("archive.backfill_progress", {
            symbol,
            bars: st.bars,
            progress: Math.round(st.progress * 100) / 100,
          });
        }
      };
      for await (const item of decodeDbnStream(res.body)) {
        if (this.stopped) return;
        if (!("hd" in item)) continue;
        const r = item as DbnRecord & { open: bigint; high: bigint; low: bigint; close: bigint; volume: bigint };
        if (r.hd.rtype !== RType.OHLCV_1M) continue;
        const id = r.hd.instrument_id;
        batch.push({
          dataset: this.cfg.dataset,
          symbol,
          startMs: Number(r.hd.ts_event / 1_000_000n),
          contract: this.hooks.contractOf(id) ?? this.continuous(symbol),
          instrumentId: id,
          open: Number(r.open),
          high: Number(r.high),
          low: Number(r.low),
          close: Number(r.close),
          volume: Number(r.volume),
          source: this.cfg.dataset === "SIM" ? "simulated" : "databento",
        });
        st.bars++;
        if (batch.length >= (this.cfg.batch ?? 5_000)) await write();
      }
      await write();
      st.phase = "done";
      st.progress = 1;
      this.logger.info("archive.backfill_done", { symbol, bars: st.bars, ms: Math.round(performance.now() - t0) });
    } catch (err) {
      st.phase = "failed";
      st.message = (err as Error).message;
      this.logger.error("archive.backfill_failed", {
        symbol,
        bars: st.bars,
        reason: st.message,
        action: "retried at the next start-up or feed reconnection",
      });
    }
  }

  status(): { dataset: string; historical: boolean; symbols: SymbolArchiveStatus[] } {
    return {
      dataset: this.cfg.dataset,
      historical: Boolean(this.cfg.historical),
      symbols: [...this.state.values()].map((s) => ({ ...s })),
    };
  }

  /** The newest `count` bars of a symbol (stored plus not yet written), oldest first. */
  async recent(symbol: string, count: number): Promise<ArchivedBar[]> {
    const stored = await latestBars(this.db, this.cfg.dataset, symbol, count);
    return this.mergePending(symbol, stored).slice(-count);
  }

  /** Bars in [fromMs, toMs), stored plus not yet written, oldest first. */
  async range(symbol: string, fromMs: number, toMs: number, limit = 100_000): Promise<ArchivedBar[]> {
    const stored = await barsBetween(this.db, this.cfg.dataset, symbol, fromMs, toMs, limit);
    return this.mergePending(symbol, stored)
      .filter((b) => b.startMs >= fromMs && b.startMs < toMs)
      .slice(0, limit);
  }

  private mergePending(symbol: string, stored: ArchivedBar[]): ArchivedBar[] {
    const extra = [...this.pending.values()].filter((b) => b.symbol === symbol);
    if (extra.length === 0) return stored;
    const byTs = new Map(stored.map((b) => [b.startMs, b]));
    for (const b of extra) {
      const have = byTs.get(b.startMs);
      if (!have || have.source === "trades" || b.source === "databento") byTs.set(b.startMs, b);
    }
    return [...byTs.values()].sort((a, b) => a.startMs - b.startMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.flushTimer);
    await this.flush();
  }
}
