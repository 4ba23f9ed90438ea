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
        case "/v0/symbology.resolve":
          return Response.json(opts.symbology?.(params) ?? { result: {}, partial: [], not_found: params.get("symbols")?.split(",") ?? [] });
        default:
          return problem(404, `Unknown endpoint ${url.pathname}`);
      }
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, faults, requests, stop: () => server.stop(true) };
}
