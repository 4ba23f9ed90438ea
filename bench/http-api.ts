// Requests/s of the original API on Postgres, and the binary's start-up time and idle memory.
//   bun bench/http-api.ts            (needs wrk: apt-get install wrk; Postgres at BENCH_DATABASE_URL)
import { $ } from "bun";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { ApiTokensService } from "../src/auth/api-tokens-service";
import { UsersService } from "../src/auth/users-service";
import { CATALOGUE } from "../src/market-data/instruments/catalogue";
import { connectDatabase } from "../src/persistence/connect";
import { migrateUp } from "../src/persistence/migrator";
import { formatFixed } from "../src/shared/fixed-point";

const admin = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const dbName = `bench_${Date.now().toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), "bench-http-"));

async function adminQuery(sql: string) {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function urlFor(db: string) {
  const u = new URL(admin);
  u.pathname = `/${db}`;
  return u.toString();
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

function rssMb(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
}

async function wrk(args: string[]): Promise<{ rps: number; p50: string; p99: string }> {
  const out = await $`wrk ${args}`.text();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx) throw new Error(`wrk saw ${non2xx} error answers:\n${out}`);
  return { rps, p50: /50%\s+(\S+)/.exec(out)?.[1] ?? "?", p99: /99%\s+(\S+)/.exec(out)?.[1] ?? "?" };
}

await adminQuery(`create database ${dbName}`);
const dbUrl = urlFor(dbName);
let server: Bun.Subprocess | undefined;
try {
  // Seed: one user, a token, 20 open trades with 3 take-profit levels each.
  const h = await connectDatabase({ databaseUrl: dbUrl, dataDir: dir });
  await migrateUp(h.db);
  const actor = { kind: "cli" as const, label: "bench", userId: null };
  const user = await new UsersService(h.db).create("bench", "bench password 123", actor);
  const { token } = await new ApiTokensService(h.db).create(user.id, "bench", actor);
  await h.close();

  const useBinary = existsSync("dist/trading-app") && process.env.BENCH_SOURCE !== "1";
  const cmd = useBinary ? ["./dist/trading-app", "serve"] : ["bun", "src/main.ts", "serve"];
  const port = 21000 + Math.floor(Math.random() * 10000);
  const base = `http://127.0.0.1:${port}`;
  const logFile = Bun.file(join(dir, "server.log"));
  const env = { PATH: process.env.PATH ?? "", PORT: String(port), DATABASE_URL: dbUrl, DATA_DIR: dir, LOG_LEVEL: "info" };

  // Start-up: process spawn until /healthz answers 200, five times.
  const startups: number[] = [];
  for (let i = 0; i < 5; i++) {
    const p = Bun.spawn(cmd, { env, stdout: logFile, stderr: logFile });
    startups.push(await waitHealthy(base, p));
    p.kill();
    await p.exited;
  }
  startups.sort((a, b) => a - b);

  server = Bun.spawn(cmd, { env, stdout: logFile, stderr: logFile });
  await waitHealthy(base, server);
  await Bun.sleep(5000);
  const idleRss = rssMb(server.pid);

  const symbols = CATALOGUE.map((i) => i.root);
  const active_orders: Record<string, unknown> = {};
  const tp_levels: Record<string, unknown> = {};
  for (const inst of CATALOGUE) {
    const entry = inst.tickSize * 40_000n;
    active_orders[inst.root] = { action: "buy", quantity: 3, entry_price: Number(formatFixed(entry)), timestamp: 1_732_400_000 };
    tp_levels[inst.root] = [1n, 2n, 3n].map((k) => ({
      enabled: true, quantity: 1, target: Number(formatFixed(inst.tickSize * 4n * k)), price: Number(formatFixed(entry + inst.tickSize * 4n * k)), hit: false,
    }));
  }
  const seed = await fetch(`${base}/api/place_order`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ active_orders, tp_levels }) });
  if (seed.status !== 200) throw new Error(`seeding failed: ${seed.status} ${await seed.text()}`);
  const check = (await (await fetch(`${base}/api/get_active_orders`, { headers: { authorization: `Bearer ${token}` } })).json()) as { active_orders: object; tp_levels: Record<string, unknown[]> };
  console.log(`seeded ${Object.keys(check.active_orders).length} open trades × ${Object.values(check.tp_levels)[0]?.length} TP levels (${symbols.length} symbols)`);

  const common = ["-t", "2", "-c", String(connections), "-d", `${seconds}s`, "--latency", "-H", `Authorization: Bearer ${token}`];
  const get = await wrk([...common, `${base}/api/get_active_orders`]);
  // place_order alternates buy 1 / sell 1 of a symbol with no open trade: open, then close, each a real write + event.
  const lua = join(dir, "post.lua");
  writeFileSync(lua, `
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local side = (n % 2 == 0) and "sell" or "buy"
  return wrk.format(nil, nil, nil, '{"ticker":"MES1!","action":"' .. side .. '","orderType":"market","limitPrice":5012.25,"quantity":1}')
end`);
  await fetch(`${base}/api/clear_trade/MES`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
  const post = await wrk([...common, "-s", lua, `${base}/api/place_order`]);
  const loadRss = rssMb(server.pid);

  console.log(`\ncommand: bun bench/http-api.ts   (${useBinary ? "dist/trading-app" : "bun src/main.ts"}, Postgres, wrk -t2 -c${connections} -d${seconds}s, LOG_LEVEL=info)`);
  console.log(`GET  /api/get_active_orders (20 trades × 3 TP): ${get.rps.toFixed(0)} req/s  p50 ${get.p50}  p99 ${get.p99}`);
  console.log(`POST /api/place_order (single form, write + event): ${post.rps.toFixed(0)} req/s  p50 ${post.p50}  p99 ${post.p99}`);
  console.log(`start-up to first /healthz 200: median ${startups[2]!.toFixed(0)} ms (min ${startups[0]!.toFixed(0)}, max ${startups[4]!.toFixed(0)})`);
  console.log(`RSS: idle ${idleRss.toFixed(0)} MB, after load ${loadRss.toFixed(0)} MB`);
} finally {
  server?.kill();
  await server?.exited;
  await adminQuery(`drop database if exists ${dbName} with (force)`);
}
