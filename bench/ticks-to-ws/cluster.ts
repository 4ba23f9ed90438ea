// --cluster of bench/ticks-to-ws.ts: real server processes on one fresh Postgres schema and NATS.
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Subprocess } from "bun";
import { sql } from "kysely";
import { ApiTokensService } from "../../src/auth/api-tokens-service";
import { UsersService } from "../../src/auth/users-service";
import { configSchema } from "../../src/config/config";
import { connectDatabase } from "../../src/persistence/connect";
import { migrateUp } from "../../src/persistence/migrator";
import type { FakeGateway } from "../../src/market-data/databento/fake-gateway";
import { onCleanup } from "./cleanup";
import type { Target } from "./clients";
import { API_KEY, NATS_ARG, PG_URL } from "./options";
import { sendTrades } from "./tape";

export interface Cluster {
  schema: string;
  nats: string;
  targets: Target[];
  /** Warn/error events each instance logged so far, by "level event". */
  events: Map<string, number>[];
  /** Each instance's /healthz (undefined: no answer). */
  health(): Promise<(any | undefined)[]>;
  stop(): Promise<void>;
}

/** Ports free right now (the instances bind them a moment later). */
function freePorts(n: number): number[] {
  const listeners = Array.from({ length: n }, () =>
    Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } }),
  );
  const ports = listeners.map((l) => l.port);
  for (const l of listeners) l.stop(true);
  return ports;
}

/** Keeps the last lines a child wrote (for the error message if it dies) and counts its warn/error events; the pipe never fills. */
function keepTail(stream: ReadableStream<Uint8Array>, tail: string[], events: Map<string, number>): void {
  void (async () => {
    const dec = new TextDecoder();
    let rest = "";
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      const lines = (rest + dec.decode(chunk, { stream: true })).split("\n");
      rest = lines.pop()!;
      for (const l of lines) {
        if (!l.trim()) continue;
        tail.push(l);
        if (tail.length > 30) tail.shift();
        try {
          const e = JSON.parse(l) as { level?: string; event?: string; reason?: unknown };
          const key = `${e.level} ${e.event}${String(e.reason).startsWith("rebalanced") ? " (rebalanced)" : ""}`;
          if (e.level === "warn" || e.level === "error") events.set(key, (events.get(key) ?? 0) + 1);
        } catch {}
      }
    }
  })().catch(() => {});
}

/** Until something accepts TCP connections at host:port. */
async function listening(host: string, port: number, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: host,
        port,
        socket: {
          open: (s) => (s.end(), resolve(true)),
          data() {},
          error: () => resolve(false),
          connectError: () => resolve(false),
        },
      }).catch(() => resolve(false));
    });
    if (ok) return true;
    await Bun.sleep(50);
  }
  return false;
}

/**
 * `count` instances of `src/main.ts serve`, as an operator runs them (cf. src/cluster/test-cluster.ts):
 * a fresh schema, migrated, with the bench user and its API token; FEED=databento at the bench's
 * gateway on every instance (only the feed leader connects), NATS_URL for the cluster mode.
 */
export async function bootCluster(gatewayAddr: string, count: number): Promise<Cluster> {
  const schema = `bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
  const db = await connectDatabase({ databaseUrl: PG_URL, dataDir: "", schema, poolSize: 2 });
  const procs: { proc: Subprocess<"ignore", "pipe", "pipe">; tail: string[]; events: Map<string, number> }[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "bench-ws-cluster-"));
  let natsServer: Subprocess<"ignore", "ignore", "pipe"> | undefined;
  const stop = onCleanup("cluster", async () => {
    for (const p of procs) p.proc.kill("SIGTERM");
    const all = Promise.all(procs.map((p) => p.proc.exited));
    // A clean shutdown gives its leases back; one that does not finish in time is killed.
    if (!(await Promise.race([all.then(() => true), Bun.sleep(5_000).then(() => false)])))
      for (const p of procs) p.proc.kill("SIGKILL");
    await all;
    natsServer?.kill("SIGTERM");
    await natsServer?.exited;
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.db);
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  let natsUrl = NATS_ARG;
  if (NATS_ARG === "private") {
    // Debian installs it in /usr/sbin, which not every PATH has.
    const natsBin =
      Bun.which("nats-server") ?? Bun.which("nats-server", { PATH: "/usr/sbin:/usr/local/sbin:/usr/local/bin" });
    if (!natsBin) throw new Error("--nats private: no nats-server on PATH");
    const [port] = freePorts(1);
    natsServer = Bun.spawn([natsBin, "-a", "127.0.0.1", "-p", String(port)], {
      stdin: "ignore",
      stdout: "ignore",
      stderr: "pipe",
    });
    keepTail(natsServer.stderr, [], new Map());
    if (!(await listening("127.0.0.1", port!, 10_000))) throw new Error("the bench's nats-server did not start");
    natsUrl = `nats://127.0.0.1:${port}`;
  }
  await migrateUp(db.db);
  const actor = { kind: "cli" as const, label: "bench", userId: null };
  const user = await new UsersService(db.db).create("bench", "a long enough password", actor);
  const token = (await new ApiTokensService(db.db).create(user.id, "bench-ws", actor)).token;
  const dbUrl = `${PG_URL}${PG_URL.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  // The app's own variables come only from here (as loadConfig({…}) for the in-process server);
  // the rest of the environment (PATH, BUN_*) is passed on.
  const env: Record<string, string> = {};
  const appVars = new Set(Object.keys(configSchema.shape));
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !appVars.has(k)) env[k] = v;
  const ports = freePorts(count);
  const main = join(import.meta.dir, "../../src/main.ts");
  for (let i = 0; i < count; i++) {
    const proc = Bun.spawn(["bun", main, "serve"], {
      env: {
        ...env,
        PORT: String(ports[i]),
        HOST: "127.0.0.1",
        DATABASE_URL: dbUrl,
        NATS_URL: natsUrl,
        DATA_DIR: join(dataDir, String(i)),
        SECRET_KEY: "5a".repeat(32),
        FEED: "databento",
        DATABENTO_API_KEY: API_KEY,
        DATABENTO_GATEWAY: gatewayAddr,
        LOG_LEVEL: "warn",
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    const tail: string[] = [];
    const events = new Map<string, number>();
    keepTail(proc.stdout, tail, events);
    keepTail(proc.stderr, tail, events);
    procs.push({ proc, tail, events });
  }
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const health = () =>
    Promise.all(
      urls.map((u) =>
        fetch(`${u}/healthz`).then(
          (r) => r.json(),
          () => undefined,
        ),
      ),
    );
  const end = performance.now() + 60_000;
  for (;;) {
    const dead = procs.findIndex((p) => p.proc.exitCode !== null);
    if (dead >= 0)
      throw new Error(`instance ${dead} exited (${procs[dead]!.proc.exitCode}):\n  ${procs[dead]!.tail.join("\n  ")}`);
    if ((await health()).every((h) => h?.status === "ok")) break;
    if (performance.now() > end) throw new Error("the instances did not answer /healthz within 60 s");
    await Bun.sleep(100);
  }
  return {
    schema,
    nats: natsServer ? `${natsUrl} (the bench's own nats-server)` : natsUrl.replace(/\/\/[^@/]*@/, "//***@"),
    events: procs.map((p) => p.events),
    targets: urls.map((url) => ({ url, token, stop: async () => {} })),
    health,
    stop,
  };
}

export const roleOf = (h: any): string => (h?.feed?.role as string | undefined) ?? "?";

/** Until every instance's feed is live, one of them the leader, the others followers; a trickle of trades meanwhile. */
export async function awaitClusterFeed(cluster: Cluster, gateway: FakeGateway): Promise<string[]> {
  const end = performance.now() + 60_000;
  for (;;) {
    const hs = await cluster.health();
    const roles = hs.map(roleOf);
    if (
      hs.every((h) => h?.feed?.state === "live") &&
      roles.filter((r) => r === "leader").length === 1 &&
      roles.filter((r) => r === "follower").length === hs.length - 1
    )
      return roles;
    if (performance.now() > end) {
      throw new Error(
        `the feed did not go live on every instance within 60 s: ${hs.map((h, i) => `${i}: ${JSON.stringify(h?.feed ?? "no answer")}`).join(", ")}; ` +
          `gateway sessions: ${gateway.sessions.length} (${gateway.sessions.filter((x) => x.closed).length} closed); ` +
          `warnings: ${cluster.events.flatMap((m, i) => [...m].map(([k, v]) => `${i}: ${k} ×${v}`)).join("; ")}`,
      );
    }
    // A follower is live once a relayed record reached it: keep records coming (seq below any run's).
    sendTrades(1);
    await Bun.sleep(50);
  }
}
