import { AppError } from "../shared/app-error";
import type { Kysely } from "kysely";
import type { OhlcvRow } from "../market-data/bars/bar";
import type { Database } from "../persistence/database";
import { type Actor, appendEvent } from "../persistence/events";
import { decimalToNanoBig } from "../persistence/repositories/engine-repo";
import { barsBetween } from "../persistence/repositories/ohlcv-repo";
import { formatDollars } from "../trading/engine/price-math";
import { EngineError } from "../trading/engine/types";
import type { PositionView } from "../trading/position-view";
import type { Speed } from "./player";
import { ReplayFiles, type ReplayFilesOptions } from "./replay-files";
import { controlBody, createBody, ct, DAY, roots, type ControlInput, type CreateInput } from "./replay-requests";
import { parse } from "../shared/parse";
import { ReplayCommandError, ReplaySession, type ReplaySummary } from "./replay-session";
import { ReplayStore, type SourceInfo } from "./replay-store";
import { BarsSource, type ReplaySource } from "./sources";

/** Said of a BBO/CBBO replay: its records carry the session's last trade, not new ones (see sources.ts). */
export const QUOTES_ONLY =
  "; top of book only: these records say where the book was, not that anything traded (a BBO record carries the session's last trade, carried forward), so nothing prints: no bars form, and resting orders, stops and targets are never reached";
const FRAME_MS = 50;
const TICK_MS = 16;

export interface ReplayServiceOptions extends ReplayFilesOptions {
  archiveDataset: string;
  view: (accountId: number, symbol: string) => PositionView | null;
  now?: () => number;
  maxLivePerUser?: number;
}

/**
 * Replay sessions of every user: where they come from (the archive, an uploaded DBN file, a
 * Historical download with its cost confirmed first), the clock that plays them, their
 * controls, and what the browser sees of them. Each session trades in its own account on its
 * own engine; nothing here can reach the live engine or a broker.
 */
export class ReplayService {
  readonly store: ReplayStore;
  private readonly sessions = new Map<
    number,
    { s: ReplaySession; userId: number; lastFrame: number; dirty: boolean; finished: boolean }
  >();
  private readonly byAccount = new Map<number, ReplaySession>();
  /** Replays being created, per user (counted against the limit until they are open). */
  private readonly starting = new Map<number, number>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  private readonly files: ReplayFiles;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly o: ReplayServiceOptions,
  ) {
    this.store = new ReplayStore(db);
    this.now = o.now ?? Date.now;
    this.files = new ReplayFiles(db, this.store, o, this.now);
  }

  async start(tickMs = TICK_MS): Promise<void> {
    const n = await this.store.interruptRunning();
    if (n)
      this.o.logger.info("replay.interrupted", {
        sessions: n,
        reason: "the process stopped while they were open; a replay's state lives in memory",
      });
    if (tickMs > 0) this.timer = setInterval(() => this.tick(this.now()), tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const [id, e] of this.sessions) {
      await e.s.flush().catch(() => {});
      if (!e.finished) await this.store.saveState(id, "interrupted", e.s.player.nowMs).catch(() => {});
    }
    this.sessions.clear();
    this.byAccount.clear();
  }

  hostFor(accountId: number): ReplaySession | undefined {
    return this.byAccount.get(accountId);
  }

  /** A running (or finished, still open) session of this user. */
  session(userId: number, id: number): ReplaySession {
    const e = this.sessions.get(id);
    if (!e || e.userId !== userId)
      throw new AppError(404, `replay ${id} is not open (it was closed, or the server restarted)`);
    return e.s;
  }

  /** Does any of these users have a replay open here? Its state lives in this process's memory only. */
  hasOpen(user: (userId: number) => boolean): boolean {
    for (const e of this.sessions.values()) if (!e.finished && user(e.userId)) return true;
    return false;
  }

  isOpen(id: number): boolean {
    return this.sessions.has(id);
  }

  async create(
    userId: number,
    body: unknown,
    actor: Actor,
  ): Promise<{ id: number; account: string; symbols: string[] }> {
    return this.createParsed(userId, parse(createBody, body ?? {}), actor);
  }

  /** The body as the route's schema (or `create`) parsed it. */
  async createParsed(
    userId: number,
    b: CreateInput,
    actor: Actor,
  ): Promise<{ id: number; account: string; symbols: string[] }> {
    // The slot is taken now, before anything is awaited: starts sent at once cannot all pass the check.
    const open =
      [...this.sessions.values()].filter((e) => e.userId === userId && !e.finished).length +
      (this.starting.get(userId) ?? 0);
    if (open >= (this.o.maxLivePerUser ?? 5)) throw new AppError(409, `you have ${open} replays open; close one first`);
    this.starting.set(userId, (this.starting.get(userId) ?? 0) + 1);
    try {
      return await this.createSession(userId, b, actor);
    } finally {
      const n = (this.starting.get(userId) ?? 1) - 1;
      if (n > 0) this.starting.set(userId, n);
      else this.starting.delete(userId);
    }
  }

  private async createSession(
    userId: number,
    b: CreateInput,
    actor: Actor,
  ): Promise<{ id: number; account: string; symbols: string[] }> {
    let source: ReplaySource;
    let info: SourceInfo;
    if (b.source === "archive") {
      if (b.toMs <= b.fromMs) throw new AppError(400, "body.toMs: the end must be after the start");
      if (b.toMs - b.fromMs > 31 * DAY)
        throw new AppError(400, "body.toMs: at most 31 days of archived bars in one replay");
      const symbols = roots(b.symbols);
      const bars = new Map<string, OhlcvRow[]>();
      for (const s of symbols) bars.set(s, await barsBetween(this.db, this.o.archiveDataset, s, b.fromMs, b.toMs));
      const empty = symbols.filter((s) => bars.get(s)!.length === 0);
      if (empty.length === symbols.length)
        throw new AppError(
          400,
          `the archive has no bars for ${symbols.join(", ")} between ${ct(b.fromMs)} and ${ct(b.toMs)}`,
        );
      for (const s of empty) bars.delete(s);
      source = new BarsSource(bars);
      info = {
        kind: "archive",
        description: `archive 1-minute bars ${[...bars.keys()].join(", ")}, ${ct(source.startMs)} → ${ct(source.endMs)}`,
        symbols: [...bars.keys()],
        schema: "ohlcv-1m",
        startMs: source.startMs,
        endMs: source.endMs,
      };
    } else {
      const f = await this.store.file(userId, b.fileId);
      if (!f) throw new AppError(404, `file ${b.fileId} not found`);
      source = this.files.open(await Bun.file(f.path).bytes());
      info = {
        kind: f.kind,
        description: `${f.kind === "upload" ? "uploaded" : "downloaded"} ${f.schema} ${source.symbols.join(", ")} (${f.name}), ${ct(source.startMs)} → ${ct(source.endMs)}${source.quotesOnly ? QUOTES_ONLY : ""}`,
        symbols: [...source.symbols],
        schema: source.schema,
        startMs: source.startMs,
        endMs: source.endMs,
        fileId: f.id,
      };
    }
    const created = await this.store.createSession(userId, info, actor);
    const session = new ReplaySession(
      created.id,
      {
        id: created.accountId,
        userId,
        kind: "replay",
        name: created.account,
        commission: decimalToNanoBig(created.commission),
      },
      source,
      (w) => this.store.persist(created.id, w),
    );
    session.description = info.description;
    session.onWriteError = (err) =>
      this.o.logger.error("replay.persist_failed", {
        replay: created.id,
        reason: (err as Error).message,
        action: "those events are missing from the replay's log; the replay goes on",
      });
    session.onChange((c) => {
      const view = this.o.view(c.accountId, c.symbol);
      this.o.publish(
        userId,
        JSON.stringify({
          t: "position",
          account: created.account,
          symbol: c.symbol,
          position: view,
          events: c.events.map((e) => ({ kind: e.kind, reason: e.reason, actor: e.actor.label, ts: e.tsMs })),
        }),
      );
    });
    this.sessions.set(created.id, { s: session, userId, lastFrame: 0, dirty: true, finished: false });
    this.byAccount.set(created.accountId, session);
    this.o.logger.info("replay.created", {
      replay: created.id,
      user_id: userId,
      account: created.account,
      source: info.description,
      records: source.count,
    });
    return { id: created.id, account: created.account, symbols: [...source.symbols] };
  }

  async control(userId: number, id: number, body: unknown, actor: Actor): Promise<void> {
    return this.controlParsed(userId, id, parse(controlBody, body ?? {}), actor);
  }

  async controlParsed(userId: number, id: number, c: ControlInput, actor: Actor): Promise<void> {
    const s = this.session(userId, id);
    const e = this.sessions.get(id)!;
    const wall = this.now();
    try {
      switch (c.action) {
        case "play":
          if (s.player.state === "ended")
            throw new AppError(409, "this replay has ended; seek back (while flat) to play it again");
          s.play(wall);
          break;
        case "pause":
          await s.pause(wall);
          break;
        case "speed":
          s.setSpeed(c.speed as Speed, wall);
          break;
        case "step":
          await s.step(c.unit, wall);
          break;
        case "seek":
          if (c.toMs < s.source.startMs || c.toMs > s.source.endMs + 60_000)
            throw new AppError(400, `body.toMs: the replay covers ${ct(s.source.startMs)} → ${ct(s.source.endMs)}`);
          await s.seek(c.toMs, wall);
          if (e.finished && s.player.state !== "ended") {
            e.finished = false;
            s.summaryStored = false;
          }
          break;
        case "close":
          await this.close(id, actor);
          return;
      }
    } catch (err) {
      if (err instanceof ReplayCommandError) throw new AppError(409, err.message);
      if (err instanceof EngineError) throw new AppError(err.status, err.message, undefined, err.code);
      throw err;
    }
    this.o.logger.info("replay.control", {
      replay: id,
      action: c.action,
      ...(c.action === "speed" ? { speed: c.speed } : {}),
      replay_time: new Date(s.player.nowMs).toISOString(),
    });
    e.dirty = true;
    await this.afterStep(id, wall);
    await this.store.saveState(id, s.player.state === "ended" ? "ended" : s.player.state, s.player.nowMs);
  }

  private async close(id: number, actor: Actor): Promise<void> {
    const e = this.sessions.get(id)!;
    await e.s.flush();
    if (!e.finished) await this.finish(id, actor);
    await this.store.saveState(id, "closed", e.s.player.nowMs, e.s.summary());
    this.sessions.delete(id);
    this.byAccount.delete(e.s.accountConfig.id);
    this.o.publish(e.userId, JSON.stringify({ t: "replay", id, state: "closed" }));
  }

  /** Checks and keeps an uploaded DBN file; the same bytes again are the same file. */
  upload(userId: number, name: string, bytes: Uint8Array, actor: Actor) {
    return this.files.upload(userId, name, bytes, actor);
  }

  /** What Databento would charge for a range, before anything is downloaded (replay-files.ts). */
  quote(body: unknown) {
    return this.files.quote(body);
  }

  /** Downloads a range after the trader confirmed its cost (replay-files.ts). */
  download(userId: number, body: unknown, actor: Actor) {
    return this.files.download(userId, body, actor);
  }

  /** One pass of the clock: due records for every playing session, frames to browsers, ends. */
  tick(wallMs: number): void {
    for (const [id, e] of this.sessions) {
      if (e.finished) continue;
      const s = e.s;
      if (s.player.state === "playing") {
        try {
          if (s.advance(wallMs) > 0) e.dirty = true;
        } catch (err) {
          this.o.logger.error("replay.failed", { replay: id, reason: (err as Error).message, action: "paused" });
          void s.pause(wallMs).catch(() => {});
        }
        if (s.player.state === "playing") e.dirty = true;
      }
      // The end is announced at once; otherwise at most one frame per FRAME_MS per session.
      if (s.player.state === "ended" || (e.dirty && wallMs - e.lastFrame >= FRAME_MS)) {
        void this.afterStep(id, wallMs).catch((err) =>
          this.o.logger.error("replay.frame_failed", {
            replay: id,
            reason: (err as Error).message,
            action: "retried on the next tick",
          }),
        );
      }
    }
  }

  private async afterStep(id: number, wallMs: number): Promise<void> {
    const e = this.sessions.get(id);
    if (!e) return;
    e.lastFrame = wallMs;
    e.dirty = false;
    const frame = e.s.frame();
    if (e.s.player.state === "ended" && !e.finished)
      await this.finish(id, { kind: "system", label: "replay", userId: null });
    this.o.publish(e.userId, JSON.stringify(e.finished ? { ...frame, summary: e.s.summary() } : frame));
  }

  private async finish(id: number, actor: Actor): Promise<void> {
    const e = this.sessions.get(id)!;
    e.finished = true;
    let sum: ReplaySummary;
    try {
      await e.s.closeOpen();
      sum = e.s.summary();
      await this.store.saveState(id, "ended", e.s.player.nowMs, sum);
      await appendEvent(this.db, {
        actor,
        accountId: e.s.accountConfig.id,
        kind: "replay.ended",
        reason: replayEndedText(id, sum),
      });
      e.s.summaryStored = true;
    } catch (err) {
      // Not finished after all: the next tick tries again (closing what is open is idempotent).
      e.finished = false;
      throw err;
    }
    this.o.logger.info("replay.ended", {
      replay: id,
      trades: sum.trades,
      net: sum.net,
      reason: "the source has no more records",
    });
  }
}

/** "replay 3 ended: 1 trade, net -$20.00": money written as everywhere else. */
export function replayEndedText(id: number, sum: { trades: number; net: number }): string {
  return `replay ${id} ended: ${sum.trades} trade${sum.trades === 1 ? "" : "s"}, net ${formatDollars(BigInt(Math.round(sum.net * 100)) * 10_000_000n)}`;
}
