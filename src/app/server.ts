import { readFileSync } from "node:fs";
import type { Config } from "../config/config";
import type { Logger } from "../log/logger";
import { connectDatabase } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { createApp, createFetch } from "../web/app";
import { createAppContext, type AppContext } from "./context";

export interface RunningServer {
  url: string;
  ctx: AppContext;
  stop(): Promise<void>;
}

/** Connects, migrates, builds the services and serves HTTP; `stop` undoes it in reverse. */
export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const t0 = performance.now();
  const handle = await connectDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
  logger.info("db.connected", { kind: handle.kind, location: handle.location });
  try {
    const applied = await migrateUp(handle.db);
    for (const line of applied) logger.info("db.migration", { result: line });
  } catch (err) {
    await handle.close();
    throw err;
  }
  const ctx = createAppContext(config, logger, handle.db, handle.kind);
  const app = createApp(ctx);
  const tls = config.TLS_CERT_FILE && config.TLS_KEY_FILE
    ? { cert: readFileSync(config.TLS_CERT_FILE, "utf8"), key: readFileSync(config.TLS_KEY_FILE, "utf8") }
    : undefined;
  const server = Bun.serve({
    hostname: config.HOST,
    port: config.PORT,
    fetch: createFetch(ctx, app),
    ...(tls ? { tls } : {}),
    error(err) {
      logger.error("http.server_error", { error: err });
      return new Response(JSON.stringify({ success: false, message: "internal error" }), { status: 500 });
    },
  });
  const url = `${tls ? "https" : "http"}://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${server.port}`;
  logger.info("server.listening", { url, database: handle.kind, startup_ms: Math.round(performance.now() - t0) });

  if ((await ctx.users.count()) === 0) {
    const token = ctx.setup.issue();
    const base = config.PUBLIC_URL?.replace(/\/$/, "") ?? url;
    // The one secret deliberately logged: the operator needs it to create the first user.
    logger.info("setup.required", { message: "no user exists yet: open this link once to create the first user", setup_url: `${base}/setup?token=${token}` });
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
      await server.stop();
      await handle.close();
      logger.info("server.stopped", {});
    },
  };
}
