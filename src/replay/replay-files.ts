import { AppError } from "../shared/app-error";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { z } from "zod";
import { DbnDecodeError } from "../market-data/dbn/constants";
import type { HistoricalClient } from "../market-data/databento/historical-client";
import { HistoricalError } from "../market-data/databento/historical-client";
import { downloadRange } from "../market-data/databento/range-download";
import type { Database } from "../persistence/database";
import { type Actor, appendEvent } from "../persistence/events";
import { ct, DAY, type HistoricalRequest, historicalBody, roots } from "./replay-requests";
import { parse } from "../shared/parse";
import type { Logger } from "../log/logger";
import type { ReplayStore } from "./replay-store";
import { DbnSource, type ReplaySource, ReplaySourceError } from "./sources";

/** Downloads above this are refused: a replay file is read into memory. */
export const MAX_FILE_BYTES = 512 * 1024 * 1024;
/** Uploads: below the HTTP server's own request body limit (128 MB), so the refusal says why. */
export const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;
export interface ReplayFilesOptions {
  dataDir: string;
  historical: () => HistoricalClient | undefined;
  historicalDataset: string;
  publish: (userId: number, message: string) => void;
  logger: Logger;
  /** The continuous symbol of a root under its roll rule (MES.v.0), the same as the live feed's. */
  continuous?: (root: string) => string;
}

/**
 * A replay's files: DBN uploads and Historical downloads (their cost confirmed first), checked
 * and kept on disk by their hash, with their rows; and the sources opened from them.
 */
export class ReplayFiles {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly store: ReplayStore,
    private readonly o: ReplayFilesOptions,
    private readonly now: () => number,
  ) {}

  private continuous(root: string): string {
    return this.o.continuous?.(root) ?? `${root}.v.0`;
  }

  /** Checks and keeps an uploaded DBN file; the same bytes again are the same file. */
  async upload(userId: number, name: string, bytes: Uint8Array, actor: Actor) {
    if (bytes.length === 0) throw new AppError(400, "file: the upload is empty");
    if (bytes.length > MAX_UPLOAD_BYTES)
      throw new AppError(
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
      throw new AppError(
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
      body ?? {},
    ).confirmCost;
    const q = await this.quote(body);
    if (Math.abs(q.cost - confirmed) > 0.005)
      throw new AppError(
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
              throw new AppError(
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
      throw err instanceof AppError ? err : historicalProblem(err);
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

  /** A DBN file as a replay source; a file that is no DBN (or none we play) is the trader's 400. */
  open(bytes: Uint8Array): ReplaySource {
    try {
      return new DbnSource(bytes);
    } catch (err) {
      if (err instanceof DbnDecodeError || err instanceof ReplaySourceError)
        throw new AppError(400, `file: ${err.message}`);
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
    if (!c) throw new AppError(409, "no Historical API access: set a Databento key (Settings) to download ranges");
    return c;
  }

  private historicalRequest(body: unknown): HistoricalRequest & { symbols: string[] } {
    const r = parse(historicalBody, body ?? {});
    if (r.endMs <= r.startMs) throw new AppError(400, "body.endMs: the end must be after the start");
    const maxDays = r.schema.startsWith("ohlcv") ? 366 : 7;
    if (r.endMs - r.startMs > maxDays * DAY)
      throw new AppError(400, `body.endMs: at most ${maxDays} days of ${r.schema} in one download`);
    if (r.startMs > this.now()) throw new AppError(400, "body.startMs: the range starts in the future");
    return { ...r, symbols: roots(r.symbols) };
  }
}

function historicalProblem(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // The client's messages already name Databento Historical; say it once.
  const text = (err as Error).message.startsWith("Databento Historical")
    ? (err as Error).message
    : `Databento Historical: ${(err as Error).message}`;
  if (err instanceof HistoricalError) return new AppError(err.status >= 400 && err.status < 500 ? 400 : 502, text);
  return new AppError(502, text);
}
