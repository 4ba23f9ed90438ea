import { priceDecimals, type Instrument } from "../../market-data/instruments/catalogue";
import type { EngineSpec } from "./types";

const specs = new WeakMap<Instrument, EngineSpec>();

/**
 * What the engine needs of an instrument. The engine asks on every stop it moves, so the answer
 * is made once per instrument object (a definition update from Databento is a new object).
 */
export function engineSpec(i: Instrument): EngineSpec {
  let s = specs.get(i);
  if (!s)
    specs.set(
      i,
      (s = {
        root: i.root,
        tick: Number(i.tickSize),
        pointValue: i.pointValue,
        decimals: priceDecimals(i),
        // Risk limits count the pair together, in micros: ES is 10 MES (R10).
        riskGroup: i.family === "mini" ? i.root : i.pair,
        riskWeight: i.family === "mini" ? i.pairRatio : 1,
      }),
    );
  return s;
}
