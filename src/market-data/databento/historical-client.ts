/**
 * Databento Historical HTTP API (docs/databento.md §9): timeseries.get_range streamed as it
 * arrives, symbology.resolve, metadata.get_cost / list_schemas / get_dataset_range.
 * Basic auth with the key as user name; JSON error bodies become HistoricalError with the
 * server's message; 429 and 5xx are retried with capped exponential backoff and jitter.
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
  timeoutMs?: number;
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
  const hint = res.status === 401 ? " (check the Databento API key)" : res.status === 402 ? " (billing: check the Databento account)" : "";
  return new HistoricalError(`Databento Historical ${res.status}: ${message}${hint}`, res.status, requestId, errorCase);
}

export class HistoricalClient {
  private readonly base: string;
  private readonly auth: string;
  private readonly doFetch: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: HistoricalOptions) {
    this.base = (opts.baseUrl ?? DEFAULT_HISTORICAL_URL).replace(/\/$/, "");
    this.auth = "Basic " + Buffer.from(`${opts.apiKey}:`).toString("base64");
    this.doFetch = opts.fetch ?? fetch;
    this.sleep = opts.sleep ?? ((ms) => Bun.sleep(ms));
  }

  /** One call with retries; resolves once response headers are in (the body is not read). */
  private async request(method: "GET" | "POST", path: string, params: Record<string, string | undefined>, accept: string): Promise<Response> {
    const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const form = new URLSearchParams(clean).toString();
    const url = `${this.base}/v0/${path}${method === "GET" ? `?${form}` : ""}`;
    const maxRetries = this.opts.maxRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let reason: string;
      try {
        res = await this.doFetch(url, {
          method,
          headers: { authorization: this.auth, accept, ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
          body: method === "POST" ? form : undefined,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 100_000),
        });
        if (res.ok) return res;
        if (!RETRYABLE.has(res.status) || attempt >= maxRetries) throw await errorFrom(res);
        reason = `HTTP ${res.status}`;
      } catch (err) {
        if (err instanceof HistoricalError) throw err;
        if (attempt >= maxRetries) throw new HistoricalError(`Databento Historical unreachable: ${(err as Error).message}`, 0);
        reason = (err as Error).message;
      }
      const retryAfter = Number(res?.headers.get("retry-after"));
      const backoff = Math.min(10_000, (this.opts.retryBaseMs ?? 500) * 2 ** attempt);
      const delayMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : Math.round(backoff * (1 + Math.random() * 0.25));
      await res?.body?.cancel().catch(() => {});
      this.opts.onRetry?.({ attempt: attempt + 1, delayMs, status: res?.status, reason });
      await this.sleep(delayMs);
    }
  }

  private async json<T>(method: "GET" | "POST", path: string, params: Record<string, string | undefined>): Promise<T> {
    const res = await this.request(method, path, params, "application/json");
    return (await res.json()) as T;
  }

  /** Streams the range: compressed as zstd on the wire, handed over decompressed. */
  async getRange(r: RangeRequest): Promise<RangeResponse> {
    const res = await this.request("POST", "timeseries.get_range", {
      dataset: r.dataset,
      symbols: symbolsParam(r.symbols),
      schema: r.schema,
      start: timeParam(r.start),
      end: r.end === undefined ? undefined : timeParam(r.end),
      stype_in: r.stypeIn ?? "raw_symbol",
      stype_out: r.stypeOut ?? "instrument_id",
      encoding: "dbn",
      compression: "zstd",
      limit: r.limit === undefined ? undefined : String(r.limit),
    }, "application/octet-stream");
    if (!res.body) throw new HistoricalError("Databento Historical answered without a body", res.status);
    let warnings: string[] = [];
    try {
      const w = res.headers.get("x-warning");
      if (w) warnings = JSON.parse(w) as string[];
    } catch {
      warnings = [res.headers.get("x-warning") ?? ""];
    }
    return {
      body: res.body.pipeThrough(new DecompressionStream("zstd" as CompressionFormat)),
      status: res.status,
      warnings,
      requestId: res.headers.get("request-id") ?? undefined,
    };
  }

  getCost(r: RangeRequest): Promise<number> {
    return this.json<number>("POST", "metadata.get_cost", {
      dataset: r.dataset, symbols: symbolsParam(r.symbols), schema: r.schema, start: timeParam(r.start),
      end: r.end === undefined ? undefined : timeParam(r.end), stype_in: r.stypeIn ?? "raw_symbol", stype_out: r.stypeOut ?? "instrument_id",
      limit: r.limit === undefined ? undefined : String(r.limit),
    });
  }

  listSchemas(dataset: string): Promise<string[]> {
    return this.json<string[]>("GET", "metadata.list_schemas", { dataset });
  }

  getDatasetRange(dataset: string): Promise<{ start: string; end: string; schema?: Record<string, { start: string; end: string }> }> {
    return this.json("GET", "metadata.get_dataset_range", { dataset });
  }

  resolveSymbology(r: { dataset: string; symbols: readonly string[]; stypeIn: string; stypeOut: string; startDate: string; endDate?: string }) {
    return this.json<{
      result: Record<string, { d0: string; d1: string; s: string }[]>;
      partial: string[];
      not_found: string[];
      message?: string;
      status?: number;
    }>("POST", "symbology.resolve", {
      dataset: r.dataset, symbols: r.symbols.join(","), stype_in: r.stypeIn, stype_out: r.stypeOut, start_date: r.startDate, end_date: r.endDate,
    });
  }
}
