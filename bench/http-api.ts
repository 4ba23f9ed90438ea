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
import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { checkPeerTools, preparePeer } from "./flask-peer";
import { startCountingProxy, type CountingProxy } from "./pg-count-proxy";
import { adminQuery, seedUser, urlFor } from "./http-api/databases";
import {
  admin,
  BURST,
  BURSTS,
  CONNECTIONS,
  dir,
  ONE_AT_A_TIME,
  PEER,
  PGLITE,
  QUIET_MS,
  ROUNDS,
  runId,
  SECONDS,
  SETTLE_MS,
  STARTUP,
  THREADS,
  useBinary,
  WARM_SECONDS,
} from "./http-api/options";
import { FLASK_WORKERS, flask, flaskLabel, peerLogBytes } from "./http-api/peer";
import { oursTable, peerTable, sqlTable } from "./http-api/report";
import { ours, srcVersion, versions, type Server } from "./http-api/servers";
import type { SqlCost } from "./http-api/sql-count";
import { countSql } from "./http-api/sql-count";
import { pgliteFirstStart, startupTimes } from "./http-api/startup";
import { round, rss, runsOf } from "./http-api/wrk-rounds";

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
    const main = PEER; // an imported binding is not narrowed inside the callback
    await preparePeer(dir, main, urlFor(peerDb));
    servers.push(...FLASK_WORKERS.map((w) => flask(main, urlFor(peerDb), w)));
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
  PEER ? peerTable(runsOf, FLASK_WORKERS.map(flaskLabel)) : oursTable(runsOf),
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
