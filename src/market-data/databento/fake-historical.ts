import { SCHEMA_RTYPES, schemaCode } from "../dbn/constants";
import { encodeMetadata, type Metadata } from "../dbn/metadata";
import { encodeRecord, type DbnRecord } from "../dbn/record-codec";

/**
 * A local stand-in for hist.databento.com for tests and demos: same paths, Basic auth, form
 * parameters, zstd DBN bodies and JSON error shapes. Data comes from a callback (DBN files or
 * the encoder); faults are queued per test.
 */

export interface FakeHistoricalOptions {
  apiKey: string;
  /** Plain DBN bytes for a get_range request (the server compresses them when asked). */
  range?: (params: URLSearchParams) => Uint8Array | Promise<Uint8Array>;
  cost?: (params: URLSearchParams) => number;
  schemas?: string[];
  symbology?: (params: URLSearchParams) => unknown;
  /** What metadata.get_dataset_range answers (ISO times); absent → 404 as for an unknown dataset. */
  datasetRange?: () => { start: string; end: string };
  /** Bytes per body chunk, so clients see the body arrive in pieces. */
  chunkSize?: number;
}

export interface Fault {
  status: number;
  retryAfter?: number;
  detail?: unknown;
}

export interface FakeHistorical {
  url: string;
  /** Answers to give before serving normally again, in order. */
  faults: Fault[];
  requests: { path: string; params: URLSearchParams; authorized: boolean }[];
  stop(): Promise<void>;
}

function problem(status: number, detail: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ detail }), { status, headers: { "content-type": "application/json", "request-id": crypto.randomUUID(), ...headers } });
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
      await Bun.sleep(0);
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
      const fault = faults.shift();
      if (fault) {
        return problem(fault.status, fault.detail ?? `fault ${fault.status}`, fault.retryAfter ? { "retry-after": String(fault.retryAfter) } : {});
      }
      if (!authorized) return problem(401, { case: "auth_invalid_key", message: "Authentication failed.", docs: "https://databento.com/docs" });
      const need = (...names: string[]) => names.find((n) => !params.get(n));
      switch (url.pathname) {
        case "/v0/timeseries.get_range": {
          const missing = need("dataset", "symbols", "schema", "start");
          if (missing) return problem(422, { case: "missing_param", message: `Missing required parameter '${missing}'.` });
          const plain = (await opts.range?.(params)) ?? new Uint8Array(0);
          const body = params.get("compression") === "zstd" ? Bun.zstdCompressSync(plain) : plain;
          return new Response(chunked(body, opts.chunkSize ?? 4096), { headers: { "content-type": "application/octet-stream", "request-id": crypto.randomUUID() } });
        }
        case "/v0/metadata.get_cost": {
          const missing = need("dataset", "symbols", "schema", "start");
          if (missing) return problem(422, { case: "missing_param", message: `Missing required parameter '${missing}'.` });
          return Response.json(opts.cost?.(params) ?? 0);
        }
        case "/v0/metadata.list_schemas":
          if (!params.get("dataset")) return problem(422, "Missing required parameter 'dataset'.");
          return Response.json(opts.schemas ?? ["mbo", "mbp-1", "mbp-10", "tbbo", "trades", "ohlcv-1s", "ohlcv-1m", "ohlcv-1h", "ohlcv-1d", "definition", "statistics", "status"]);
        case "/v0/metadata.get_dataset_range": {
          if (!params.get("dataset")) return problem(422, "Missing required parameter 'dataset'.");
          const r = opts.datasetRange?.();
          if (!r) return problem(404, { case: "dataset_not_found", message: `Unknown dataset '${params.get("dataset")}'.` });
          return Response.json({ ...r, schema: { "ohlcv-1m": r, trades: r, "mbp-1": r } });
        }
        case "/v0/symbology.resolve":
          return Response.json(opts.symbology?.(params) ?? { result: {}, partial: [], not_found: params.get("symbols")?.split(",") ?? [] });
        default:
          return problem(404, `Unknown endpoint ${url.pathname}`);
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, faults, requests, stop: () => server.stop(true) };
}

/**
 * A get_range source over DBN data (files or the encoder's output): the records of the asked
 * instruments and schema in [start, end), re-encoded as one DBN v3 stream, as the real API does.
 */
export function rangeFromRecords(
  metadata: Metadata,
  records: readonly DbnRecord[],
  resolve: (symbol: string) => number | undefined,
): (params: URLSearchParams) => Uint8Array {
  return (params) => {
    const schema = params.get("schema") ?? "";
    const rtypes = new Set(SCHEMA_RTYPES[schema] ?? []);
    const ids = new Set((params.get("symbols") ?? "").split(",").map(resolve).filter((x): x is number => x !== undefined));
    const toNs = (t: string | null) => (t === null ? undefined : /^\d+$/.test(t) ? BigInt(t) : BigInt(Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t)) * 1_000_000n);
    const start = toNs(params.get("start")) ?? 0n;
    const end = toNs(params.get("end"));
    const limit = Number(params.get("limit") ?? 0);
    const picked = records.filter((r) => rtypes.has(r.hd.rtype) && ids.has(r.hd.instrument_id) && r.hd.ts_event >= start && (end === undefined || r.hd.ts_event < end));
    const chosen = limit > 0 ? picked.slice(0, limit) : picked;
    const head = encodeMetadata({ ...metadata, version: 3, schema: schemaCode(schema), start, end: end ?? null, limit: BigInt(limit), symbol_cstr_len: 71 });
    const body = chosen.map((r) => encodeRecord(r, 3));
    const out = new Uint8Array(head.length + body.reduce((n, b) => n + b.length, 0));
    out.set(head);
    let at = head.length;
    for (const b of body) {
      out.set(b, at);
      at += b.length;
    }
    return out;
  };
}
