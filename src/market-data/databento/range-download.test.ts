import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { tapeMetadata, tapeRecords, TAPE_IDS, walk } from "../../replay/test-tape";
import { headerLength } from "../dbn/metadata";
import { rangeFromRecords, startFakeHistorical, type FakeHistorical } from "./fake-historical";
import { HistoricalClient, HistoricalError } from "./historical-client";
import { downloadRange } from "./range-download";

const KEY = "db-rangedownloadtestkey0000000000";
const T0 = Date.UTC(2025, 2, 3, 15, 0, 0);
// MES and MNQ print at the same instants: records share ts_recv in pairs, so a cut can fall
// between two records of one time, the case a resume "from the next ts" would lose.
const prints = [
  ...walk("MES", T0, 20_000, { start: 5000, tick: 0.25, everyMs: 100 }),
  ...walk("MNQ", T0, 20_000, { start: 21000, tick: 0.25, everyMs: 100, seed: 9 }),
].sort((a, b) => a.tsMs - b.tsMs || a.symbol.localeCompare(b.symbol));
const range = rangeFromRecords(tapeMetadata(prints), tapeRecords(prints), (s) => TAPE_IDS[s.replace(/\.c\.0$/, "")]);
const request = {
  dataset: "GLBX.MDP3",
  symbols: ["MES.c.0", "MNQ.c.0"],
  schema: "trades",
  start: new Date(T0),
  end: new Date(T0 + 3_600_000),
  stypeIn: "continuous",
};
const asSent = range(
  new URLSearchParams({
    schema: "trades",
    symbols: "MES.c.0,MNQ.c.0",
    start: new Date(T0).toISOString(),
    end: new Date(T0 + 3_600_000).toISOString(),
  }),
);

let fake: FakeHistorical;
const sleeps: number[] = [];
beforeAll(() => {
  fake = startFakeHistorical({ apiKey: KEY, range, chunkSize: 8192 });
});
afterAll(() => fake.stop());
const client = () =>
  new HistoricalClient({
    apiKey: KEY,
    baseUrl: fake.url,
    // Long enough for an answer on a loaded machine (CI runs two suites side by side), short
    // beside the stall below: only the stall may trip it.
    timeoutMs: 1000,
    retryBaseMs: 50,
    sleep: async (ms) => void sleeps.push(ms),
  });
const ranges = () => fake.requests.filter((r) => r.path.endsWith("get_range"));

describe("a get_range download that resumes", () => {
  test("uncut, it is the body as sent", async () => {
    const d = await downloadRange(client(), request);
    expect(Buffer.compare(Buffer.from(d.bytes), Buffer.from(asSent))).toBe(0);
    expect([d.records, d.resumes]).toEqual([40_000, 0]);
  });

  test("cut at 60 % (zstd), or inside the second record of a same-time pair (plain), or stalled after the first chunk: resumed, the same bytes, no duplicate", async () => {
    const head = headerLength(asSent)!;
    const pairSplit = head + 48 * 20_001 + 20; // record 20 000 is complete, its same-time partner is not
    const zstdSize = Bun.zstdCompressSync(asSent).length;
    for (const fault of [
      { cutAfterBytes: Math.floor(zstdSize * 0.6) },
      { plain: true, cutAfterBytes: pairSplit },
      { plain: true, pauseMs: 3000 },
    ]) {
      const before = ranges().length;
      fake.faults.push({ path: "get_range", ...fault });
      const resumed: { fromNs: bigint | undefined; reason: string }[] = [];
      const d = await downloadRange(client(), request, { onResume: (r) => void resumed.push(r) });
      expect(Buffer.compare(Buffer.from(d.bytes), Buffer.from(asSent))).toBe(0);
      expect(d.records).toBe(40_000);
      expect(resumed.map((r) => r.reason)).toEqual([
        expect.stringMatching(fault.pauseMs ? /stalled/ : /stream broke after \d+ bytes: ECONNRESET/),
      ]);
      const [, again] = ranges().slice(before);
      // Asked again from the time of the last record kept, not from the start.
      expect(again!.params.get("start")).toBe(String(resumed[0]!.fromNs));
      expect(resumed[0]!.fromNs! > BigInt(T0) * 1_000_000n).toBe(true);
      if ("cutAfterBytes" in fault && fault.cutAfterBytes === pairSplit)
        expect(resumed[0]!.fromNs).toBe(
          new DataView(asSent.buffer, asSent.byteOffset).getBigUint64(head + 48 * 20_000 + 32, true),
        );
    }
  });

  test("a resumed answer that does not repeat the records kept at the seam is refused, not spliced", async () => {
    let calls = 0;
    const records = tapeRecords(prints);
    // The second answer has lost the MES print at the seam's time: splicing it would leave a hole.
    const changing = startFakeHistorical({
      apiKey: KEY,
      chunkSize: 8192,
      range: (p) =>
        rangeFromRecords(
          tapeMetadata(prints),
          calls++ === 0
            ? records
            : records.filter((r) => !(String(r.ts_recv) === p.get("start") && r.hd.instrument_id === TAPE_IDS.MES)),
          (x) => TAPE_IDS[x.replace(/\.c\.0$/, "")],
        )(p),
    });
    try {
      changing.faults.push({ path: "get_range", plain: true, cutAfterBytes: headerLength(asSent)! + 48 * 20_001 + 20 });
      const c = new HistoricalClient({ apiKey: KEY, baseUrl: changing.url, timeoutMs: 1000, sleep: async () => {} });
      const err = (await downloadRange(c, request).catch((e) => e)) as HistoricalError;
      expect(err.errorCase).toBe("resume_mismatch");
      expect(calls).toBe(2);
    } finally {
      await changing.stop();
    }
  });

  test("a stream that keeps breaking before any new record gives up after the bounded resumes, with backoff", async () => {
    sleeps.length = 0;
    for (let i = 0; i < 7; i++) fake.faults.push({ path: "get_range", cutAfterBytes: 10 });
    const err = (await downloadRange(client(), request, { maxResumes: 3 }).catch((e) => e)) as HistoricalError;
    expect(err).toBeInstanceOf(HistoricalError);
    expect(err.message).toMatch(/broke 4 times in a row without new data/);
    expect(sleeps.length).toBe(3);
    expect(sleeps[2]!).toBeGreaterThan(sleeps[0]!);
    fake.faults.length = 0;
  });
});
