import { ZSTD_MAGIC } from "../dbn/constants";

/**
 * Databento Historical HTTP API (docs/databento.md §9): timeseries.get_range streamed as it
 * arrives, symbology.resolve, metadata.get_cost / list_schemas / get_dataset_range.
 * Basic auth with the key as user name; JSON error bodies become HistoricalError with the
 * server's message; 429 and 5xx are retried with capped exponential backoff and jitter.
 * Timeouts are for inactivity (no answer, no bytes), as in Databento's clients: a long
 * get_range may stream for many minutes.
 */

export const DEFAULT_HISTORICAL_URL = "https://hist.databento.com";

export class HistoricalError extends Error {
  override name = "HistoricalError";
  constructor(
    message: string,
    readonly status: number,
    readonly requestId?: string,
    readonly errorCase?: string,
  ) {
    super(message);
  }
}

export interface HistoricalOptions {
  apiKey: string;
  baseUrl?: string;
  maxRetries?: number;
  /** First retry delay; doubles each time, capped at 10 s, plus up to 25 % jitter. */
  retryBaseMs?: number;
  /** Longest silence while reading a body (and, unless connectTimeoutMs is set, waiting for the answer); 100 s. */
  timeoutMs?: number;
  /** Longest wait for the response headers; defaults to timeoutMs. */
  connectTimeoutMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each retry, e.g. to log it (never with the key). */
  onRetry?: (info: { attempt: number; delayMs: number; status?: number; reason: string }) => void;
}

export type Time = string | bigint | Date;

export interface RangeRequest {
  dataset: string;
  symbols: readonly string[] | "ALL_SYMBOLS";
  schema: string;
  start: Time;
  end?: Time;
  stypeIn?: string;
  stypeOut?: string;
  limit?: number;
}

export interface RangeResponse {
  /** DBN bytes, already decompressed, as they arrive. */
  body: ReadableStream<Uint8Array>;
  status: number;
  warnings: string[];
  requestId?: string;
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const DEFAULT_TIMEOUT_MS = 100_000;

/**
 * The body, failing when no bytes come for `ms` while it is being read: a per-read timeout, not
 * a deadline (pulled only on demand, so a slow consumer is not taken for a silent server).
 */
function inactivityGuard(body: ReadableStream<Uint8Array>, ms: number, abort: () => void): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let received = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const stalled = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new HistoricalError(
                  `Databento Historical: no data for ${ms / 1000} s after ${received} bytes; the stream stalled`,
                  0,
                  undefined,
                  "stream_stalled",
                ),
              ),
            ms,
          );
        });
        try {
          const r = await Promise.race([reader.read(), stalled]);
          if (r.done) return controller.close();
          received += r.value.length;
          controller.enqueue(r.value);
        } catch (err) {
          abort(); // drops the connection, so a stalled server holds nothing
          controller.error(
            err instanceof HistoricalError
              ? err
              : new HistoricalError(
                  `Databento Historical: the stream broke after ${received} bytes: ${(err as Error).message}`,
                  0,
                  undefined,
                  "stream_broken",
                ),
          );
        } finally {
          clearTimeout(timer);
        }
      },
      cancel(reason) {
        abort();
        return reader.cancel(reason).catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
}

/** zstd only if the body starts with a zstd frame (28 B5 2F FD); anything else is plain DBN. */
function unzstdIfMagic(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let out: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!out) {
          const parts: Uint8Array[] = [];
          let n = 0;
          while (n < 4) {
            const r = await reader.read();
            if (r.done) break;
            parts.push(r.value);
            n += r.value.length;
          }
          const head = Buffer.concat(parts);
          const rest = new ReadableStream<Uint8Array>(
            {
              start: (c) => void (head.length && c.enqueue(new Uint8Array(head))),
              pull: async (c) => {
                const r = await reader.read();
                if (r.done) c.close();
                else c.enqueue(r.value);
              },
              cancel: (reason) => reader.cancel(reason),
            },
            { highWaterMark: 0 },
          );
          const zstd = head.length >= 4 && head.readUInt32LE(0) === ZSTD_MAGIC;
          out = (
            zstd
              ? rest.pipeThrough(
                  new DecompressionStream("zstd" as CompressionFormat) as unknown as ReadableWritablePair<
                    Uint8Array,
                    Uint8Array
                  >,
                )
              : rest
          ).getReader();
        }
        const r = await out.read().catch((err: Error) => {
          // A body cut inside a zstd frame ends as a decoder error: name it as the cut it is.
          throw err instanceof HistoricalError
            ? err
            : new HistoricalError(
                `Databento Historical: the zstd body is cut or corrupt: ${err.message}`,
                0,
                undefined,
                "stream_broken",
              );
        });
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel: (reason) => (out ?? reader).cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

function timeParam(t: Time): string {
  if (typeof t === "bigint") return t.toString();
  if (t instanceof Date) return t.toISOString();
  return t;
}

function symbolsParam(s: RangeRequest["symbols"]): string {
  if (s === "ALL_SYMBOLS") return s;
  if (s.length === 0 || s.length > 2000) throw new HistoricalError("symbols: 1 to 2000 symbols, or ALL_SYMBOLS", 400);
  return s.join(",");
}

async function errorFrom(res: Response): Promise<HistoricalError> {
  const requestId = res.headers.get("request-id") ?? undefined;
  const text = await res.text().catch(() => "");
  let message = text.slice(0, 500) || res.statusText || `HTTP ${res.status}`;
  let errorCase: string | undefined;
  try {
    const body = JSON.parse(text) as { detail?: unknown };
    if (typeof body.detail === "string") message = body.detail;
    else if (body.detail && typeof body.detail === "object") {
      const d = body.detail as { message?: string; case?: string };
      message = d.message ?? message;
      errorCase = d.case;
    }
  } catch {
    /* not JSON: keep the text */
  }
  const hint =
    res.status === 401
      ? " (check the Databento API key)"
      : res.status === 402
        ? " (billing: check the Databento account)"
        : "";
  return new HistoricalError(`Databento Historical ${res.status}: ${message}${hint}`, res.status, requestId, errorCase);
}

/** The parameters a range request and its cost query share, in the order Databento documents them. */
function rangeParams(r: RangeRequest) {
  return {
    dataset: r.dataset,
    symbols: symbolsParam(r.symbols),
    schema: r.schema,
    start: timeParam(r.start),
    end: r.end === undefined ? undefined : timeParam(r.end),
    stype_in: r.stypeIn ?? "raw_symbol",
    stype_out: r.stypeOut ?? "instrument_id",
  };
}

const limitParam = (r: RangeRequest) => (r.limit === undefined ? undefined : String(r.limit));

export class HistoricalClient {
  private readonly base: string;
  private readonly auth: string;
  private readonly doFetch: typeof fetch;
  readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: HistoricalOptions) {
    this.base = (opts.baseUrl ?? DEFAULT_HISTORICAL_URL).replace(/\/$/, "");
    this.auth = "Basic " + Buffer.from(`${opts.apiKey}:`).toString("base64");
    this.doFetch = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
  }

  /** One call with retries; resolves once response headers are in (the body is not read). */
  private async request(
    method: "GET" | "POST",
    path: string,
    params: Record<string, string | undefined>,
    accept: string,
  ): Promise<Response> {
    const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
    const form = new URLSearchParams(clean).toString();
    const url = `${this.base}/v0/${path}${method === "GET" ? `?${form}` : ""}`;
    const maxRetries = this.opts.maxRetries ?? 3;
    const readMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const connectMs = this.opts.connectTimeoutMs ?? readMs;
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let reason: string;
      const abort = new AbortController();
      const noAnswer = setTimeout(() => abort.abort(new Error(`no answer within ${connectMs / 1000} s`)), connectMs);
      try {
        res = await this.doFetch(url, {
          method,
          headers: {
            authorization: this.auth,
            accept,
            ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
          },
          body: method === "POST" ? form : undefined,
          signal: abort.signal,
        });
        if (res.ok) {
          clearTimeout(noAnswer);
          if (!res.body) return res;
          return new Response(
            inactivityGuard(res.body, readMs, () => abort.abort()),
            { status: res.status, statusText: res.statusText, headers: res.headers },
          );
        }
        if (!RETRYABLE.has(res.status) || attempt >= maxRetries) throw await errorFrom(res);
        reason = `HTTP ${res.status}`;
        clearTimeout(noAnswer);
      } catch (err) {
        clearTimeout(noAnswer);
        if (err instanceof HistoricalError) throw err;
        if (attempt >= maxRetries)
          throw new HistoricalError(`Databento Historical unreachable: ${(err as Error).message}`, 0);
        reason = (err as Error).message;
      }
      const retryAfter = Number(res?.headers.get("retry-after"));
      const delayMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : this.backoffMs(attempt);
      await res?.body?.cancel().catch(() => {});
      this.opts.onRetry?.({ attempt: attempt + 1, delayMs, status: res?.status, reason });
      await this.sleep(delayMs);
    }
  }

  /** The wait before retry `attempt` (0-based): doubling from retryBaseMs, capped at 10 s, plus up to 25 % jitter. */
  backoffMs(attempt: number): number {
    const backoff = Math.min(10_000, (this.opts.retryBaseMs ?? 500) * 2 ** attempt);
    return Math.round(backoff * (1 + Math.random() * 0.25));
  }

  private async json<T>(method: "GET" | "POST", path: string, params: Record<string, string | undefined>): Promise<T> {
    const res = await this.request(method, path, params, "application/json");
    return (await res.json()) as T;
  }

  /** Streams the range: zstd asked for on the wire, handed over as plain DBN (decompressed if it came as zstd). */
  async getRange(r: RangeRequest): Promise<RangeResponse> {
    const res = await this.request(
      "POST",
      "timeseries.get_range",
      { ...rangeParams(r), encoding: "dbn", compression: "zstd", limit: limitParam(r) },
      "application/octet-stream",
    );
    if (!res.body) throw new HistoricalError("Databento Historical answered without a body", res.status);
    let warnings: string[] = [];
    try {
      const w = res.headers.get("x-warning");
      if (w) warnings = JSON.parse(w) as string[];
    } catch {
      warnings = [res.headers.get("x-warning") ?? ""];
    }
    return {
      body: unzstdIfMagic(res.body),
      status: res.status,
      warnings,
      requestId: res.headers.get("request-id") ?? undefined,
    };
  }

  getCost(r: RangeRequest): Promise<number> {
    return this.json<number>("POST", "metadata.get_cost", { ...rangeParams(r), limit: limitParam(r) });
  }

  listSchemas(dataset: string): Promise<string[]> {
    return this.json<string[]>("GET", "metadata.list_schemas", { dataset });
  }

  getDatasetRange(
    dataset: string,
  ): Promise<{ start: string; end: string; schema?: Record<string, { start: string; end: string }> }> {
    return this.json("GET", "metadata.get_dataset_range", { dataset });
  }

  /**
   * Where the dataset's data ends for a schema (ms, exclusive): it trails real time, and the
   * service refuses a request whose `end` lies past it (422 data_end_after_available_end).
   */
  async availableEnd(dataset: string, schema: string): Promise<number> {
    const r = await this.getDatasetRange(dataset);
    const end = Date.parse(r.schema?.[schema]?.end ?? r.end);
    if (!Number.isFinite(end))
      throw new HistoricalError(
        `Databento Historical: metadata.get_dataset_range gave no usable end for ${dataset} (${r.end})`,
        0,
      );
    return end;
  }

  resolveSymbology(r: {
    dataset: string;
    symbols: readonly string[];
    stypeIn: string;
    stypeOut: string;
    startDate: string;
    endDate?: string;
  }) {
    return this.json<{
      result: Record<string, { d0: string; d1: string; s: string }[]>;
      partial: string[];
      not_found: string[];
      message?: string;
      status?: number;
    }>("POST", "symbology.resolve", {
      dataset: r.dataset,
      symbols: r.symbols.join(","),
      stype_in: r.stypeIn,
      stype_out: r.stypeOut,
      start_date: r.startDate,
      end_date: r.endDate,
    });
  }
}
