import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeDbn } from "../dbn/decoder";
import { InstrumentRegistry } from "./instrument-registry";
import { parseFixed } from "../../shared/fixed-point";

const SAMPLE = join(
  process.env.SHARED_DIR ?? join(import.meta.dir, "../../../../shared"),
  "dbn-samples/real/definition-glbx-es-fut.dbn.zst",
);
const haveSample = existsSync(SAMPLE);
if (!haveSample) console.warn(`!!! SKIPPED: ${SAMPLE} is absent (real definition sample)`);

describe("instrument registry", () => {
  test.skipIf(!haveSample)("a real ES definition record confirms the catalogue: tick 0.25, $50 a point", () => {
    const def = decodeDbn(new Uint8Array(readFileSync(SAMPLE))).records[0]!;
    const reg = new InstrumentRegistry();
    const r = reg.applyDefinition("ES", def);
    expect(r).toEqual({ ok: true, changed: [] });
    expect(reg.get("ES")).toMatchObject({ tickSize: parseFixed("0.25"), pointValue: parseFixed("50") });
    expect(reg.override("ES")).toMatchObject({ contract: "ESM3" });
  });

  test("a definition that differs from the catalogue wins and says what changed; junk is refused", () => {
    const reg = new InstrumentRegistry();
    const def = {
      hd: { rtype: 0x13, publisher_id: 1, instrument_id: 1, ts_event: 0n },
      instrument_class: "F",
      raw_symbol: "MESZ6",
      min_price_increment: parseFixed("0.1"),
      unit_of_measure_qty: parseFixed("5"),
      expiration: 1n,
    };
    expect(reg.applyDefinition("MES", def)).toEqual({
      ok: true,
      changed: [`tick ${parseFixed("0.25")} → ${parseFixed("0.1")}`],
    });
    expect(reg.get("MES")!.tickSize).toBe(parseFixed("0.1"));
    expect(reg.get("ES")!.tickSize).toBe(parseFixed("0.25"));
    expect(reg.applyDefinition("MES", { ...def, instrument_class: "C" })).toMatchObject({ ok: false });
    expect(
      reg.applyDefinition("MES", { ...def, min_price_increment: 9_223_372_036_854_775_807n, unit_of_measure_qty: 0n }),
    ).toMatchObject({ ok: false });
    expect(reg.applyDefinition("XX", def)).toMatchObject({ ok: false });
    expect(reg.get("XX")).toBeUndefined();
  });
});
