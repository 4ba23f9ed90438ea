import { afterAll, beforeAll } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startServer, type RunningServer } from "../app/server";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";

/** Debian's Chromium, driven by playwright-core, for the browser tests. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const haveChromium = existsSync(CHROMIUM);
export const ARTIFACTS = join(import.meta.dir, "../../test-artifacts");

export function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A real server on embedded PGlite, or on a fresh schema of the Postgres server when
 * DATABASE_URL is set; `restart` stops it and starts it again on the same port and data.
 * `extraEnv`: more configuration (a Databento key and gateway, say).
 */
export async function e2eServer(name: string, extraEnv: Record<string, string> = {}) {
  const env: Record<string, string> = {
    PORT: "0",
    DATA_DIR: mkdtempSync(join(tmpdir(), `${name}-`)),
    SECRET_KEY: "33".repeat(32),
    ...extraEnv,
  };
  let dropSchema: (() => Promise<void>) | undefined;
  if (process.env.DATABASE_URL) {
    const url = new URL(process.env.DATABASE_URL);
    const schema = `${name.replace(/[^a-z]/g, "")}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const pg = (await import("pg")).default;
    const run = async (sql: string) => {
      const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(sql);
      await c.end();
    };
    await run(`create schema ${schema}`);
    dropSchema = () => run(`drop schema if exists ${schema} cascade`);
    url.searchParams.set("options", `-c search_path=${schema}`);
    env.DATABASE_URL = url.toString();
  }
  const logs = memoryLogger("info");
  let server: RunningServer = await startServer(loadConfig(env), logs);
  env.PORT = new URL(server.url).port;
  return {
    logs,
    get server() {
      return server;
    },
    async restart() {
      await server.stop();
      server = await startServer(loadConfig(env), logs);
    },
    async close() {
      await server.stop();
      await dropSchema?.();
    },
  };
}

export type E2eApp = Awaited<ReturnType<typeof e2eServer>>;
export interface E2eSuite {
  app: E2eApp;
  browser: Browser;
  /** The user made for the suite; 0 when it makes none (the first-run setup is the test). */
  userId: number;
}

/**
 * The set-up every browser suite shares, registered on the enclosing describe: a server, a user
 * (`username`, unless the test makes the first one itself) and Chromium, closed after the suite.
 * `ready` receives them before the suite's own beforeAll hooks (registered after this) run.
 */
export function e2eSuite(
  o: { name: string; username?: string; env?: Record<string, string> },
  ready: (s: E2eSuite) => void,
): void {
  let app: E2eApp | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    app = await e2eServer(o.name, o.env);
    const actor = { kind: "cli", label: "e2e", userId: null } as const;
    const userId = o.username ? (await app.server.ctx.users.create(o.username, "a long enough password", actor)).id : 0;
    browser = await launchBrowser();
    ready({ app, browser, userId });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });
}

/** A print on the feed's bus, as the simulated (or real) feed would publish it. */
export function printOnFeed(app: E2eApp, root: string, price: number): void {
  const md = app.server.ctx.marketData;
  let id = -1;
  for (let i = 900_000; i < 900_100; i++) if (md.rootOf(i) === root) id = i;
  if (id < 0) throw new Error(`${root} is not streaming`);
  md.bus.publishTrade({ instrumentId: id, tsMs: Date.now(), price: Math.round(price * 1e9), size: 1, side: "B" });
}

/** A signed-in browser context for a user (a session cookie, as after a login). */
export async function signedIn(
  browser: Browser,
  server: RunningServer,
  userId: number,
  viewport = { width: 1440, height: 1000 },
): Promise<BrowserContext> {
  const s = await server.ctx.sessions.create(userId, "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0", "127.0.0.1");
  const context = await browser.newContext({ viewport });
  await context.addCookies([{ name: "sid", value: s.token, url: server.url }]);
  return context;
}

/** The lines (entry, stop, take-profits) the desk's state fragment hands its chart. */
export const deskLines = (page: Page) =>
  page.evaluate(() => JSON.parse(document.getElementById("desk-state")!.dataset.lines!));

/** Collects console errors and uncaught exceptions of a page. */
export function watchErrors(page: Page, into: string[]): Page {
  page.on("console", (m) => {
    if (m.type() === "error") into.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => into.push(`${page.url()}: ${e.message}`));
  return page;
}
