import { formatFixed, parseFixed } from "../../shared/fixed-point";

export type Family = "mini" | "micro";

export interface Instrument {
  root: string;
  name: string;
  /** ISO 10383 MIC of the listing exchange. */
  exchange: string;
  family: Family;
  /** The other half of the mini/micro pair and how many micros make one mini. */
  pair: string;
  pairRatio: number;
  /** 1e-9 units (see shared/fixed-point). */
  tickSize: bigint;
  /** Dollars per 1.0 of price, in 1e-9 units (ES 50, MYM 0.50). */
  pointValue: bigint;
  /** Listed contract months as CME month codes. */
  months: string;
  /** Defaults a new trade starts from, in points (from the original client). */
  defaults: { stopPoints: bigint; trailPoints: bigint; quantity: number };
}

const p = parseFixed;
const QUARTERLY = "HMUZ";
const ALL_MONTHS = "FGHJKMNQUVXZ";

type MicroSpec = Omit<Instrument, "family" | "pair" | "pairRatio" | "months" | "exchange" | "tickSize"> & {
  /** Only where the micro's tick differs from the mini's (M6E). */
  tickSize?: bigint;
};

function pair(mini: Omit<Instrument, "family" | "pair" | "pairRatio">, micro: MicroSpec, pairRatio = 10): Instrument[] {
  return [
    { ...mini, family: "mini", pair: micro.root, pairRatio },
    {
      ...micro,
      exchange: mini.exchange,
      months: mini.months,
      tickSize: micro.tickSize ?? mini.tickSize,
      family: "micro",
      pair: mini.root,
      pairRatio,
    },
  ];
}

/**
 * The static fallback catalogue (CME Globex, dataset GLBX.MDP3). Definition records from the
 * feed override tick size and point value when they arrive.
 */
export const CATALOGUE: readonly Instrument[] = [
  ...pair(
    {
      root: "ES",
      name: "E-mini S&P 500",
      exchange: "XCME",
      tickSize: p("0.25"),
      pointValue: p("50"),
      months: QUARTERLY,
      defaults: { stopPoints: p("3"), trailPoints: p("10"), quantity: 2 },
    },
    {
      root: "MES",
      name: "Micro E-mini S&P 500",
      pointValue: p("5"),
      defaults: { stopPoints: p("3"), trailPoints: p("10"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "NQ",
      name: "E-mini Nasdaq-100",
      exchange: "XCME",
      tickSize: p("0.25"),
      pointValue: p("20"),
      months: QUARTERLY,
      defaults: { stopPoints: p("10"), trailPoints: p("40"), quantity: 2 },
    },
    {
      root: "MNQ",
      name: "Micro E-mini Nasdaq-100",
      pointValue: p("2"),
      defaults: { stopPoints: p("10"), trailPoints: p("40"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "YM",
      name: "E-mini Dow ($5)",
      exchange: "XCBT",
      tickSize: p("1"),
      pointValue: p("5"),
      months: QUARTERLY,
      defaults: { stopPoints: p("30"), trailPoints: p("100"), quantity: 2 },
    },
    {
      root: "MYM",
      name: "Micro E-mini Dow",
      pointValue: p("0.5"),
      defaults: { stopPoints: p("30"), trailPoints: p("100"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "RTY",
      name: "E-mini Russell 2000",
      exchange: "XCME",
      tickSize: p("0.1"),
      pointValue: p("50"),
      months: QUARTERLY,
      defaults: { stopPoints: p("3"), trailPoints: p("10"), quantity: 2 },
    },
    {
      root: "M2K",
      name: "Micro E-mini Russell 2000",
      pointValue: p("5"),
      defaults: { stopPoints: p("3"), trailPoints: p("10"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "CL",
      name: "Crude Oil (WTI)",
      exchange: "XNYM",
      tickSize: p("0.01"),
      pointValue: p("1000"),
      months: ALL_MONTHS,
      defaults: { stopPoints: p("0.10"), trailPoints: p("0.40"), quantity: 2 },
    },
    {
      root: "MCL",
      name: "Micro WTI Crude Oil",
      pointValue: p("100"),
      defaults: { stopPoints: p("0.10"), trailPoints: p("0.40"), quantity: 5 },
    },
  ),
  ...pair(
    // Gold lists every near month besides the G J M Q V Z cycle, so any month code is accepted.
    {
      root: "GC",
      name: "Gold",
      exchange: "XCEC",
      tickSize: p("0.1"),
      pointValue: p("100"),
      months: ALL_MONTHS,
      defaults: { stopPoints: p("2"), trailPoints: p("5"), quantity: 2 },
    },
    {
      root: "MGC",
      name: "Micro Gold",
      pointValue: p("10"),
      defaults: { stopPoints: p("2"), trailPoints: p("5"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "SI",
      name: "Silver",
      exchange: "XCEC",
      tickSize: p("0.005"),
      pointValue: p("5000"),
      months: ALL_MONTHS,
      defaults: { stopPoints: p("0.10"), trailPoints: p("0.30"), quantity: 1 },
    },
    {
      root: "SIL",
      name: "Micro Silver (1,000 oz)",
      pointValue: p("1000"),
      defaults: { stopPoints: p("0.10"), trailPoints: p("0.30"), quantity: 2 },
    },
    5,
  ),
  ...pair(
    {
      root: "HG",
      name: "Copper",
      exchange: "XCEC",
      tickSize: p("0.0005"),
      pointValue: p("25000"),
      months: ALL_MONTHS,
      defaults: { stopPoints: p("0.01"), trailPoints: p("0.03"), quantity: 1 },
    },
    {
      root: "MHG",
      name: "Micro Copper",
      pointValue: p("2500"),
      defaults: { stopPoints: p("0.01"), trailPoints: p("0.03"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "6E",
      name: "Euro FX",
      exchange: "XCME",
      tickSize: p("0.00005"),
      pointValue: p("125000"),
      months: QUARTERLY,
      defaults: { stopPoints: p("0.002"), trailPoints: p("0.006"), quantity: 1 },
    },
    {
      root: "M6E",
      name: "Micro EUR/USD",
      tickSize: p("0.0001"),
      pointValue: p("12500"),
      defaults: { stopPoints: p("0.002"), trailPoints: p("0.006"), quantity: 5 },
    },
  ),
  ...pair(
    {
      root: "BTC",
      name: "Bitcoin",
      exchange: "XCME",
      tickSize: p("5"),
      pointValue: p("5"),
      months: ALL_MONTHS,
      defaults: { stopPoints: p("500"), trailPoints: p("1500"), quantity: 1 },
    },
    {
      root: "MBT",
      name: "Micro Bitcoin",
      pointValue: p("0.1"),
      defaults: { stopPoints: p("500"), trailPoints: p("1500"), quantity: 5 },
    },
    50,
  ),
];

const byRoot = new Map(CATALOGUE.map((i) => [i.root, i]));

export function instrumentByRoot(root: string): Instrument | undefined {
  return byRoot.get(root);
}

export const ROOTS: readonly string[] = CATALOGUE.map((i) => i.root);

const decimalsOf = new WeakMap<Instrument, number>();
/** Decimals a price of this instrument is shown with: those of its tick (ES 2, GC 1, CL 2, YM 0). */
export function priceDecimals(inst: Instrument): number {
  let d = decimalsOf.get(inst);
  if (d === undefined) decimalsOf.set(inst, (d = formatFixed(inst.tickSize).split(".")[1]?.length ?? 0));
  return d;
}
