import { afterEach, describe, expect, test } from "bun:test";
import { RType } from "../dbn/constants";
import type { DbnRecord } from "../dbn/record-codec";
import { startFakeGateway, type FakeGateway } from "./fake-gateway";
import { startSessionFeed, type SessionFeed } from "./gateway-feed";
import { LiveClient, type LiveEvent } from "./live-client";

const KEY = "db-unittestapikey1234567890FFFFF";
const ES = { instrumentId: 5482, raw: "ESZ5", aliases: ["ES.c.0"] };
const NQ = { instrumentId: 7777, raw: "NQZ5", aliases: ["NQ.c.0"] };
const T0 = 1_764_000_000_000_000_000n;

const trade = (i: number, instrumentId = ES.instrumentId): DbnRecord => ({
  hd: { rtype: RType.MBP_0, publisher_id: 1, instrument_id: instrumentId, ts_event: T0 + BigInt(i) * 1_000_000n },
  price: 6000_000_000_000n + BigInt(i) * 250_000_000n, size: 1 + (i % 5), action: "T", side: i % 2 ? "A" : "B", flags: 128, depth: 0,
  ts_recv: T0 + BigInt(i) * 1_000_000n + 500n, ts_in_delta: 100, sequence: i,
});

let gw: FakeGateway | undefined;
let client: LiveClient | undefined;
afterEach(() => {
  client?.stop();
  gw?.stop();
});

function setup(opts: { history?: DbnRecord[]; onFeed?: (f: SessionFeed, n: number) => void; refuse?: string } = {}) {
  const feeds: SessionFeed[] = [];
  gw = startFakeGateway({
    apiKeys: [KEY],
    refuseWith: opts.refuse,
    onStart: (s) => {
      const f = startSessionFeed(s, { instruments: [ES, NQ], history: opts.history, heartbeatMs: 50 });
      feeds.push(f);
      opts.onFeed?.(f, feeds.length);
    },
  });
  const got: { id: number; priceNanos: number; tsMs: number; size: number }[] = [];
  const events: LiveEvent[] = [];
  client = new LiveClient({
    apiKey: KEY, dataset: "GLBX.MDP3", host: gw.host, port: gw.port, heartbeatIntervalS: 5, deadAfterExtraMs: -4_700,
    subscriptions: [{ schema: "trades", stypeIn: "continuous", symbols: ["ES.c.0"], id: 1 }],
    backoff: { baseMs: 20, capMs: 100 },
    onRecord: (c) => got.push({ id: c.instrumentId, priceNanos: c.price, tsMs: c.tsEventMs, size: c.size32 }),
    onEvent: (e) => events.push(e),
  });
  return { feeds, got, events, client };
}

async function until(cond: () => boolean, ms = 3000) {
  for (let t = 0; t < ms && !cond(); t += 10) await Bun.sleep(10);
  expect(cond()).toBe(true);
}

describe("Live client against the fake gateway", () => {
  test("normal session: mapping, acknowledgement, records through the cursor", async () => {
    const s = setup({ onFeed: (f) => setTimeout(() => f.send([trade(1), trade(2, NQ.instrumentId), trade(3)]), 20) });
    await s.client.start();
    await until(() => s.got.length === 2);
    expect(s.got).toEqual([
      { id: 5482, priceNanos: 6000_250_000_000, tsMs: 1_764_000_000_001, size: 2 },
      { id: 5482, priceNanos: 6000_750_000_000, tsMs: 1_764_000_000_003, size: 4 },
    ]);
    expect(s.events.find((e) => e.type === "mapping")).toEqual({ type: "mapping", instrumentId: 5482, raw: "ESZ5", requested: "ES.c.0" });
    expect(s.events.some((e) => e.type === "system" && e.code === 1)).toBe(true);
    expect(s.client.symbolOf(5482)?.raw).toBe("ESZ5");
  });

  test("several subscriptions, one added during the session", async () => {
    const s = setup({ onFeed: (f) => setTimeout(() => f.send([trade(1), trade(2, NQ.instrumentId)]), 20) });
    await s.client.start();
    await until(() => s.got.length === 1);
    s.client.subscribe({ schema: "trades", stypeIn: "continuous", symbols: ["NQ.c.0"], id: 2 });
    await until(() => gw!.sessions[0]!.subscriptions.length === 2);
    expect(gw!.sessions[0]!.subscriptions[1]!.symbols).toEqual(["NQ.c.0"]);
  });

  test("a record cut mid-way: reconnect, replay from the last ts_event, no duplicates, nothing lost", async () => {
    const history = Array.from({ length: 40 }, (_, i) => trade(i));
    const s = setup({
      history,
      onFeed: (f, n) => {
        if (n === 1) setTimeout(() => { f.send(history.slice(0, 25)); f.dropMidRecord(history[25]!); }, 20);
        else setTimeout(() => f.send([40, 41, 42].map((i) => trade(i))), 20); // live again after the replay
      },
    });
    await s.client.start();
    await until(() => s.got.length === 43);
    await Bun.sleep(50);
    expect(s.got.map((g) => g.tsMs)).toEqual(Array.from({ length: 43 }, (_, i) => Number((T0 + BigInt(i) * 1_000_000n) / 1_000_000n)));
    expect(s.client.stats.duplicatesDropped).toBeGreaterThan(0);
    const connected = s.events.filter((e) => e.type === "connected");
    expect(connected.length).toBe(2);
    expect(connected[1]).toMatchObject({ replayFromNs: String(history[24]!.hd.ts_event) });
    expect(gw!.sessions[1]!.subscriptions[0]!.start).toBe(String(history[24]!.hd.ts_event));
  });

  test("garbage bytes, a stalled line and an error-then-close each end in a reconnect", async () => {
    const s = setup({
      onFeed: (f, n) => {
        if (n === 1) setTimeout(() => f.sendGarbage(), 20);
        if (n === 2) setTimeout(() => f.stall(true), 20);
        if (n === 3) setTimeout(() => f.errorAndClose("Gateway internal error", 6), 20);
        if (n === 4) setTimeout(() => f.send([trade(1)]), 20);
      },
    });
    await s.client.start();
    await until(() => s.got.length === 1, 5000);
    const reasons = s.events.filter((e) => e.type === "disconnected").map((e) => (e as { reason: string }).reason);
    expect(reasons[0]).toContain("corrupt data");
    expect(reasons[1]).toMatch(/no data for/);
    expect(s.events.some((e) => e.type === "gateway-error" && e.message === "Gateway internal error")).toBe(true);
    expect(reasons.length).toBe(3);
  });

  test("a refused key is final: one attempt, an auth-failed event, no retries", async () => {
    const s = setup({ refuse: "Authentication failed." });
    expect(s.client.start()).rejects.toThrow(/refused authentication: Authentication failed/);
    await Bun.sleep(300);
    expect(s.events.filter((e) => e.type === "auth-failed").length).toBe(1);
    expect(s.events.some((e) => e.type === "disconnected")).toBe(false);
    expect(gw!.lines.filter((l) => l.startsWith("auth=")).length).toBe(1);
  });

  test("a deactivated key reported mid-session stops the client", async () => {
    const s = setup({ onFeed: (f) => setTimeout(() => f.sendControl([{ hd: { rtype: RType.ERROR, publisher_id: 0, instrument_id: 0, ts_event: T0 }, err: "API key deactivated", code: 2, is_last: 1 }]), 20) });
    await s.client.start();
    await until(() => s.events.some((e) => e.type === "auth-failed"));
    await Bun.sleep(200);
    expect(s.events.some((e) => e.type === "disconnected")).toBe(false);
  });

  test("a burst larger than the socket takes: nothing lost, and the gateway's slow-reader warning arrives", async () => {
    const burst = Array.from({ length: 200_000 }, (_, i) => trade(i));
    const s = setup({ onFeed: (f) => setTimeout(() => f.send(burst), 20) });
    await s.client.start();
    await until(() => s.got.length === burst.length, 10_000);
    expect(s.events.some((e) => e.type === "system" && e.code === 2)).toBe(true);
    expect(s.got.at(-1)!.tsMs).toBe(Number((T0 + 199_999n * 1_000_000n) / 1_000_000n));
  });

  test("slow-reader warnings and unresolved symbols surface as events", async () => {
    const s = setup({ onFeed: (f) => setTimeout(() => f.sendControl([{ hd: { rtype: RType.SYSTEM, publisher_id: 0, instrument_id: 0, ts_event: T0 }, msg: "Slow reader", code: 2 }]), 20) });
    s.client.subscribe({ schema: "trades", stypeIn: "continuous", symbols: ["XX.c.0"], id: 3 });
    await s.client.start();
    await until(() => s.events.some((e) => e.type === "system" && e.code === 2));
    expect(s.events.some((e) => e.type === "gateway-error" && e.code === 4 && e.message.includes("XX.c.0"))).toBe(true);
  });
});
