// Our server's start-up: spawn until /healthz answers 200.
import { join } from "node:path";
import { dir } from "./options";
import { spawnOurs, waitHealthy } from "./servers";

/** Process spawn until /healthz answers 200, five times on the seeded database. */
export async function startupTimes(databaseUrl: string | undefined): Promise<number[]> {
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
export async function pgliteFirstStart(): Promise<number> {
  const { proc, base } = spawnOurs(undefined, join(dir, "first-start"), "first-start.log");
  try {
    return await waitHealthy(base, proc, 120_000);
  } finally {
    proc.kill();
    await proc.exited;
  }
}
