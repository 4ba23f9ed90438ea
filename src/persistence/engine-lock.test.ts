import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hostname } from "node:os";
import { join } from "node:path";
import { connectDatabase, type DatabaseHandle } from "./connect";
import { acquireEngineLock, EngineLockRefused } from "./engine-lock";
import { createTestDatabase } from "./test-database";

/**
 * A second server on the same Postgres database must not run a second engine over the same
 * accounts (every exit would fire twice): it refuses, naming the process that has it.
 */
const url = process.env.DATABASE_URL;
const postgres = describe.skipIf(!url);
if (!url) console.log("engine-lock.test: SKIPPED on PGlite (its data directory already belongs to one process); runs on Postgres");

postgres("one engine per database (Postgres)", () => {
  let a: DatabaseHandle;
  let b: DatabaseHandle;
  let schema: string;
  beforeAll(async () => {
    a = await createTestDatabase();
    schema = a.location.split("#")[1]!;
    b = await connectDatabase({ databaseUrl: url, dataDir: "", schema, poolSize: 2 });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  test("the second lock on the same schema is refused with who holds it; released, it can be taken", async () => {
    const first = await acquireEngineLock(a.db, "postgres");
    const refused = await acquireEngineLock(b.db, "postgres").catch((e) => e);
    expect(refused).toBeInstanceOf(EngineLockRefused);
    expect((refused as EngineLockRefused).holder).toMatchObject({ host: hostname(), pid: process.pid });
    expect((refused as Error).message).toMatch(/another server runs the trading engine on this database: host .+, pid \d+, since \d{4}-/);
    // Other schemas (other test files, other installations) are not affected.
    const other = await createTestDatabase();
    const elsewhere = await acquireEngineLock(other.db, "postgres");
    await elsewhere.release();
    await other.close();
    await first.release();
    const second = await acquireEngineLock(b.db, "postgres");
    await second.release();
  });

  test("two real servers: the second exits 1 with one JSON line naming the first; a SIGKILLed first frees the database at once", async () => {
    const dbUrl = `${url}${url!.includes("?") ? "&" : "?"}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const env = (port: number) => ({ ...process.env, DATABASE_URL: dbUrl, PORT: String(port), FEED: "off", LOG_LEVEL: "info", SECRET_KEY: "22".repeat(32), DATA_DIR: join("/tmp", `engine-lock-${process.pid}-${port}`) });
    const main = join(import.meta.dir, "../main.ts");
    const port = 39000 + (process.pid % 500);
    const first = Bun.spawn(["bun", main, "serve"], { env: env(port), stdout: "pipe", stderr: "pipe" });
    try {
      await until(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok === true);
      const second = Bun.spawn(["bun", main, "serve"], { env: env(port + 1), stdout: "pipe", stderr: "pipe" });
      expect(await second.exited).toBe(1);
      const lines = (await new Response(second.stdout).text()).trim().split("\n").map((l) => JSON.parse(l));
      const failed = lines.filter((l) => l.level === "error");
      expect(failed.length).toBe(1);
      expect(failed[0]).toMatchObject({ event: "server.start_failed" });
      expect(failed[0].reason).toContain(`pid ${first.pid}`);
      // Killed outright, the first loses its connection and the lock with it: a restart is never blocked.
      first.kill("SIGKILL");
      await first.exited;
      const third = Bun.spawn(["bun", main, "serve"], { env: env(port + 2), stdout: "pipe", stderr: "pipe" });
      try {
        await until(async () => (await fetch(`http://127.0.0.1:${port + 2}/healthz`).catch(() => undefined))?.ok === true);
      } finally {
        third.kill("SIGTERM");
        await third.exited;
      }
    } finally {
      first.kill("SIGKILL");
      await first.exited;
    }
  }, 60_000);
});

async function until(ok: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error("timed out");
    await Bun.sleep(100);
  }
}
