import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppContext, type AppContext } from "../app/context";
import { startEngine } from "../app/engine-startup";
import { loadConfig } from "../config/config";
import { memoryLogger } from "../log/logger";
import type { DatabaseHandle } from "../persistence/connect";
import { upsertBars, type ArchivedBar } from "../persistence/repositories/ohlcv-repo";
import { createTestDatabase } from "../persistence/test-database";
import { createApp, createFetch, type App } from "./app";

export interface Harness {
  ctx: AppContext;
  app: App;
  db: DatabaseHandle;
  logs: ReturnType<typeof memoryLogger>;
  fetch: (path: string, init?: RequestInit) => Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real app over a fresh test database, driven in-process through its fetch handler; with
 * `engine`, the trading engine runs too (no start-up delay) and `close` stops it first.
 */
export async function createHarness(
  env: Record<string, string> = {},
  opts: { engine?: boolean } = {},
): Promise<Harness> {
  const db = await createTestDatabase();
  const config = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), "harness-")), SECRET_KEY: "11".repeat(32), ...env });
  const logs = memoryLogger();
  const ctx = createAppContext(config, logs, db.db, db.kind);
  const app = createApp(ctx);
  const handler = createFetch(ctx, app);
  const stopEngine = opts.engine ? await startEngine(ctx, 0) : undefined;
  return {
    ctx,
    app,
    db,
    logs,
    fetch: async (path, init) => handler(new Request(`http://localhost${path}`, init)),
    close: async () => {
      await stopEngine?.();
      await db.close();
    },
  };
}

export interface Client {
  /** Cookie header of a signed-in browser, or an Authorization header for a token. */
  headers: Record<string, string>;
  csrf?: string;
  userId: number;
}

let n = 0;
export async function addUser(
  h: Harness,
  username = `trader${++n}`,
  password = "correct horse battery",
): Promise<{ id: number; username: string; password: string }> {
  const u = await h.ctx.users.create(username, password, { kind: "cli", label: "test", userId: null });
  return { ...u, password };
}

export async function tokenClient(h: Harness, userId: number, name = `t${++n}`): Promise<Client> {
  const { token } = await h.ctx.tokens.create(userId, name, { kind: "cli", label: "test", userId: null });
  return { headers: { authorization: `Bearer ${token}` }, userId };
}

export async function sessionClient(
  h: Harness,
  userId: number,
  userAgent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/150.0",
): Promise<Client> {
  const s = await h.ctx.sessions.create(userId, userAgent, "127.0.0.1");
  return { headers: { cookie: `sid=${s.token}`, "user-agent": userAgent }, csrf: s.csrfToken, userId };
}

/** A new user with an API token (`api`) and a browser session (`web`): where most suites start. */
export async function addTrader(h: Harness, username?: string): Promise<{ id: number; api: Client; web: Client }> {
  const { id } = await addUser(h, username);
  return { id, api: await tokenClient(h, id), web: await sessionClient(h, id) };
}

export function json(client: Client, method: string, body?: unknown, extra: Record<string, string> = {}): RequestInit {
  return {
    method,
    headers: {
      ...client.headers,
      ...(client.csrf ? { "x-csrf-token": client.csrf } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...extra,
    },
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  };
}

/** An API call answered as `{status, body}`: the body parsed as JSON when it is JSON (else the text, e.g. CSV). */
export async function request(
  h: Harness,
  client: Client,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const res = await h.fetch(path, json(client, method, body));
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) };
  } catch {
    return { status: res.status, body: text };
  }
}

/** `minutes` quiet one-minute MES bars (5000 ± a tick) in the archive from `startMs`: enough for a replay to play. */
export async function archiveQuietBars(h: Harness, startMs: number, minutes: number): Promise<void> {
  const bars: ArchivedBar[] = [];
  for (let i = 0; i < minutes; i++)
    bars.push({
      dataset: "SIM",
      symbol: "MES",
      startMs: startMs + i * 60_000,
      contract: "MESH5",
      instrumentId: 1,
      open: 5000e9,
      high: 5000.25e9,
      low: 4999.75e9,
      close: 5000e9,
      volume: 10,
      source: "trades",
    });
  await upsertBars(h.ctx.db, bars);
}

export interface ApiSuite {
  h: Harness;
  api: Client;
  /** A JSON request with the suite's token; the answer's status and parsed body. */
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** A test file's harness (engine on) and API token, made before its tests and closed after them. */
export function engineApiSuite(): ApiSuite {
  const s = {
    async call(method: string, path: string, body?: unknown) {
      const res = await s.h.fetch(path, json(s.api, method, body));
      return { status: res.status, body: await res.json() };
    },
  } as ApiSuite;
  beforeAll(async () => {
    s.h = await createHarness({}, { engine: true });
    s.api = await tokenClient(s.h, (await addUser(s.h)).id);
  });
  afterAll(() => s.h.close());
  return s;
}

/**
 * Until the engine is quiet: a paper fill is reported, stepped and written a moment after the step
 * that sent it (and may send more), so `settled` is awaited over a few turns of the event loop.
 */
export async function settle(h: Harness): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await Bun.sleep(2);
    await h.ctx.engine.settled();
  }
}

/** A print as the bus hands it to the engine and the paper broker, then `settle`. */
export async function printAt(h: Harness, symbol: string, nanos: number): Promise<void> {
  h.ctx.engine.onTrade(symbol, nanos, Date.now());
  h.ctx.paper.onTrade(symbol, nanos);
  await settle(h);
}

/** The original desktop client's long MES with a stop 3 points under, as its sync sends a trade. */
export const clientMesLong = (quantity: number) => ({
  action: "buy",
  quantity,
  entry_price: 5012.25,
  timestamp: 1732400000,
  stop_loss: { type: "stop", stopPrice: 5009.25 },
});
