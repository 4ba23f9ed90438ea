import { afterEach, describe, expect, test } from "bun:test";
import { startFakeGateway, type FakeGateway, type FakeGatewaySession } from "./fake-gateway";
import { GatewayAuthError, openGatewaySession, type CloseReason } from "./gateway-session";
import { until } from "../../shared/testing";

const KEY = "db-unittestapikey1234567890FFFFF";
let gw: FakeGateway | undefined;
afterEach(() => gw?.stop());

function base(onBinary: (c: Uint8Array) => void = () => {}, onClose: (r: CloseReason) => void = () => {}) {
  return {
    host: gw!.host,
    port: gw!.port,
    apiKey: KEY,
    dataset: "GLBX.MDP3",
    subscriptions: [{ schema: "trades", stypeIn: "continuous", symbols: ["ES.c.0", "NQ.c.0"], id: 1 }],
    onBinary,
    onClose,
  };
}

describe("gateway session against the fake gateway", () => {
  test("handshake, subscription, start_session, then bytes flow both ways of a split", async () => {
    const started: FakeGatewaySession[] = [];
    gw = startFakeGateway({ apiKeys: [KEY], onStart: (s) => started.push(s) });
    const got: number[] = [];
    const session = await openGatewaySession({ ...base((c) => got.push(...c)), heartbeatIntervalS: 5 });
    expect(session.sessionId).toMatch(/^\d+$/);
    expect(session.lsgVersion).toBe("0.7.2");
    await until(() => started.length > 0);
    expect(started.length).toBe(1);
    expect(started[0]!.subscriptions).toEqual([
      {
        schema: "trades",
        stypeIn: "continuous",
        symbols: ["ES.c.0", "NQ.c.0"],
        id: 1,
        start: undefined,
        snapshot: false,
      },
    ]);
    expect(started[0]!.heartbeatIntervalS).toBe(5);
    const payload = Uint8Array.from({ length: 10_000 }, (_, i) => i & 0xff);
    started[0]!.write(payload);
    await until(() => got.length >= payload.length, 500, 10);
    expect(got).toEqual([...payload]);
    expect(gw.lines.some((l) => l.includes(KEY))).toBe(false);
    session.close();
  });

  test("more than 500 symbols arrive as one subscription in chunks", async () => {
    const started: FakeGatewaySession[] = [];
    gw = startFakeGateway({ apiKeys: [KEY], onStart: (s) => started.push(s) });
    const symbols = Array.from({ length: 1234 }, (_, i) => `SYM${i}`);
    const session = await openGatewaySession({
      ...base(),
      subscriptions: [{ schema: "mbp-1", stypeIn: "raw_symbol", symbols, id: 9 }],
    });
    await until(() => started.length > 0);
    expect(started[0]!.subscriptions.length).toBe(1);
    expect(started[0]!.subscriptions[0]!.symbols).toEqual(symbols);
    expect(gw.lines.filter((l) => l.startsWith("schema=")).length).toBe(3);
    session.close();
  });

  test("a wrong key is a final GatewayAuthError naming the gateway's reason", async () => {
    gw = startFakeGateway({ apiKeys: ["db-someotherkeysomeotherkeyAAAAA"], onStart: () => {} });
    const err = await openGatewaySession(base()).catch((e) => e);
    expect(err).toBeInstanceOf(GatewayAuthError);
    expect(err.final).toBe(true);
    expect(err.message).toBe("Databento gateway refused authentication: Authentication failed.");
  });

  test("a silent line is declared dead after heartbeat interval + grace", async () => {
    gw = startFakeGateway({ apiKeys: [KEY], onStart: () => {} });
    const closed: CloseReason[] = [];
    await openGatewaySession({
      ...base(undefined, (r) => closed.push(r)),
      heartbeatIntervalS: 5,
      deadAfterExtraMs: -4_800,
    });
    await until(() => closed.length > 0, 2000, 20);
    expect(closed[0]?.kind).toBe("timeout");
  });

  test("the gateway closing mid-stream is reported as eof", async () => {
    gw = startFakeGateway({
      apiKeys: [KEY],
      onStart: (s) => {
        s.write(new Uint8Array([1, 2, 3]));
        setTimeout(() => s.close(), 10);
      },
    });
    const closed: CloseReason[] = [];
    await openGatewaySession(base(undefined, (r) => closed.push(r)));
    await until(() => closed.length > 0, 500, 10);
    expect(closed).toEqual([{ kind: "eof" }]);
  });

  test("nothing listening: a clear connect error", async () => {
    const err = await openGatewaySession({
      host: "127.0.0.1",
      port: 1,
      apiKey: KEY,
      dataset: "GLBX.MDP3",
      subscriptions: [],
      onBinary: () => {},
      onClose: () => {},
    }).catch((e) => e);
    expect(err.message).toContain("127.0.0.1:1");
  });
});
