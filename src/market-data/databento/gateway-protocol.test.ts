import { describe, expect, test } from "bun:test";
import {
  authLine,
  ConnectionRateLimiter,
  cramResponse,
  formatControlLine,
  gatewayHost,
  LineReader,
  parseControlLine,
  subscriptionLines,
  validateApiKey,
} from "./gateway-protocol";

const KEY = "db-unittestapikey1234567890FFFFF";

describe("gateway text protocol", () => {
  test("CRAM response matches the protocol's test vector", () => {
    expect(cramResponse("abcd1234", KEY)).toBe(
      "be87ce3d564b64481d4ad1902e2b41b26e3eef62b9de37d87eb4a1d4a5199b6f-FFFFF",
    );
  });

  test("API key shape", () => {
    expect(validateApiKey(KEY)).toBeUndefined();
    expect(validateApiKey("db-short")).toContain("32 characters");
    expect(validateApiKey("xx-unittestapikey1234567890FFFFF")).toContain('start with "db-"');
  });

  test("host from dataset", () => {
    expect(gatewayHost("GLBX.MDP3")).toBe("glbx-mdp3.lsg.databento.com");
  });

  test("auth line carries the response, never the key", () => {
    const line = authLine({ apiKey: KEY, challenge: "abcd1234", dataset: "GLBX.MDP3", heartbeatIntervalS: 10 });
    expect(line.endsWith("\n")).toBe(true);
    const f = parseControlLine(line.trimEnd());
    expect(f.get("auth")).toBe(cramResponse("abcd1234", KEY));
    expect(f.get("dataset")).toBe("GLBX.MDP3");
    expect(f.get("encoding")).toBe("dbn");
    expect(f.get("ts_out")).toBe("0");
    expect(f.get("heartbeat_interval_s")).toBe("10");
    expect(line).not.toContain(KEY);
    expect(() => authLine({ apiKey: KEY, challenge: "c", dataset: "GLBX.MDP3", heartbeatIntervalS: 2 })).toThrow(
      /5 to 1800/,
    );
  });

  test("control lines: trailing bar, extra keys, malformed parts", () => {
    expect(Object.fromEntries(parseControlLine("success=1|session_id=5|"))).toEqual({ success: "1", session_id: "5" });
    expect(Object.fromEntries(parseControlLine("lsg_version=0.7.2\r"))).toEqual({ lsg_version: "0.7.2" });
    expect(() => parseControlLine("garbage")).toThrow(/malformed/);
    expect(() => formatControlLine({ a: "x|y" })).toThrow();
  });

  test("subscriptions split at 500 symbols with is_last on the final chunk only", () => {
    const symbols = Array.from({ length: 1201 }, (_, i) => `S${i}`);
    const lines = subscriptionLines({
      schema: "trades",
      stypeIn: "raw_symbol",
      symbols,
      id: 7,
      start: 1_700_000_000_000_000_000n,
    });
    expect(lines.length).toBe(3);
    const parsed = lines.map((l) => parseControlLine(l.trimEnd()));
    expect(parsed.map((p) => p.get("symbols")!.split(",").length)).toEqual([500, 500, 201]);
    expect(parsed.map((p) => p.get("is_last"))).toEqual(["0", "0", "1"]);
    expect(parsed.every((p) => p.get("id") === "7" && p.get("start") === "1700000000000000000")).toBe(true);
    expect(parsed.flatMap((p) => p.get("symbols")!.split(","))).toEqual(symbols);
    expect(() => subscriptionLines({ schema: "trades", stypeIn: "raw_symbol", symbols: [] })).toThrow();
    expect(() => subscriptionLines({ schema: "trades", stypeIn: "raw_symbol", symbols: ["A,B"] })).toThrow();
    expect(() =>
      subscriptionLines({ schema: "mbo", stypeIn: "raw_symbol", symbols: ["A"], snapshot: true, start: "0" }),
    ).toThrow(/exclusive/);
  });

  test("line reader: lines split and merged across reads, binary rest handed back", () => {
    const r = new LineReader();
    const bytes = new TextEncoder().encode("lsg_version=1\ncram=abc");
    r.push(bytes.subarray(0, 5));
    expect(r.nextLine()).toBeUndefined();
    r.push(bytes.subarray(5));
    expect(r.nextLine()).toBe("lsg_version=1");
    expect(r.nextLine()).toBeUndefined();
    r.push(new Uint8Array([0x0a, 0x44, 0x42, 0x4e, 0x03]));
    expect(r.nextLine()).toBe("cram=abc");
    expect([...r.rest()]).toEqual([0x44, 0x42, 0x4e, 0x03]);
  });

  test("connection budget: at most 5 in any second, bookings ahead counted, released ones given back", () => {
    let now = 10_000;
    const l = new ConnectionRateLimiter(5, 1000, () => now);
    expect([0, 0, 0, 0, 0].map((d) => l.book(d).waitMs)).toEqual([0, 0, 0, 0, 0]);
    const sixth = l.book(0);
    expect(sixth.waitMs).toBe(1000);
    sixth.release();
    expect(l.book(200).waitMs).toBe(1000);
    now += 1000;
    // A booking far ahead leaves today's budget alone; four more fit now, the fifth waits.
    expect(l.book(30_000).waitMs).toBe(30_000);
    expect([0, 0, 0, 0].map((d) => l.book(d).waitMs)).toEqual([0, 0, 0, 0]);
    expect(l.book(0).waitMs).toBe(1000);
  });
});
