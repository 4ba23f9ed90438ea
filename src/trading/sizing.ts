import { AppError } from "../shared/app-error";
import { CATALOGUE, type Instrument } from "../market-data/instruments/catalogue";

export interface SizingResult {
  /** Dollars at risk per contract at this stop distance. */
  riskPerContract: { [root: string]: number };
  /** The largest mix within the risk: minis first, the rest in micros. */
  mix: { root: string; qty: number }[];
  totalRisk: number;
  /** In micros alone, for comparison. */
  microsOnly: number;
}

/**
 * Contracts for a dollar risk and a stop distance (in 1e-9 price units): as many minis as fit,
 * then micros for the remainder (1 ES + 3 MES), never over the risk.
 */
export function sizePosition(
  mini: Instrument,
  micro: Instrument,
  riskNanoDollars: bigint,
  stopDistance: bigint,
): SizingResult {
  if (stopDistance <= 0n) throw new Error("stop distance must be positive");
  const per = (i: Instrument) => (stopDistance * i.pointValue) / 1_000_000_000n;
  const miniRisk = per(mini);
  const microRisk = per(micro);
  const minis = miniRisk > 0n ? riskNanoDollars / miniRisk : 0n;
  const rest = riskNanoDollars - minis * miniRisk;
  const micros = microRisk > 0n ? rest / microRisk : 0n;
  const usd = (n: bigint) => Number(n / 10_000_000n) / 100;
  const mix = [
    ...(minis > 0n ? [{ root: mini.root, qty: Number(minis) }] : []),
    ...(micros > 0n ? [{ root: micro.root, qty: Number(micros) }] : []),
  ];
  return {
    riskPerContract: { [mini.root]: usd(miniRisk), [micro.root]: usd(microRisk) },
    mix,
    totalRisk: usd(minis * miniRisk + micros * microRisk),
    microsOnly: microRisk > 0n ? Number(riskNanoDollars / microRisk) : 0,
  };
}

/** The sizing API's answer: `root` is the query's symbol resolved; distances in 1e-9 units. */
export function sizeForQuery(root: string, q: { risk: number; stopPoints?: number; stopTicks?: number }) {
  const inst = CATALOGUE.find((i) => i.root === root)!;
  const mini = inst.family === "mini" ? inst : CATALOGUE.find((i) => i.root === inst.pair)!;
  const micro = inst.family === "micro" ? inst : CATALOGUE.find((i) => i.root === inst.pair)!;
  const distance =
    q.stopPoints !== undefined
      ? BigInt(q.stopPoints)
      : q.stopTicks !== undefined
        ? BigInt(q.stopTicks) * inst.tickSize
        : undefined;
  if (distance === undefined) throw new AppError(400, "query: give stopPoints or stopTicks");
  return {
    symbol: inst.root,
    risk: q.risk / 1e9,
    stop: Number(distance) / 1e9,
    ...sizePosition(mini, micro, BigInt(q.risk), distance),
  };
}
