import { loadConfig, type Config } from "../config/config";
import { createLogger, type Logger } from "../log/logger";
import { connectDatabase } from "../persistence/connect";
import { migrateDown, migrateUp, migrationStatus } from "../persistence/migrator";
import { startServer } from "../app/server";
import { userCommand, tokenCommand } from "./accounts-commands";
import { dbnCommand } from "./dbn-command";
import { liveCommand } from "./live-command";
import { CliError, type CliIo, defaultIo } from "./io";

export type { CliIo };

export const USAGE = `usage: trading-app <command>

  serve                          start the server (default)
  migrate up|down|status         apply, revert one, or list database migrations
  user add <name> [--admin]      create a user (the first is an administrator); password from stdin
  user list
  token create <name> [--user U] create an API token; it is printed alone on the last line
  token list [--user U]
  token revoke <name> [--user U]
  dbn <file> [--json|--pretty] [--limit N] [--schema S] [--metadata]
                                 print a DBN file (plain or zstd) as JSON lines
  live --dataset D --schema S --stype T --symbols A,B [--gateway host:port] [--start T] [--limit N]
                                 print a Databento Live session (key from DATABENTO_API_KEY)
  help

Configuration comes from environment variables (see README).`;

async function migrate(config: Config, sub: string | undefined, io: CliIo): Promise<void> {
  const h = await connectDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    if (sub === "up") for (const l of await migrateUp(h.db)) io.out(l);
    else if (sub === "down") for (const l of await migrateDown(h.db)) io.out(l);
    else if (sub === "status") {
      for (const m of await migrationStatus(h.db))
        io.out(
          `${m.executedAt ? "applied" : "pending"}  ${m.name}${m.executedAt ? `  ${m.executedAt.toISOString()}` : ""}`,
        );
    } else throw new CliError("usage: migrate up|down|status");
    if (sub === "up") io.out("database is up to date");
  } finally {
    await h.close();
  }
}

async function serve(config: Config, logger: Logger): Promise<never> {
  const server = await startServer(config, logger).catch((err: Error) => {
    // One JSON line and a non-zero exit: nothing may keep a half-started server alive.
    logger.error("server.start_failed", { reason: err.message });
    process.exit(1);
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info("server.signal", { signal });
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await server.stop();
  process.exit(0);
}

/** Runs one command; returns the process exit code. */
export async function runCli(
  argv: string[],
  io: CliIo = defaultIo,
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [command = "serve", ...rest] = argv;
  if (command === "help" || command === "--help" || command === "-h") {
    io.out(USAGE);
    return 0;
  }
  try {
    // Needs no configuration or database: a file tool.
    if (command === "dbn") {
      await dbnCommand(rest, io);
      return 0;
    }
    if (command === "live") return await liveCommand(rest, io, env);
    const config = loadConfig(env);
    const logger = createLogger(config.LOG_LEVEL);
    switch (command) {
      case "serve":
        return await serve(config, logger);
      case "migrate":
        await migrate(config, rest[0], io);
        return 0;
      case "user":
        await userCommand(config, rest, io);
        return 0;
      case "token":
        await tokenCommand(config, rest, io);
        return 0;
      default:
        io.err(`unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    io.err(`error: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
