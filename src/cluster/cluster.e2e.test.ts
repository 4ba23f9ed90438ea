import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import type { Browser } from "playwright-core";
import { startServer, type RunningServer } from "../app/server";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";
import { connectDatabase, type DatabaseHandle } from "../persistence/connect";
import { migrateUp } from "../persistence/migrator";
import { ARTIFACTS, haveChromium, launchBrowser, signedIn, watchErrors } from "../web/e2e-harness";
import { natsReachable, testNatsUrl, testPostgresUrl, until } from "./test-cluster";

/**
 * A trader on an instance that does not run their accounts: the desk, its orders and its live
 * updates work as on the owner (every request is answered by the owner through NATS), and the
 * status bar says which instance the page is on and what it does.
 */
const ready = haveChromium && Boolean(testPostgresUrl) && (await natsReachable());
if (!ready) console.log("cluster.e2e.test: SKIPPED — needs Chromium, Postgres (DATABASE_URL) and NATS");

describe.skipIf(!ready)("the desk on a cluster in Chromium", () => {
  let db: DatabaseHandle;
  let schema: string;
  const servers: RunningServer[] = [];
  let browser: Browser;
  beforeAll(async () => {
    schema = `ce_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
    db = await connectDatabase({ databaseUrl: testPostgresUrl!, dataDir: "", schema, poolSize: 2 });
    await migrateUp(db.db);
    const url = new URL(testPostgresUrl!);
    url.searchParams.set("options", `-c search_path=${schema}`);
    const env = {
      PORT: "0",
      DATABASE_URL: url.toString(),
      NATS_URL: testNatsUrl,
      FEED: "simulated",
      LEASE_TTL_MS: "1500",
      SECRET_KEY: "44".repeat(32),
    };
    for (let i = 0; i < 2; i++)
      servers.push(
        await startServer(
          loadConfig({ ...env, DATA_DIR: mkdtempSync(join(tmpdir(), `cluster-e2e-${i}-`)) }),
          memoryLogger("warn"),
        ),
      );
    await until(() => servers.every((s) => s.ctx.leases!.ownedShards === 32), 10_000, "the shards to be shared");
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const s of servers) await s.stop();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.db);
    await db.close();
  });

  test("orders placed on the other instance fill on the owner; the status bar names the instance", async () => {
    const owner = servers[0]!;
    const userId = (
      await owner.ctx.users.create("carol", "a long enough password", { kind: "cli", label: "e2e", userId: null })
    ).id;
    const remote = servers.find((s) => !s.ctx.leases!.ownsUser(userId))!;
    const errors: string[] = [];
    const page = watchErrors(await (await signedIn(browser, remote, userId)).newPage(), errors);
    await page.goto(`${remote.url}/desk?account=paper&symbol=MES`);
    await page.waitForFunction(() => document.querySelector("[data-last]")?.textContent !== "—", undefined, {
      timeout: 8000,
    });
    await page.getByLabel("Quantity", { exact: true }).fill("2");
    await page.getByRole("button", { name: "Buy", exact: true }).click();
    await page.getByRole("region", { name: "Position" }).getByText("Long 2").waitFor({ timeout: 5000 });
    const runner = servers.find((s) => s.ctx.leases!.ownsUser(userId))!;
    const accountId = await runner.ctx.trading.accountId(userId, "paper");
    expect(runner.ctx.engine.engine.position(accountId, "MES")?.qty).toBe(2);
    expect(remote.ctx.engine.engine.position(accountId, "MES")).toBeUndefined();
    // Exit from the page: the live update reaches this instance's socket from the owner.
    await page.getByRole("button", { name: /^Exit all/ }).click();
    await page.getByRole("region", { name: "Position" }).getByText(/Flat/).waitFor({ timeout: 5000 });
    const bar = page.locator("[data-instance]");
    await bar.waitFor({ state: "visible", timeout: 3000 });
    expect(await bar.textContent()).toMatch(
      /^instance \d+ · runs 32\/64 shards · feed (leader|follower) · NATS connected$/,
    );
    await page.screenshot({ path: join(ARTIFACTS, "cluster-desk-remote.png"), fullPage: true });
    expect(errors).toEqual([]);
  }, 40_000);
});
