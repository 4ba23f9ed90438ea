import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Logger } from "../log/logger";
import type { OhlcvRow } from "../market-data/bars/bar";
import { DbnDecodeError } from "../market-data/dbn/constants";
import type { HistoricalClient } from "../market-data/databento/historical-client";
import { HistoricalError } from "../market-data/databento/historical-client";
import { downloadRange } from "../market-data/databento/range-download";
import { resolveSymbol } from "../market-data/instruments/symbols";
import type { Database } from "../persistence/database";
import { appendEvent, type Actor } from "../persistence/events";
import { decimalToNanoBig } from "../persistence/repositories/engine-repo";
import { barsBetween } from "../persistence/repositories/ohlcv-repo";
import { formatDollars } from "../trading/engine/price-math";
import { EngineError } from "../trading/engine/types";
import type { PositionView } from "../trading/position-view";
import { ServiceError } from "../trading/service-error";
import { describeIssue } from "../trading/schemas";
import { SPEEDS, type Speed } from "./player";
import { ReplayCommandError, ReplaySession } from "./replay-session";
import { ReplayStore, type SourceInfo } from "./replay-store";
import { BarsSource, DbnSource, ReplaySourceError, type ReplaySource } from "./sources";

const DAY = 86_400_000;
/** Said of a BBO/CBBO replay: its records carry the session's last trade, not new ones (see sources.ts). */
export const QUOTES_ONLY =
  "; top of book only: these records say where the book was, not that anything traded (a BBO record carries the session's last trade, carried forward), so nothing prints: no bars form, and resting orders, stops and targets are never reached";
/** Downloads above this are refused: a replay file is read into memory. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** Uploads: below the HTTP server's own request body limit (128 MB), so the refusal says why. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
const FRAME_MS = 50;
const TICK_MS = 16;

const symbolsField = z
  .array(z.string().trim().min(1).max(32))
  .min(1, "choose at least one symbol")
  .max(10, "at most 10 symbols in one replay");
const ms = z.coerce
  .number()
  .int()
  .min(Date.UTC(2010, 0, 1))
  .max(Date.UTC(2100, 0, 1));

export const createBody = z.union([
  z.object({ source: z.literal("archive"), symbols: symbolsField, fromMs: ms, toMs: ms }),
  z.object({ source: z.literal("file"), fileId: z.coerce.number().int().positive() }),
]);

export const HISTORICAL_SCHEMAS = ["trades", "mbp-1", "tbbo", "bbo-1s", "bbo-1m", "ohlcv-1s", "ohlcv-1m"] as const;
export const historicalBody = z.object({
  schema: z.enum(HISTORICAL_SCHEMAS, { error: `schema must be one of ${HISTORICAL_SCHEMAS.join(", ")}` }),
  symbols: symbolsField,
  startMs: ms,
  endMs: ms,
});
export type HistoricalRequest = z.infer<typeof historicalBody>;

export const controlBody = z.discriminatedUnion("action", [
  z.object({ action: z.literal("play") }),
  z.object({ action: z.literal("pause") }),
  z.object({
    action: z.literal("speed"),
    speed: z.union([
      z.literal("max"),
      z.coerce
        .number()
        .refine((v) => (SPEEDS as readonly number[]).includes(v), `speed must be one of ${SPEEDS.join(", ")} or max`),
    ]),
  }),
  z.object({ action: z.literal("step"), unit: z.enum(["record", "bar"]) }),
  z.object({ action: z.literal("seek"), toMs: ms }),
  z.object({ action: z.literal("close") }),
]);

export interface ReplayServiceOptions {
  dataDir: string;
  archiveDataset: string;
  historical: () => HistoricalClient | undefined;
  historicalDataset: string;
  publish: (userId: number, message: string) => void;
  view: (accountId: number, symbol: string) => PositionView | null;
  logger: Logger;
  now?: () => number;
  maxLivePerUser?: number;
  /** The continuous symbol of a root under its roll rule (MES.v.0), the same as the live feed's. */
  continuous?: (root: string) => string;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, prefix = "body"): z.infer<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new ServiceError(400, describeIssue(r.error, prefix));
  return r.data;
}

function roots(symbols: readonly string[]): string[] {
  return [
    ...new Set(
      symbols.map((s) => {
        const r = resolveSymbol(s);
        if (!r.ok) throw new ServiceError(400, `body.symbols: ${r.message}`);
        return r.value.instrument.root;
      }),
    ),
  ];
}

const CT = new Intl.DateTimeFormat("en-CA", {
  timeZone: "America/Chicago",
  dateStyle: "short",
  timeStyle: "short",
  hour12: false,
});
const ct = (msValue: number) => `${CT.format(new Date(msValue)).replace(",", "")} CT`;

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

  constructor(
    private readonly db: Kysely<Database>,
    private readonly o: ReplayServiceOptions,
  ) {
    this.store = new ReplayStore(db);
    this.now = o.now ?? Date.now;
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
      throw new ServiceError(404, `replay ${id} is not open (it was closed, or the server restarted)`);
    return e.s;
  }

  private continuous(root: string): string {
    return this.o.continuous?.(root) ?? `${root}.v.0`;
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
    const b = parse(createBody, body);
    // The slot is taken now, before anything is awaited: starts sent at once cannot all pass the check.
    const open =
      [...this.sessions.values()].filter((e) => e.userId === userId && !e.finished).length +
      (this.starting.get(userId) ?? 0);
    if (open >= (this.o.maxLivePerUser ?? 5))
      throw new ServiceError(409, `you have ${open} replays open; close one first`);
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
    b: z.infer<typeof createBody>,
    actor: Actor,
  ): Promise<{ id: number; account: string; symbols: string[] }> {
    let source: ReplaySource;
    let info: SourceInfo;
    if (b.source === "archive") {
      if (b.toMs <= b.fromMs) throw new ServiceError(400, "body.toMs: the end must be after the start");
      if (b.toMs - b.fromMs > 31 * DAY)
        throw new ServiceError(400, "body.toMs: at most 31 days of archived bars in one replay");
      const symbols = roots(b.symbols);
      const bars = new Map<string, OhlcvRow[]>();
      for (const s of symbols) bars.set(s, await barsBetween(this.db, this.o.archiveDataset, s, b.fromMs, b.toMs));
      const empty = symbols.filter((s) => bars.get(s)!.length === 0);
      if (empty.length === symbols.length)
        throw new ServiceError(
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
      if (!f) throw new ServiceError(404, `file ${b.fileId} not found`);
      source = this.open(await Bun.file(f.path).bytes());
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
    const c = parse(controlBody, body);
    const s = this.session(userId, id);
    const e = this.sessions.get(id)!;
    const wall = this.now();
    try {
      switch (c.action) {
        case "play":
          if (s.player.state === "ended")
            throw new ServiceError(409, "this replay has ended; seek back (while flat) to play it again");
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
            throw new ServiceError(400, `body.toMs: the replay covers ${ct(s.source.startMs)} → ${ct(s.source.endMs)}`);
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
      if (err instanceof ReplayCommandError) throw new ServiceError(409, err.message);
      if (err instanceof EngineError) throw new ServiceError(err.status, err.message);
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
  async upload(userId: number, name: string, bytes: Uint8Array, actor: Actor) {
    if (bytes.length === 0) throw new ServiceError(400, "file: the upload is empty");
    if (bytes.length > MAX_UPLOAD_BYTES)
      throw new ServiceError(
        413,
        `file: at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB per upload (larger ranges: download them from Databento here)`,
      );
    const src = this.open(bytes);
    const row = await this.keep(userId, "upload", name || "upload.dbn", bytes, src, null);
    await appendEvent(this.db, {
      actor,
      kind: "replay.file",
      reason: `replay file uploaded: ${row.name} (${src.schema}, ${src.symbols.join(", ")}, ${src.count.toLocaleString("en-US")} records)`,
    });
    return row;
  }

  /** A checked file on disk (named by its hash, so the same bytes are one file) and its row. */
  private async keep(
    userId: number,
    kind: "upload" | "historical",
    name: string,
    bytes: Uint8Array,
    src: ReplaySource,
    cost: number | null,
    request?: unknown,
  ) {
    const sha = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    const path = this.pathFor(sha);
    await Bun.write(path, bytes);
    return this.store.addFile(
      userId,
      {
        kind,
        name,
        bytes: bytes.length,
        schema: src.schema,
        symbols: [...src.symbols],
        startMs: src.startMs,
        endMs: src.endMs,
        records: src.count,
        cost,
        path,
      },
      sha,
      request,
    );
  }

  /**
   * What Databento would charge for a range (metadata.get_cost), before anything is downloaded;
   * the range ends where the dataset's data does (`notice` says so when that cut it short).
   */
  async quote(
    body: unknown,
  ): Promise<{ request: HistoricalRequest & { symbols: string[] }; cost: number; dataset: string; notice?: string }> {
    const asked = this.historicalRequest(body);
    const client = this.client();
    try {
      const { request: r, notice } = await this.withinAvailable(client, asked);
      const cost = await client.getCost({
        dataset: this.o.historicalDataset,
        symbols: r.symbols.map((s) => this.continuous(s)),
        schema: r.schema,
        start: new Date(r.startMs),
        end: new Date(r.endMs),
        stypeIn: "continuous",
      });
      return { request: r, cost, dataset: this.o.historicalDataset, ...(notice ? { notice } : {}) };
    } catch (err) {
      throw historicalProblem(err);
    }
  }

  /**
   * The range cut at the end of the dataset's available data, which trails real time: Databento
   * refuses an `end` past it (422). The same bound the archive's backfill uses.
   */
  private async withinAvailable(
    client: HistoricalClient,
    r: HistoricalRequest & { symbols: string[] },
  ): Promise<{ request: HistoricalRequest & { symbols: string[] }; notice?: string }> {
    const dataset = this.o.historicalDataset;
    let until: number;
    try {
      until = await client.availableEnd(dataset, r.schema);
    } catch (err) {
      this.o.logger.warn("replay.dataset_range_unknown", {
        dataset,
        reason: (err as Error).message,
        action: "the range is asked for as given",
      });
      return { request: r };
    }
    if (r.endMs <= until) return { request: r };
    if (r.startMs >= until)
      throw new ServiceError(
        400,
        `body.startMs: Databento has ${dataset} ${r.schema} data only up to ${ct(until)}; the range starts after that`,
      );
    return {
      request: { ...r, endMs: until },
      notice: `Databento has ${dataset} ${r.schema} data only up to ${ct(until)}, so the range ends there instead of at ${ct(r.endMs)}.`,
    };
  }

  /**
   * Downloads a range after the trader confirmed its cost; refused when the price changed since
   * (quoted again). Progress (by the time the stream has reached) goes to the user's browsers;
   * a broken or stalled stream resumes from its last record.
   */
  async download(
    userId: number,
    body: unknown,
    actor: Actor,
  ): Promise<Awaited<ReturnType<ReplayStore["addFile"]>> & { notice?: string }> {
    const confirmed = parse(
      z.object({ confirmCost: z.coerce.number().min(0, "body.confirmCost: the cost you accepted") }).passthrough(),
      body,
    ).confirmCost;
    const q = await this.quote(body);
    if (Math.abs(q.cost - confirmed) > 0.005)
      throw new ServiceError(
        409,
        `the cost is now $${q.cost.toFixed(2)} (you confirmed $${confirmed.toFixed(2)}); confirm the new cost to download`,
      );
    const client = this.client();
    const r = q.request;
    const token = crypto.randomUUID().slice(0, 8);
    const progress = (p: number, bytes: number, state = "downloading", message?: string) =>
      this.o.publish(
        userId,
        JSON.stringify({ t: "replay-download", token, progress: p, bytes, state, ...(message ? { message } : {}) }),
      );
    const share = (lastNs: bigint | undefined) =>
      lastNs === undefined
        ? 0
        : Math.min(0.99, Math.max(0, (Number(lastNs / 1_000_000n) - r.startMs) / (r.endMs - r.startMs)));
    this.o.logger.info("replay.download_started", {
      user_id: userId,
      schema: r.schema,
      symbols: r.symbols.join(","),
      start: new Date(r.startMs).toISOString(),
      end: new Date(r.endMs).toISOString(),
      cost: q.cost,
      ...(q.notice ? { clamped: q.notice } : {}),
    });
    if (q.notice) progress(0, 0, "downloading", q.notice);
    let bytes: Uint8Array;
    let total = 0;
    let lastSent = 0;
    try {
      ({ bytes } = await downloadRange(
        client,
        {
          dataset: q.dataset,
          symbols: r.symbols.map((s) => this.continuous(s)),
          schema: r.schema,
          start: new Date(r.startMs),
          end: new Date(r.endMs),
          stypeIn: "continuous",
        },
        {
          onProgress: (p) => {
            total = p.bytes;
            if (total > MAX_FILE_BYTES)
              throw new ServiceError(
                413,
                `the download exceeds ${MAX_FILE_BYTES / 1024 / 1024} MB; choose a shorter range or fewer symbols`,
              );
            if (this.now() - lastSent > 200) {
              lastSent = this.now();
              progress(share(p.lastNs), total);
            }
          },
          onResume: (x) => {
            const from = x.fromNs === undefined ? "the start" : ct(Number(x.fromNs / 1_000_000n));
            this.o.logger.warn("replay.download_resumed", {
              user_id: userId,
              attempt: x.attempt,
              bytes: x.bytes,
              reason: x.reason,
              action: `asked again from ${from} in ${x.delayMs} ms`,
            });
            progress(share(x.fromNs), x.bytes, "resuming", `the stream broke (${x.reason}); resuming from ${from}`);
          },
        },
      ));
    } catch (err) {
      progress(0, total, "failed", (err as Error).message);
      throw err instanceof ServiceError ? err : historicalProblem(err);
    }
    const src = this.open(bytes);
    const name = `${r.schema} ${r.symbols.join(",")} ${new Date(r.startMs).toISOString().slice(0, 16)}`;
    const row = await this.keep(userId, "historical", name, bytes, src, q.cost, { ...r, dataset: q.dataset });
    await appendEvent(this.db, {
      actor,
      kind: "replay.file",
      reason: `Historical download: ${name} (${src.count.toLocaleString("en-US")} records, $${q.cost.toFixed(2)})`,
    });
    progress(1, bytes.length, "done", q.notice);
    this.o.logger.info("replay.download_done", {
      user_id: userId,
      file: row.id,
      bytes: bytes.length,
      records: src.count,
    });
    return { ...row, ...(q.notice ? { notice: q.notice } : {}) };
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
    let sum;
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

  private open(bytes: Uint8Array): ReplaySource {
    try {
      return new DbnSource(bytes);
    } catch (err) {
      if (err instanceof DbnDecodeError || err instanceof ReplaySourceError)
        throw new ServiceError(400, `file: ${err.message}`);
      throw err;
    }
  }

  private pathFor(sha: string): string {
    const dir = join(this.o.dataDir, "replay");
    mkdirSync(dir, { recursive: true });
    return join(dir, `${sha}.dbn`);
  }

  private client(): HistoricalClient {
    const c = this.o.historical();
    if (!c) throw new ServiceError(409, "no Historical API access: set a Databento key (Settings) to download ranges");
    return c;
  }

  private historicalRequest(body: unknown): HistoricalRequest & { symbols: string[] } {
    const r = parse(historicalBody, body);
    if (r.endMs <= r.startMs) throw new ServiceError(400, "body.endMs: the end must be after the start");
    const maxDays = r.schema.startsWith("ohlcv") ? 366 : 7;
    if (r.endMs - r.startMs > maxDays * DAY)
      throw new ServiceError(400, `body.endMs: at most ${maxDays} days of ${r.schema} in one download`);
    if (r.startMs > this.now()) throw new ServiceError(400, "body.startMs: the range starts in the future");
    return { ...r, symbols: roots(r.symbols) };
  }
}

/** "replay 3 ended: 1 trade, net -$20.00": money written as everywhere else. */
export function replayEndedText(id: number, sum: { trades: number; net: number }): string {
  return `replay ${id} ended: ${sum.trades} trade${sum.trades === 1 ? "" : "s"}, net ${formatDollars(BigInt(Math.round(sum.net * 100)) * 10_000_000n)}`;
}

function historicalProblem(err: unknown): ServiceError {
  if (err instanceof ServiceError) return err;
  // The client's messages already name Databento Historical; say it once.
  const text = (err as Error).message.startsWith("Databento Historical")
    ? (err as Error).message
    : `Databento Historical: ${(err as Error).message}`;
  if (err instanceof HistoricalError) return new ServiceError(err.status >= 400 && err.status < 500 ? 400 : 502, text);
  return new ServiceError(502, text);
}
