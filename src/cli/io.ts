import type { Config } from "../config/config";
import { connectDatabase, type DatabaseHandle } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";

// What every subcommand shares (errors, output, a database for one command). A module of its own so
// that the subcommands never import cli.ts, which imports them.

export class CliError extends Error {
  override name = "CliError";
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  readStdin: () => Promise<string>;
}

function writeOut(line: string): void {
  try {
    process.stdout.write(line + "\n");
  } catch (err) {
    // The reader went away (`cli dbn file | head`): stop quietly, as Unix tools do.
    if ((err as NodeJS.ErrnoException).code === "EPIPE") process.exit(0);
    throw err;
  }
}

export const defaultIo: CliIo = {
  out: writeOut,
  err: (l) => process.stderr.write(l + "\n"),
  readStdin: () => Bun.stdin.text(),
};

export async function withDatabase<T>(config: Config, fn: (h: DatabaseHandle) => Promise<T>): Promise<T> {
  const h = await connectDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  try {
    await migrateUp(h.db);
    return await fn(h);
  } finally {
    await h.close();
  }
}
