import { afterAll, expect, test } from "bun:test";
import { RType } from "../market-data/dbn/constants";
import { startFakeGateway } from "../market-data/databento/fake-gateway";
import { startSessionFeed } from "../market-data/databento/gateway-feed";
import { runCli } from "./cli";

const KEY = "db-unittestapikey1234567890FFFFF";
const gw = startFakeGateway({
  apiKeys: [KEY],
  onStart: (s) => {
    const f = startSessionFeed(s, { instruments: [{ instrumentId: 5482, raw: "ESZ5", aliases: ["ES.c.0"] }] });
    setTimeout(
      () =>
        f.send(
          Array.from({ length: 5 }, (_, i) => ({
            hd: {
              rtype: RType.MBP_0,
              publisher_id: 1,
              instrument_id: 5482,
              ts_event: 1_764_000_000_000_000_000n + BigInt(i),
            },
            price: 6000_250_000_000n,
            size: 1,
            action: "T",
            side: "B",
            flags: 128,
            depth: 0,
            ts_recv: 1_764_000_000_000_000_100n,
            ts_in_delta: 0,
            sequence: i,
          })),
        ),
      20,
    );
  },
});
afterAll(() => gw.stop());

async function cli(args: string[], key = KEY) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    args,
    { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => "" },
    { DATABENTO_API_KEY: key },
  );
  return { code, out, err };
}

test("live prints records as JSON lines and exits 0 after --limit", async () => {
  const r = await cli([
    "live",
    "--dataset",
    "GLBX.MDP3",
    "--schema",
    "trades",
    "--stype",
    "continuous",
    "--symbols",
    "ES.c.0",
    "--gateway",
    `${gw.host}:${gw.port}`,
    "--limit",
    "3",
    "--pretty",
  ]);
  expect(r.code).toBe(0);
  expect(r.out.length).toBe(3);
  expect(JSON.parse(r.out[0]!)).toMatchObject({ hd: { instrument_id: 5482, rtype: 0 }, price: "6000.250000000" });
});

test("a wrong key: non-zero exit with a clear message, and the key is never printed", async () => {
  const wrong = "db-wrongwrongwrongwrongwrongAAAAA".slice(0, 32);
  const r = await cli(
    ["live", "--symbols", "ES.c.0", "--stype", "continuous", "--gateway", `${gw.host}:${gw.port}`, "--limit", "1"],
    wrong,
  );
  expect(r.code).toBe(3);
  expect(r.err.join("\n")).toContain("refused authentication: Authentication failed.");
  expect(r.err.join("\n") + r.out.join("\n")).not.toContain("wrongwrong");
});

test("a malformed key or request is refused before connecting", async () => {
  expect((await cli(["live", "--symbols", "ES.c.0"], "short")).err[0]).toContain(
    "DATABENTO_API_KEY: API key must be 32 characters",
  );
  expect((await cli(["live", "--symbols", "ES.c.0", "--schema", "nope"])).err[0]).toContain('unknown schema "nope"');
  expect((await cli(["live"])).err[0]).toContain("--symbols is required");
});
