import { readFileSync } from "node:fs";
import { websocket } from "elysia/ws";
import type { Config } from "../config/config";
import type { Logger } from "../log/logger";
import { connectDatabase } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { createApp, createFetch } from "../web/app";
import { createAppContext, type AppContext } from "./context";
import { startMarketData } from "./market-data-startup";
import { startEngine } from "./engine-startup";
import { startFeedWatch } from "./feed-watch-startup";
import { withStoredKeys } from "./stored-keys";
import { openCluster } from "./cluster-startup";

export interface RunningServer {
  url: string;
  ctx: AppContext;
  stop(): Promise<void>;
}

/** Connects, migrates, builds the services and serves HTTP; `stop` undoes it in reverse. */
export async function startServer(envConfig: Config, logger: Logger): Promise<RunningServer> {
  const t0 = performance.now();
  // Half a lease: a process stopped inside a write frees its shards' rows in time for a takeover.
  const handle = await connectDatabase({
    databaseUrl: envConfig.DATABASE_URL,
    dataDir: envConfig.DATA_DIR,
    idleInTransactionMs: envConfig.LEASE_TTL_MS / 2,
  });
  logger.info("db.connected", { kind: handle.kind, location: handle.location });
  try {
    const applied = await migrateUp(handle.db);
    for (const line of applied) logger.info("db.migration", { result: line });
  } catch (err) {
    await handle.close();
    throw err;
  }
  const config = await withStoredKeys(envConfig, handle.db, logger);
  const ctx = createAppContext(config, logger, handle.db, handle.kind);
  // With NATS_URL the instances pass requests and messages to each other; the engine's shards need it first.
  const closeCluster = await openCluster(ctx).catch(async (err) => {
    await handle.close();
    throw err;
  });
  // The engine resumes before anything can send it a command (on a shared Postgres: the shards it claims).
  const stopEngine = await startEngine(ctx).catch(async (err) => {
    await closeCluster();
    await handle.close();
    throw err;
  });
  await ctx.replay.start();
  const app = createApp(ctx);
  const tls =
    config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? { cert: readFileSync(config.TLS_CERT_FILE, "utf8"), key: readFileSync(config.TLS_KEY_FILE, "utf8") }
      : undefined;
  const fetch = createFetch(ctx, app);
  // Requests other instances pass on for this instance's shards go through the same stack.
  ctx.cluster?.forwarding.attach(fetch);
  const server = Bun.serve({
    hostname: config.HOST,
    port: config.PORT,
    fetch,
    // Elysia's socket handlers; the price hub decides what a slow socket gets, far below this limit.
    websocket: {
      ...(websocket as unknown as Bun.WebSocketHandler<unknown>),
      backpressureLimit: 4 * 1024 * 1024,
      closeOnBackpressureLimit: false,
      idleTimeout: 120,
    },
    ...(tls ? { tls } : {}),
    // Only reached if the fetch wrapper itself fails; every request error is mapped inside it.
    error(err) {
      logger.error("http.server_error", { error: err });
      return new Response(JSON.stringify({ success: false, message: "internal error" }), {
        status: 500,
        headers: { "content-type": "application/json" },
      });
    },
  });
  // Elysia upgrades sockets through the server it knows; this server is ours (see web/http.ts).
  (app as unknown as { server: typeof server }).server = server;
  ctx.priceHub.attach(server);
  const hubTimer = setInterval(() => ctx.priceHub.tick(), 25);
  hubTimer.unref();
  const url = `${tls ? "https" : "http"}://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${server.port}`;
  logger.info("server.listening", { url, database: handle.kind, startup_ms: Math.round(performance.now() - t0) });

  const stopMarketData = config.FEED !== "off" ? await startMarketData(ctx) : async () => {};
  // With FEED=off too: open positions then have no prices at all, and the pages must say so.
  const stopFeedWatch = startFeedWatch(ctx);

  if ((await ctx.users.count()) === 0) {
    const token = ctx.setup.issue();
    const base = config.PUBLIC_URL?.replace(/\/$/, "") ?? url;
    // The one secret deliberately logged: the operator needs it to create the first user.
    logger.info("setup.required", {
      message: "no user exists yet: open this link once to create the first user",
      setup_url: `${base}/setup?token=${token}`,
    });
  }
  const purge = setInterval(() => {
    ctx.sessions.purgeExpired().catch((err) => logger.warn("sessions.purge_failed", { error: err }));
  }, 3_600_000);
  purge.unref();

  return {
    url,
    ctx,
    async stop() {
      clearInterval(purge);
      clearInterval(hubTimer);
      stopFeedWatch();
      await stopMarketData();
      await ctx.replay.stop();
      await stopEngine();
      await closeCluster();
      // Close open sockets too: a browser's price socket would otherwise hold shutdown open.
      await server.stop(true);
      await handle.close();
      logger.info("server.stopped", {});
    },
  };
}
