// Requests/s of the original API — our server against the original Flask one — and the SQL
// each request costs; the binary's start-up time and memory.
//   bun bench/http-api.ts [--peer <path>] [--pglite] [--rounds 3] [--seconds 10] [--connections 16,64] [--startup]
// Needs wrk (apt-get install wrk) and Postgres at BENCH_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), where it creates and drops its own databases.
// Our server is `dist/trading-app serve` when built (BENCH_SOURCE=1: `bun src/main.ts serve`).
// Every run starts from the same state, seeded through the bulk place_order: 20 open trades ×
// 3 TP levels. Each endpoint is measured with `wrk -t2 -c<N> -d<S>s --latency`.
//   --peer <path>  also the original Flask server (github rashed-c/MyPyTradeCopier_API: its folder,
//                  or its ApiEndpoint/main.py) under gunicorn with 2 and with 4 sync workers, on a
//                  database of its own; needs Debian's Flask stack (see bench/flask-peer.ts). Each
//                  round runs ours, then Flask -w2, then Flask -w4, so drift hits all three.
//   --pglite       ours on its embedded PGlite (DATA_DIR in a temp dir): figures only.
//   --startup      start-up time and RSS (always measured without --peer).
// On Postgres, both servers are also run once behind a counting proxy (bench/pg-count-proxy.ts)
// for the statements and transactions each request costs. BENCH_SECONDS, BENCH_ROUNDS and
// BENCH_CONNECTIONS stand in for the flags.
import { $ } from "bun";
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { ApiTokensService, TOKEN_CACHE_MS } from "../src/auth/api-tokens-service";
import { UsersService } from "../src/auth/users-service";
import { connectDatabase } from "../src/persistence/connect";
import { migrateUp } from "../src/persistence/migrator";
import { checkPeerTools, peerMain, preparePeer, startPeer } from "./flask-peer";
import { endpoints, luaScript, seed, send, wrk, type Endpoint, type Target, type WrkRun } from "./http-api-load";
import { minus, startCountingProxy, transactions, type CountingProxy } from "./pg-count-proxy";

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
const SECONDS = Number(flags.seconds ?? process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = (flags.connections ?? process.env.BENCH_CONNECTIONS ?? "16,64").split(",").map(Number);
const THREADS = 2;
const PGLITE = flags.pglite;
const PEER = flags.peer === undefined ? undefined : peerMain(flags.peer);
const STARTUP = flags.startup || PEER === undefined;
if (PEER && PGLITE) throw new Error("--pglite measures our server alone; drop --peer");
if (!(SECONDS > 0 && ROUNDS > 0 && CONNECTIONS.every((c) => c >= THREADS)))
  throw new Error(`bad --seconds, --rounds or --connections (each ≥ ${THREADS})`);

/** Untimed warm-up of each endpoint after a server starts (JIT, pools). */
const WARM_SECONDS = Math.min(2, SECONDS);
/** After a start, before any request: background start-up work settles; RSS "idle" is read then. */
const SETTLE_MS = 5000;
/**
 * Counting pass: quiet before a window, for background work to settle and for our token cache
 * (a token is re-checked TOKEN_CACHE_MS after its lookup) to run out; one read just before the
 * window then looks it up afresh, so no window meets an expiry (32 requests at once would each
 * look it up).
 */
const QUIET_MS = Math.max(2000, TOKEN_CACHE_MS + 500);
const ONE_AT_A_TIME = 200;
const BURST = 32;
const BURSTS = 6;
const IDLE_MS = 10_000;

const admin = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const runId = `bench_${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), "bench-http-"));
const useBinary = existsSync("dist/trading-app") && process.env.BENCH_SOURCE !== "1";
const OURS_CMD = useBinary ? ["./dist/trading-app", "serve"] : ["bun", "src/main.ts", "serve"];
const ENDPOINTS = endpoints(Math.max(BURST, ...CONNECTIONS));

async function adminQuery(sql: string): Promise<string> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    const r = await c.query(sql);
    return String(Object.values(r.rows[0] ?? {})[0] ?? "");
  } finally {
    await c.end();
  }
}

function urlFor(db: string, port?: number): string {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  if (port !== undefined) u.port = String(port);
  return u.toString();
}

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
}

/** A server started for a round, a counting pass or a start-up measurement. */
interface Running extends Target {
  pid: number;
  stop(): Promise<void>;
}

interface Server {
  label: string;
  /** `tag` names its log file; `databaseUrl` replaces its own (the counting proxy's). */
  start(tag: string, databaseUrl?: string): Promise<Running>;
}

async function waitHealthy(base: string, proc: Bun.Subprocess, timeoutMs = 30_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const r = await fetch(`${base}/healthz`).catch(() => undefined);
    if (r?.status === 200) return performance.now() - t0;
    if (proc.exitCode !== null) throw new Error(`server exited with ${proc.exitCode}`);
    await Bun.sleep(5);
  }
  throw new Error("server did not become healthy");
}

/** The user and API token the load uses, created directly in our server's database. */
async function seedUser(databaseUrl: string | undefined, dataDir: string): Promise<string> {
  const h = await connectDatabase({ databaseUrl, dataDir });
  try {
    await migrateUp(h.db);
    const actor = { kind: "cli" as const, label: "bench", userId: null };
    const user = await new UsersService(h.db).create("bench", "bench password 123", actor);
    return (await new ApiTokensService(h.db).create(user.id, "bench", actor)).token;
  } finally {
    await h.close();
  }
}

function spawnOurs(databaseUrl: string | undefined, dataDir: string, logFile: string) {
  const port = freePort();
  const env = {
    PATH: process.env.PATH ?? "",
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  // A child's output to a Bun.file does not truncate it: an older log would show through.
  writeFileSync(join(dir, logFile), "");
  const log = Bun.file(join(dir, logFile));
  return { proc: Bun.spawn(OURS_CMD, { env, stdout: log, stderr: log }), base: `http://127.0.0.1:${port}` };
}

async function expectOk(label: string, answer: Promise<Response>): Promise<void> {
  const r = await answer;
  if (r.status !== 200) throw new Error(`${label}: ${r.status} ${await r.text()}`);
}

/** The source each start of ours ran, when it is the source. */
const versions = new Set<string>();

function ours(databaseUrl: string | undefined, token: string): Server {
  const headers = { authorization: `Bearer ${token}` };
  return {
    label: "ours",
    async start(tag, url = databaseUrl) {
      if (!useBinary) versions.add(await srcVersion());
      const { proc, base } = spawnOurs(url, dir, `ours-${tag}.log`);
      await waitHealthy(base, proc);
      return {
        label: "ours",
        base,
        headers,
        pid: proc.pid,
        clear: (symbol) =>
          expectOk("ours: clear_trade", fetch(`${base}/api/clear_trade/${symbol}`, { method: "POST", headers })),
        stop: async () => void (proc.kill(), await proc.exited),
      };
    },
  };
}

/** gunicorn's sync workers in the two Flask configurations. */
const FLASK_WORKERS = [2, 4];
const flaskLabel = (workers: number) => `Flask -w${workers}`;

function flask(main: string, databaseUrl: string, workers: number): Server {
  const label = flaskLabel(workers);
  return {
    label,
    async start(tag, url = databaseUrl) {
      const { proc, base } = await startPeer(
        dir,
        main,
        url,
        workers,
        freePort(),
        join(dir, `flask-w${workers}-${tag}.log`),
      );
      return {
        label,
        base,
        headers: {},
        pid: proc.pid,
        // The original has no clear_trade: its exit deletes the order (its levels stay; they hold nothing back there).
        clear: (symbol) =>
          expectOk(
            `${label}: exit`,
            fetch(`${base}/api/place_order`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ ticker: symbol, action: "exit" }),
            }),
          ),
        stop: async () => void (proc.kill(), await proc.exited),
      };
    },
  };
}

/** wrk's results per server, endpoint and connection count, one per round. */
const runs = new Map<string, WrkRun[]>();
const runKey = (server: string, e: Endpoint, c: number) => `${server}|${e.name}|${c}`;

async function measure(t: Target, e: Endpoint, c: number, seconds: number): Promise<WrkRun> {
  await seed(t);
  await e.prepare?.(t);
  const script = join(dir, "load.lua");
  writeFileSync(script, luaScript(e, t.headers, THREADS));
  return wrk(t.base + e.path, script, THREADS, c, seconds);
}

const ms = (x: number) => (x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0));
const int = (x: number) => Math.round(x).toLocaleString("en-US");

/** Ours' RSS: idle after the first start, and after each round's load. */
const rss = { idle: 0, loaded: [] as number[] };

async function round(r: number, server: Server): Promise<void> {
  const t = await server.start(`round${r}`);
  try {
    await Bun.sleep(SETTLE_MS);
    if (server.label === "ours" && r === 1) rss.idle = rssMb(t.pid);
    if (r === 1) console.log(`${server.label}: seeded ${await seed(t)}`);
    for (const e of ENDPOINTS) {
      await measure(t, e, CONNECTIONS[0]!, WARM_SECONDS);
      for (const c of CONNECTIONS) {
        const run = await measure(t, e, c, SECONDS);
        const key = runKey(server.label, e, c);
        runs.set(key, [...(runs.get(key) ?? []), run]);
        const errors = run.socketErrors ? `  socket errors: ${run.socketErrors}` : "";
        console.log(
          `round ${r}  ${server.label.padEnd(10)} ${e.name.padEnd(42)} c${String(c).padEnd(3)} ${int(run.rps).padStart(7)} req/s  p50 ${ms(run.p50)} ms  p99 ${ms(run.p99)} ms${errors}`,
        );
      }
    }
    if (server.label === "ours") rss.loaded.push(rssMb(t.pid));
  } finally {
    await t.stop();
  }
}

interface PerRequest {
  statements: number;
  transactions: number;
}

/**
 * What `work` (n requests) made the server send, less what it sends unprompted: the window
 * runs on a second after the last answer (for work that follows a request), and an idle
 * window of the same length right after is subtracted.
 */
async function perRequest(proxy: CountingProxy, n: number, work: () => Promise<unknown>): Promise<PerRequest> {
  const c0 = { ...proxy.counts };
  const t0 = performance.now();
  await work();
  await Bun.sleep(1000);
  const busy = minus(proxy.counts, c0);
  const span = performance.now() - t0;
  const c1 = { ...proxy.counts };
  await Bun.sleep(span);
  const net = minus(busy, minus(proxy.counts, c1));
  return { statements: net.statements / n, transactions: transactions(net) / n };
}

/** The k-th burst: BURST requests of the endpoint sent together. */
const burst = (t: Target, e: Endpoint, k: number) =>
  Promise.all(Array.from({ length: BURST }, (_, j) => send(t, e, k * BURST + j)));

interface SqlCost {
  idle: { statementsPerS: number; transactionsPerS: number };
  oneAtATime: Map<string, PerRequest>;
  burst: Map<string, PerRequest>;
}

/** What the server sends with no request coming in: lease renewals, the clock, the archive. */
async function idleRate(proxy: CountingProxy): Promise<SqlCost["idle"]> {
  const before = { ...proxy.counts };
  await Bun.sleep(IDLE_MS);
  const idle = minus(proxy.counts, before);
  return {
    statementsPerS: idle.statements / (IDLE_MS / 1000),
    transactionsPerS: transactions(idle) / (IDLE_MS / 1000),
  };
}

async function countSql(server: Server, proxied: string, proxy: CountingProxy): Promise<SqlCost> {
  const t = await server.start("count", proxied);
  try {
    await seed(t);
    await Bun.sleep(SETTLE_MS);
    const cost: SqlCost = { idle: await idleRate(proxy), oneAtATime: new Map(), burst: new Map() };
    for (const e of ENDPOINTS) {
      const ready = async () => {
        await seed(t);
        await e.prepare?.(t);
      };
      // An untimed burst first fills the server's connection pool and caches: a window counts the steady cost.
      const window = async (n: number, work: () => Promise<unknown>) => {
        await ready();
        await burst(t, e, 0);
        await ready();
        await Bun.sleep(QUIET_MS);
        await send(t, ENDPOINTS[1]!, 0); // get_tp_levels: a read that changes nothing
        return perRequest(proxy, n, work);
      };
      cost.oneAtATime.set(
        e.name,
        await window(ONE_AT_A_TIME, async () => {
          for (let k = 0; k < ONE_AT_A_TIME; k++) await send(t, e, k);
        }),
      );
      cost.burst.set(
        e.name,
        await window(BURST * BURSTS, async () => {
          for (let b = 0; b < BURSTS; b++) await burst(t, e, b);
        }),
      );
      console.log(`counted ${server.label}: ${e.name}`);
    }
    return cost;
  } finally {
    await t.stop();
  }
}

/** Process spawn until /healthz answers 200, five times on the seeded database. */
async function startupTimes(databaseUrl: string | undefined): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { proc, base } = spawnOurs(databaseUrl, dir, `startup-${i + 1}.log`);
    times.push(await waitHealthy(base, proc));
    proc.kill();
    await proc.exited;
  }
  return times.sort((a, b) => a - b);
}

/** PGlite's first start creates its database: timed on an empty DATA_DIR. */
async function pgliteFirstStart(): Promise<number> {
  const { proc, base } = spawnOurs(undefined, join(dir, "first-start"), "first-start.log");
  try {
    return await waitHealthy(base, proc, 120_000);
  } finally {
    proc.kill();
    await proc.exited;
  }
}

// --- report

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const spread = (xs: number[], f: (x: number) => string) =>
  xs.length > 1 ? `${f(median(xs))} (${f(Math.min(...xs))}–${f(Math.max(...xs))})` : f(xs[0]!);

function table(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function oursTable(): string {
  return table(
    ["endpoint", "connections", "req/s", "p50 ms", "p99 ms"],
    ENDPOINTS.flatMap((e) =>
      CONNECTIONS.map((c) => {
        const rs = runs.get(runKey("ours", e, c))!;
        return [
          `\`${e.name}\``,
          String(c),
          spread(
            rs.map((r) => r.rps),
            int,
          ),
          spread(
            rs.map((r) => r.p50),
            ms,
          ),
          spread(
            rs.map((r) => r.p99),
            ms,
          ),
        ];
      }),
    ),
  );
}

function peerTable(peers: string[]): string {
  return table(
    [
      "endpoint",
      "connections",
      "ours req/s",
      ...peers.map((p) => `${p} req/s`),
      "ours ÷ better Flask",
      "p99 ours / Flask ms",
    ],
    ENDPOINTS.flatMap((e) =>
      CONNECTIONS.map((c) => {
        const mine = runs.get(runKey("ours", e, c))!;
        const theirs = peers.map((p) => runs.get(runKey(p, e, c))!);
        // The better of the Flask configurations by median req/s, compared round by round.
        const best = theirs.reduce((a, b) => (median(b.map((r) => r.rps)) > median(a.map((r) => r.rps)) ? b : a));
        const ratios = mine.map((r, i) => r.rps / best[i]!.rps);
        return [
          `\`${e.name}\``,
          String(c),
          spread(
            mine.map((r) => r.rps),
            int,
          ),
          ...theirs.map((rs) =>
            spread(
              rs.map((r) => r.rps),
              int,
            ),
          ),
          spread(ratios, (x) => `${x.toFixed(1)}×`),
          `${ms(median(mine.map((r) => r.p99)))} / ${ms(median(best.map((r) => r.p99)))}`,
        ];
      }),
    ),
  );
}

function sqlTable(costs: Map<string, SqlCost>): string {
  const cell = (p: PerRequest) => `${p.statements.toFixed(2)} / ${p.transactions.toFixed(2)}`;
  const servers = [...costs.keys()];
  return table(
    ["endpoint", ...servers.flatMap((s) => [`${s}: one at a time`, `${s}: ${BURST} at once`])],
    ENDPOINTS.map((e) => [
      `\`${e.name}\``,
      ...servers.flatMap((s) => [cell(costs.get(s)!.oneAtATime.get(e.name)!), cell(costs.get(s)!.burst.get(e.name)!)]),
    ]),
  );
}

/** src/'s last commit, and a hash of what differs from it: the source is read anew at every start. */
async function srcVersion(): Promise<string> {
  const commit = (await $`git log -1 --format=%h -- src`.text()).trim();
  const changes =
    (await $`git diff HEAD -- src`.text()) + (await $`git ls-files --others --exclude-standard -- src`.text());
  return changes ? `${commit} + uncommitted changes ${Bun.hash(changes).toString(16).slice(0, 8)}` : commit;
}

async function header(): Promise<string[]> {
  const head = (await $`git log -1 --format=%h`.text()).trim();
  const lines = [
    `command: bun bench/http-api.ts ${process.argv.slice(2).join(" ")}`.trim(),
    `ours: ${useBinary ? "dist/trading-app (binary)" : `bun src/main.ts (source at ${await srcVersion()})`}, Bun ${Bun.version}, checkout at ${head}, LOG_LEVEL=info, ${PGLITE ? "PGlite in DATA_DIR" : "Postgres"}`,
    `machine: ${availableParallelism()} CPUs (wrk, the servers and Postgres share them)`,
    `load: wrk -t${THREADS} -c{${CONNECTIONS.join(",")}} -d${SECONDS}s --latency, ${ROUNDS} round(s), ${WARM_SECONDS} s untimed warm-up per endpoint and start; every run re-seeded to 20 open trades × 3 TP levels`,
  ];
  if (!PGLITE) lines.push(`Postgres: ${await adminQuery("select version()")}`);
  if (PEER) lines.push(`peer: ${PEER} under ${await checkPeerTools()}`);
  return lines;
}

const out: string[] = await header();
console.log(out.join("\n") + "\n");
const ourDb = runId;
const peerDb = `${runId}_peer`;
const databases: string[] = [];
const costs = new Map<string, SqlCost>();
let startup: number[] = [];
let firstStart: number | undefined;
let proxy: CountingProxy | undefined;
try {
  if (!PGLITE) {
    for (const db of PEER ? [ourDb, peerDb] : [ourDb]) {
      await adminQuery(`create database ${db}`);
      databases.push(db);
    }
  }
  const ourUrl = PGLITE ? undefined : urlFor(ourDb);
  const token = await seedUser(ourUrl, dir);
  const servers: Server[] = [ours(ourUrl, token)];
  if (PEER) {
    await preparePeer(dir, PEER, urlFor(peerDb));
    servers.push(...FLASK_WORKERS.map((w) => flask(PEER, urlFor(peerDb), w)));
  }

  if (STARTUP) {
    startup = await startupTimes(ourUrl);
    if (PGLITE) firstStart = await pgliteFirstStart();
  }
  for (let r = 1; r <= ROUNDS; r++) for (const s of servers) await round(r, s);

  if (!PGLITE) {
    const pgUrl = new URL(admin);
    proxy = startCountingProxy({ hostname: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    costs.set("ours", await countSql(servers[0]!, urlFor(ourDb, proxy.port), proxy));
    if (PEER) costs.set(servers[1]!.label, await countSql(servers[1]!, urlFor(peerDb, proxy.port), proxy));
  }
} finally {
  proxy?.stop();
  for (const db of databases) await adminQuery(`drop database if exists ${db} with (force)`);
}

if (versions.size > 1) out.push(`src/ changed during the run: ours ran ${[...versions].join("; ")}`);
out.push(
  "",
  "## Requests/s (median of the rounds, min–max in brackets)",
  "",
  PEER ? peerTable(FLASK_WORKERS.map(flaskLabel)) : oursTable(),
);
if (PEER) {
  out.push(
    "",
    "The ratio is ours over the better Flask configuration of that row (by median), round by round;",
    "p99 is the median of the rounds. The original logs at DEBUG to gunicorn's stderr (its own logging.basicConfig),",
    `part of what its requests cost: ${(peerLogBytes() / 1e6).toFixed(0)} MB written to ${dir}/flask-*.log.`,
  );
}
if (costs.size) {
  out.push(
    "",
    `## SQL per request: statements / transactions (BEGIN, COMMIT, ROLLBACK not counted as statements; a statement outside BEGIN … COMMIT is a transaction of its own)`,
    "",
    sqlTable(costs),
    "",
    `One at a time: ${ONE_AT_A_TIME} requests in sequence; at once: ${BURSTS} bursts of ${BURST} sent together. Each after ${QUIET_MS / 1000} s quiet, less the background traffic of an equal idle period.`,
  );
  for (const [label, c] of costs)
    out.push(
      `idle: ${label} ${c.idle.statementsPerS.toFixed(1)} statements/s (${c.idle.transactionsPerS.toFixed(1)} transactions/s)`,
    );
} else {
  out.push(
    "",
    "SQL per request: not counted — PGlite runs inside the server's process, with no connection to count on.",
  );
}
if (STARTUP) {
  out.push(
    "",
    `start-up to the first /healthz 200 (${useBinary ? "binary" : "source"}): median ${startup[2]!.toFixed(0)} ms (${startup[0]!.toFixed(0)}–${startup[4]!.toFixed(0)}), 5 starts`,
  );
  if (firstStart !== undefined)
    out.push(`first start on an empty DATA_DIR (PGlite creates its database): ${(firstStart / 1000).toFixed(1)} s`);
}
out.push(
  `ours RSS: idle ${rss.idle.toFixed(0)} MB (${SETTLE_MS / 1000} s after start); after each round's load: ${rss.loaded.map((x) => x.toFixed(0)).join(" / ")} MB`,
);
out.push("", `logs and wrk scripts: ${dir}`);
const report = out.join("\n");
writeFileSync(join(dir, "summary.md"), report + "\n");
console.log("\n" + report);

function peerLogBytes(): number {
  return [...new Bun.Glob("flask-*.log").scanSync(dir)].reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
}
