import { SCHEMA_RTYPES, SCHEMAS, schemaCode } from "../dbn/constants";
import { concatBytes } from "../../shared/bytes";
import { encodeMetadata, type Metadata } from "../dbn/metadata";
import { encodeRecord, type DbnRecord } from "../dbn/record-codec";

/**
 * A local stand-in for hist.databento.com for tests and demos: same paths, Basic auth, form
 * parameters, zstd DBN bodies and JSON error shapes; an available range that get_range and
 * get_cost must stay inside (refused with 422 as the service does); and the ways a long stream
 * goes wrong for real (pauses, a stall, a connection dropped mid-body). Data comes from a
 * callback (DBN files or the encoder); faults are queued per test.
 */

export interface FakeHistoricalOptions {
  apiKey: string;
  /** Plain DBN bytes for a get_range request (the server compresses them when asked). */
  range?: (params: URLSearchParams) => Uint8Array | Promise<Uint8Array>;
  cost?: (params: URLSearchParams) => number;
  schemas?: string[];
  symbology?: (params: URLSearchParams) => unknown;
  /**
   * The dataset's available range (ISO times): what metadata.get_dataset_range answers and
   * what requests must stay inside. Default: GLBX.MDP3's start to the current minute.
   */
  datasetRange?: () => { start: string; end: string };
  /** Bytes per body chunk, so clients see the body arrive in pieces. */
  chunkSize?: number;
  /** Pause before every body chunk after the first: a slow stream. */
  pauseMs?: number;
}

/** How the next request (to `path`, if given) is answered differently. */
export interface Fault {
  /** Only a request whose path ends with this takes the fault (e.g. "get_range"). */
  path?: string;
  /** Answer with this error status (and `detail`, `retryAfter`) instead. */
  status?: number;
  retryAfter?: number;
  detail?: unknown;
  /** get_range: drop the connection after this many body bytes (as sent, compressed or not). */
  cutAfterBytes?: number;
  /** get_range: pause before every chunk after the first (longer than the client's inactivity timeout: a stall). */
  pauseMs?: number;
  /** get_range: send plain DBN although zstd was asked for. */
  plain?: boolean;
}

export interface FakeHistorical {
  url: string;
  /** Answers to give before serving normally again, in order. */
  faults: Fault[];
  requests: { path: string; params: URLSearchParams; authorized: boolean }[];
  stop(): Promise<void>;
}

const GLBX_START = "2010-06-06T00:00:00.000000000Z";
const DOCS = "https://databento.com/docs/api-reference-historical/basics/datasets";

function problem(status: number, detail: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ detail }), {
    status,
    headers: { "content-type": "application/json", "request-id": crypto.randomUUID(), ...headers },
  });
}

/** ns since the epoch from the API's time forms: integer ns, a date, or ISO 8601 in UTC (to the ns). */
function timeNs(t: string | null): bigint | undefined {
  if (t === null) return undefined;
  if (/^\d+$/.test(t)) return BigInt(t);
  const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t);
  // Date.parse stops at the ms; digits past them are the API's µs and ns.
  const finer = /\.\d{3}(\d{1,6})/.exec(t)?.[1]?.padEnd(6, "0") ?? "0";
  return BigInt(ms) * 1_000_000n + BigInt(finer);
}

const isoNs = (ns: bigint) =>
  `${new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, "0")}Z`;

/**
 * The service's refusal of a range past the dataset's end: 422 with a case and a payload naming
 * both ranges. (A start before the available start is refused too by the service; the demo's
 * simulated past starts mid-minute and the archive floors to the minute, so that is not modelled.)
 */
function outsideRange(params: URLSearchParams, available: { start: string; end: string }): Response | undefined {
  const dataset = params.get("dataset")!;
  const start = timeNs(params.get("start"))!;
  const end = timeNs(params.get("end"));
  const [first, last] = [timeNs(available.start)!, timeNs(available.end)!];
  const refuse = (errorCase: string, message: string) =>
    problem(422, {
      case: errorCase,
      message,
      status_code: 422,
      docs: DOCS,
      payload: {
        dataset,
        start: isoNs(start),
        end: end === undefined ? null : isoNs(end),
        available_start: isoNs(first),
        available_end: isoNs(last),
      },
    });
  if (start >= last)
    return refuse(
      "data_start_after_available_end",
      `${dataset} has data only until ${isoNs(last)}; the query starts at ${isoNs(start)}. Ask for an earlier start.`,
    );
  if (end !== undefined && end > last)
    return refuse(
      "data_end_after_available_end",
      `${dataset} has data only until ${isoNs(last)}; the query's end ${isoNs(end)} is past the available range. Ask for an earlier end.`,
    );
  return undefined;
}

function chunked(
  bytes: Uint8Array,
  size: number,
  how: { pauseMs?: number; cutAfterBytes?: number },
): ReadableStream<Uint8Array> {
  let offset = 0;
  let cancelled = false;
  const stop = Math.min(how.cutAfterBytes ?? Infinity, bytes.length);
  return new ReadableStream({
    async pull(controller) {
      if (offset >= stop && stop === bytes.length) return controller.close();
      if (offset >= stop) {
        // Let what was sent reach the client first (a reset drops unread data), so the cut is
        // at exactly `cutAfterBytes`; erroring without a reason resets the connection and logs nothing.
        await Bun.sleep(50);
        return controller.error(undefined);
      }
      if (offset > 0 && how.pauseMs) await Bun.sleep(how.pauseMs);
      if (cancelled) return;
      const end = Math.min(offset + size, stop);
      controller.enqueue(bytes.slice(offset, end));
      offset = end;
      await Bun.sleep(0);
    },
    cancel() {
      cancelled = true;
    },
  });
}

export function startFakeHistorical(opts: FakeHistoricalOptions): FakeHistorical {
  const faults: Fault[] = [];
  const requests: FakeHistorical["requests"] = [];
  const expected = "Basic " + Buffer.from(`${opts.apiKey}:`).toString("base64");
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const params = req.method === "POST" ? new URLSearchParams(await req.text()) : url.searchParams;
      const authorized = req.headers.get("authorization") === expected;
      requests.push({ path: url.pathname, params, authorized });
      const at = faults.findIndex((f) => !f.path || url.pathname.endsWith(f.path));
      const fault = at < 0 ? undefined : faults.splice(at, 1)[0];
      if (fault?.status) {
        return problem(
          fault.status,
          fault.detail ?? `fault ${fault.status}`,
          fault.retryAfter ? { "retry-after": String(fault.retryAfter) } : {},
        );
      }
      if (!authorized)
        return problem(401, {
          case: "auth_invalid_key",
          message: "Authentication failed.",
          docs: "https://databento.com/docs",
        });
      const available = opts.datasetRange?.() ?? {
        start: GLBX_START,
        end: new Date(Date.now() - (Date.now() % 60_000)).toISOString(),
      };
      const need = (...names: string[]) => names.find((n) => !params.get(n));
      switch (url.pathname) {
        case "/v0/timeseries.get_range": {
          const missing = need("dataset", "symbols", "schema", "start");
          if (missing)
            return problem(422, { case: "missing_param", message: `Missing required parameter '${missing}'.` });
          const refused = outsideRange(params, available);
          if (refused) return refused;
          const plain = (await opts.range?.(params)) ?? new Uint8Array(0);
          const body = params.get("compression") === "zstd" && !fault?.plain ? Bun.zstdCompressSync(plain) : plain;
          const how = { pauseMs: fault?.pauseMs ?? opts.pauseMs, cutAfterBytes: fault?.cutAfterBytes };
          return new Response(chunked(body, opts.chunkSize ?? 4096, how), {
            headers: { "content-type": "application/octet-stream", "request-id": crypto.randomUUID() },
          });
        }
        case "/v0/metadata.get_cost": {
          const missing = need("dataset", "symbols", "schema", "start");
          if (missing)
            return problem(422, { case: "missing_param", message: `Missing required parameter '${missing}'.` });
          return outsideRange(params, available) ?? Response.json(opts.cost?.(params) ?? 0);
        }
        case "/v0/metadata.list_schemas":
          if (!params.get("dataset")) return problem(422, "Missing required parameter 'dataset'.");
          return Response.json(
            // GLBX.MDP3's list as Databento answers it: the schemas up to `status`.
            opts.schemas ?? SCHEMAS.slice(0, SCHEMAS.indexOf("status") + 1),
          );
        case "/v0/metadata.get_dataset_range":
          if (!params.get("dataset")) return problem(422, "Missing required parameter 'dataset'.");
          return Response.json({
            ...available,
            schema: { "ohlcv-1m": available, trades: available, "mbp-1": available },
          });
        case "/v0/symbology.resolve":
          return Response.json(
            opts.symbology?.(params) ?? { result: {}, partial: [], not_found: params.get("symbols")?.split(",") ?? [] },
          );
        default:
          return problem(404, `Unknown endpoint ${url.pathname}`);
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, faults, requests, stop: () => server.stop(true) };
}

/**
 * A get_range source over DBN data (files or the encoder's output): the records of the asked
 * instruments and schema in [start, end), re-encoded as one DBN v3 stream, as the real API does
 * (records in time order, as the service sends them).
 */
export function rangeFromRecords(
  metadata: Metadata,
  records: readonly DbnRecord[],
  resolve: (symbol: string) => number | undefined,
): (params: URLSearchParams) => Uint8Array {
  return (params) => {
    const schema = params.get("schema") ?? "";
    const rtypes = new Set(SCHEMA_RTYPES[schema] ?? []);
    const ids = new Set(
      (params.get("symbols") ?? "")
        .split(",")
        .map(resolve)
        .filter((x): x is number => x !== undefined),
    );
    const start = timeNs(params.get("start")) ?? 0n;
    const end = timeNs(params.get("end"));
    const limit = Number(params.get("limit") ?? 0);
    // The service filters on ts_recv where the schema has it, else on ts_event (§9).
    const index = (r: DbnRecord) => (typeof r.ts_recv === "bigint" ? r.ts_recv : r.hd.ts_event);
    const picked = records.filter(
      (r) =>
        rtypes.has(r.hd.rtype) &&
        ids.has(r.hd.instrument_id) &&
        index(r) >= start &&
        (end === undefined || index(r) < end),
    );
    const chosen = limit > 0 ? picked.slice(0, limit) : picked;
    const head = encodeMetadata({
      ...metadata,
      // The records below are written as v3: the header says so whatever the template's version.
      version: 3,
      schema: schemaCode(schema),
      start,
      end: end ?? null,
      limit: BigInt(limit),
      symbol_cstr_len: 71,
    });
    return concatBytes([head, ...chosen.map((r) => encodeRecord(r, 3))]);
  };
}
