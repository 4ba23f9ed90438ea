// bench/http-api.ts's flags, the timings its passes keep to, and where a run puts its files.
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { TOKEN_CACHE_MS } from "../../src/auth/api-tokens-service";
import { peerMain } from "../flask-peer";
import { endpoints } from "../http-api-load";

const { values: flags } = parseArgs({
  options: {
    peer: { type: "string" },
    pglite: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    connections: { type: "string" },
    startup: { type: "boolean", default: false },
  },
});
export const SECONDS = Number(flags.seconds ?? process.env.BENCH_SECONDS ?? 10);
export const ROUNDS = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? 3);
export const CONNECTIONS = (flags.connections ?? process.env.BENCH_CONNECTIONS ?? "16,64").split(",").map(Number);
export const THREADS = 2;
export const PGLITE = flags.pglite;
export const PEER = flags.peer === undefined ? undefined : peerMain(flags.peer);
export const STARTUP = flags.startup || PEER === undefined;
if (PEER && PGLITE) throw new Error("--pglite measures our server alone; drop --peer");
if (!(SECONDS > 0 && ROUNDS > 0 && CONNECTIONS.every((c) => c >= THREADS)))
  throw new Error(`bad --seconds, --rounds or --connections (each ≥ ${THREADS})`);

/** Untimed warm-up of each endpoint after a server starts (JIT, pools). */
export const WARM_SECONDS = Math.min(2, SECONDS);
/** After a start, before any request: background start-up work settles; RSS "idle" is read then. */
export const SETTLE_MS = 5000;
/**
 * Counting pass: quiet before a window, for background work to settle and for our token cache
 * (a token is re-checked TOKEN_CACHE_MS after its lookup) to run out; one read just before the
 * window then looks it up afresh, so no window meets an expiry (32 requests at once would each
 * look it up).
 */
export const QUIET_MS = Math.max(2000, TOKEN_CACHE_MS + 500);
export const ONE_AT_A_TIME = 200;
export const BURST = 32;
export const BURSTS = 6;
export const IDLE_MS = 10_000;

export const admin = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
export const runId = `bench_${Date.now().toString(36)}`;
export const dir = mkdtempSync(join(tmpdir(), "bench-http-"));
export const useBinary = existsSync("dist/trading-app") && process.env.BENCH_SOURCE !== "1";
export const OURS_CMD = useBinary ? ["./dist/trading-app", "serve"] : ["bun", "src/main.ts", "serve"];
export const ENDPOINTS = endpoints(Math.max(BURST, ...CONNECTIONS));
