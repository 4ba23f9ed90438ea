// Options and constants of bench/ticks-to-ws.ts (see its head for what they mean).
import type { InstrumentRef } from "../../src/market-data/databento/gateway-feed";

export const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
export const SECONDS = Number(arg("seconds", "5"));
export const RATE = Number(arg("rate", "5000"));
export const SPLIT = process.argv.includes("--split");
export const CLUSTER = process.argv.includes("--cluster");
export const INSTANCES = Number(arg("instances", "3"));
export const CLIENTS = arg("clients", CLUSTER ? "1000" : "1,100,1000")
  .split(",")
  .map(Number);
export const PG_URL = arg("database-url", process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test");
export const NATS_ARG = arg("nats", process.env.NATS_URL ?? "nats://127.0.0.1:4222");
export const WARMUP_S = 1;
export const PACE_MS = 2;

export const INSTRUMENT: InstrumentRef = { instrumentId: 900_001, raw: "MESZ6", aliases: ["MES.c.0", "MES"] };
export const BASE_NANOS = 5000_000_000_000; // 5000.00
export const TICK_NANOS = 250_000_000; // 0.25
export const API_KEY = "db-" + "B".repeat(24) + "bench"; // 32 chars; the bench's gateway accepts only this
