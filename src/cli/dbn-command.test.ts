import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RType } from "../market-data/dbn/constants";
import { encodeMetadata } from "../market-data/dbn/metadata";
import { encodeRecord } from "../market-data/dbn/record-codec";
import { runCli } from "./cli";

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (l) => out.push(l), err: (l) => err.push(l), readStdin: async () => "" }, {});
  return { code, out, err };
}

const SAMPLES = join(process.env.SHARED_DIR ?? join(import.meta.dir, "../../../shared"), "dbn-samples");
const have = existsSync(SAMPLES);
if (!have) console.warn(`!!! SKIPPED: cli dbn over the sample files — ${SAMPLES} is absent`);

describe("cli dbn", () => {
  test("a generated file: JSON lines, --pretty, --limit, --schema, --metadata", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dbn-cli-"));
    const file = join(dir, "mixed.dbn.zst");
    const meta = encodeMetadata({});
    const recs = [
      encodeRecord(
        {
          hd: { rtype: RType.MBP_0, publisher_id: 1, instrument_id: 1, ts_event: 1_000_000_000n },
          price: 71_370_000_000n,
          size: 2,
          action: "T",
          side: "B",
        },
        3,
      ),
      encodeRecord(
        {
          hd: { rtype: RType.OHLCV_1M, publisher_id: 1, instrument_id: 1, ts_event: 60_000_000_000n },
          open: 1n,
          high: 2n,
          low: 1n,
          close: 2n,
          volume: 3n,
        },
        3,
      ),
    ];
    writeFileSync(file, Bun.zstdCompressSync(Buffer.concat([meta, ...recs])));
    expect((await cli(["dbn", file])).out.length).toBe(2);
    expect(JSON.parse((await cli(["dbn", file, "--pretty", "--limit", "1"])).out[0]!)).toMatchObject({
      price: "71.370000000",
      hd: { ts_event: "1970-01-01T00:00:01.000000000Z" },
    });
    expect((await cli(["dbn", file, "--schema", "ohlcv-1m"])).out.map((l) => JSON.parse(l).hd.rtype)).toEqual([
      RType.OHLCV_1M,
    ]);
    expect(JSON.parse((await cli(["dbn", file, "--metadata"])).out[0]!)).toMatchObject({
      version: 3,
      dataset: "GLBX.MDP3",
      schema: null,
    });
    expect((await cli(["dbn", join(dir, "missing.dbn")])).err[0]).toContain("no such file");
    expect((await cli(["dbn", file, "--schema", "nope"])).err[0]).toContain('unknown schema "nope"');
  });

  test.skipIf(!have)("reads every sample file (DBZ refused with a clear message), fragments included", async () => {
    for (const d of ["", "GLBX.MDP3", "LIVE", "real"]) {
      for (const f of readdirSync(join(SAMPLES, d))) {
        const path = join(SAMPLES, d, f);
        if (!statSync(path).isFile() || f.endsWith(".md") || f.startsWith("esh4")) continue;
        const r = await cli(["dbn", path, "--limit", "5"]);
        if (f.endsWith(".dbz")) {
          expect({ f, code: r.code, err: r.err[0] }).toEqual({
            f,
            code: 1,
            err: expect.stringContaining("legacy DBZ"),
          });
        } else {
          expect({ f, code: r.code, err: r.err }).toEqual({ f, code: 0, err: [] });
          for (const line of r.out) expect(JSON.parse(line).hd).toBeDefined();
        }
      }
    }
  });
});
