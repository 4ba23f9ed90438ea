// End-to-end price latency: a fake Databento gateway writes MBP-1 trade records (DBN over the
// Live protocol) → the real server (LiveClient → decoder → bus → web/realtime hub → /ws) → N
// authenticated WebSocket clients. Each trade's price carries its sequence number
// (price = 5000 + seq ticks of 0.25) and the bench keeps seq → performance.now() at the gateway
// write, so a client's receive time minus that is the latency, read on one clock.
//   bun bench/ticks-to-ws.ts [--seconds 5] [--rate 5000] [--clients 1,100,1000] [--split]
//   bun bench/ticks-to-ws.ts --cluster [--instances 3] [--clients 1000] [--split]
//                            [--database-url postgres://…] [--nats nats://…|private]
// Default: gateway, server and clients in this one process. --split runs the server in a child
// process (this file with --serve) so it has a core of its own; gateway and clients stay here,
// so send and receive times still come from the same clock.
// --cluster: the same runs against the single-process server (in this process, or --split), then
// against a cluster of real server processes (src/main.ts serve) on one fresh Postgres schema and
// NATS — the feed leader (whoever holds the feed lease) connects to this bench's gateway, the
// others get its records through NATS; the clients are spread evenly over the instances, each
// connected to an instance's own port. Gateway and clients stay in this process (one clock).
// NATS: --nats, else NATS_URL, else nats://127.0.0.1:4222 (the instances' subjects carry their
// deployment's name, so other clusters on that server do not hear them); --nats private starts a
// nats-server of the bench's own on a free port (stopped with the cluster).
// Helpers: ticks-to-ws/options.ts (options), tape.ts (what the gateway wrote and when), clients.ts
// (timed WebSocket clients, one run), cluster.ts (--cluster), report.ts (tables), cleanup.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/app/server";
import { loadConfig } from "../src/config/config";
import { redactUrl } from "../src/persistence/connect";
import { memoryLogger } from "../src/log/logger";
import { startFakeGateway } from "../src/market-data/databento/fake-gateway";
import { startSessionFeed } from "../src/market-data/databento/gateway-feed";
import { cleanUp, onCleanup } from "./ticks-to-ws/cleanup";
import { type RunResult, run, type Target } from "./ticks-to-ws/clients";
import { awaitClusterFeed, bootCluster, roleOf } from "./ticks-to-ws/cluster";
import {
  API_KEY,
  arg,
  CLIENTS,
  CLUSTER,
  INSTANCES,
  INSTRUMENT,
  NATS_ARG,
  PACE_MS,
  PG_URL,
  RATE,
  SECONDS,
  SPLIT,
  WARMUP_S,
} from "./ticks-to-ws/options";
import { clusterTable, singleNotes, singleTable } from "./ticks-to-ws/report";
import { feeds, openFeeds, seqOf, tape } from "./ticks-to-ws/tape";

/** The real server, FEED=databento against the bench's gateway, with a user and an API token. */
async function bootServer(gatewayAddr: string, measureHub: boolean): Promise<Target> {
  const dataDir = mkdtempSync(join(tmpdir(), "bench-ws-"));
  const server = await startServer(
    loadConfig({
      PORT: "0",
      DATA_DIR: dataDir,
      SECRET_KEY: "5a".repeat(32),
      FEED: "databento",
      DATABENTO_API_KEY: API_KEY,
      DATABENTO_GATEWAY: gatewayAddr,
    }),
    memoryLogger("warn"),
  );
  // Subscribed after the app's subscribers (app/subscribers.ts: browsers last). The hub publishes
  // a burst's prints in a microtask queued at its first print; the one queued here at the first
  // print runs after it, so each print is timed once it was handed to the sockets (topic publish
  // returned).
  if (measureHub) {
    const pending: number[] = [];
    const measure = () => {
      const now = performance.now();
      for (const s of pending)
        if (s >= tape.current.firstSeq && s < tape.seq) tape.current.hub.add(now - tape.sentAt[s]!);
      pending.length = 0;
    };
    server.ctx.marketData.bus.subscribe({
      trade: (t) => {
        if (pending.push(seqOf(t.price)) === 1) queueMicrotask(measure);
      },
    });
  }
  const actor = { kind: "cli" as const, label: "bench", userId: null };
  const user = await server.ctx.users.create("bench", "a long enough password", actor);
  const token = (await server.ctx.tokens.create(user.id, "bench-ws", actor)).token;
  const stop = onCleanup("server", async () => {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { url: server.url, token, stop };
}

/** --split: the same server in a child Bun process; it prints {url, token} and stops at stdin EOF. */
async function spawnServer(gatewayAddr: string): Promise<Target> {
  const child = Bun.spawn(["bun", import.meta.path, "--serve", gatewayAddr], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  // Stopped at stdin EOF (it removes its data directory); killed if it does not stop in time.
  const stop = onCleanup("server process", async () => {
    try {
      child.stdin.end();
    } catch {}
    const code = await Promise.race([child.exited, Bun.sleep(10_000).then(() => undefined)]);
    if (code === undefined) {
      child.kill("SIGKILL");
      await child.exited;
      throw new Error("the server process did not stop within 10 s: killed");
    }
    if (code !== 0) throw new Error(`the server process failed (exit code ${code})`);
  });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the server process exited before it was ready");
    out += new TextDecoder().decode(value);
  }
  const { url, token } = JSON.parse(out) as { url: string; token: string };
  return { url, token, stop };
}

if (process.argv.includes("--serve")) {
  const target = await bootServer(arg("serve", ""), false);
  console.log(JSON.stringify({ url: target.url, token: target.token }));
  await Bun.stdin.text(); // until the bench closes our stdin
  await target.stop();
  process.exit(0);
}

// --- set-up: gateway, then the real server pointing at it --------------------------------
/** Until the gateway has started more than `before` sessions and one is open. */
async function awaitSession(before: number, ms: number): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end; await Bun.sleep(10))
    if (feeds.length > before && openFeeds().length) return true;
  return false;
}
let exitCode = 0;
try {
  const gateway = startFakeGateway({
    apiKeys: [API_KEY],
    onStart: (s) => feeds.push(startSessionFeed(s, { instruments: [INSTRUMENT] })),
  });
  onCleanup("gateway", async () => gateway.stop());
  const gatewayAddr = `${gateway.host}:${gateway.port}`;
  const target = SPLIT ? await spawnServer(gatewayAddr) : await bootServer(gatewayAddr, true);
  if (!(await awaitSession(0, 5_000))) throw new Error("the server never started a gateway session");

  const cmd = `bun bench/ticks-to-ws.ts --seconds ${SECONDS} --rate ${RATE} --clients ${CLIENTS.join(",")}${SPLIT ? " --split" : ""}${CLUSTER ? ` --cluster --instances ${INSTANCES}${process.argv.includes("--nats") ? ` --nats ${NATS_ARG}` : ""}` : ""}`;
  console.log(`command: ${cmd}`);
  console.log(
    `MBP-1 trade records at ${RATE.toLocaleString()}/s for ${SECONDS} s per run (batches every ${PACE_MS} ms); one symbol (MES)`,
  );
  console.log(
    SPLIT
      ? "server in a child process; gateway and clients in this one"
      : "gateway, server and clients in this one process",
  );
  await run(1, WARMUP_S, [target]); // JIT warm-up, not reported

  const results: RunResult[] = [];
  if (!CLUSTER) {
    const row = singleTable();
    for (const n of CLIENTS) {
      const res = await run(n, SECONDS, [target]);
      results.push(res);
      row(n, res);
    }
    singleNotes(results);
  } else {
    // 1. the single-process server, as without --cluster
    const single: RunResult[] = [];
    for (const n of CLIENTS) single.push(await run(n, SECONDS, [target]));
    await target.stop();
    // 2. the cluster, on the same gateway: its feed leader opens a session of its own
    const before = feeds.length;
    const tBoot = performance.now();
    const cluster = await bootCluster(gatewayAddr, INSTANCES);
    console.log(
      `cluster: ${INSTANCES} instances (src/main.ts serve, separate processes) on Postgres ${redactUrl(PG_URL)}#${cluster.schema}, NATS ${cluster.nats}; up in ${((performance.now() - tBoot) / 1000).toFixed(1)} s`,
    );
    if (!(await awaitSession(before, 30_000))) throw new Error("no instance of the cluster started a gateway session");
    const roles0 = await awaitClusterFeed(cluster, gateway);
    console.log(
      `feed live on every instance ${((performance.now() - tBoot) / 1000).toFixed(1)} s after start; roles: ${roles0.map((r, i) => `${i} ${r}`).join(", ")}`,
    );
    await run(INSTANCES, WARMUP_S, cluster.targets); // JIT warm-up of every instance, not reported
    const clustered: { res: RunResult; roles: string[] }[] = [];
    for (const n of CLIENTS) {
      const res = await run(n, SECONDS, cluster.targets);
      clustered.push({ res, roles: (await cluster.health()).map(roleOf) });
    }
    const sessions = gateway.sessions.length;
    // What the instances warned about, less what this set-up always causes: the archive's Historical
    // backfill (no server here), the gateway refusing every symbol but MES, shards shared out at start.
    const expected = / archive\.|feed\.gateway_error|\(rebalanced\)/;
    const warned = cluster.events.flatMap((m, i) =>
      [...m].filter(([k]) => !expected.test(k)).map(([k, v]) => `${i}: ${k} ×${v}`),
    );

    clusterTable(single, clustered, sessions, warned);
    await cluster.stop();
  }
} catch (err) {
  console.error(`ticks-to-ws: ${(err as Error).stack ?? err}`);
  exitCode = 1;
} finally {
  await cleanUp();
}
process.exit(exitCode);
