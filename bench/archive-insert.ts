// Bars/s into the OHLCV-1m archive on Postgres (the app's bulk upsert) next to psql's \copy of
// the same rows, in the same run.   bun bench/archive-insert.ts   (Postgres at BENCH_DATABASE_URL)
import { $ } from "bun";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { sessionState } from "../src/market-data/instruments/trading-hours";
import { connectDatabase } from "../src/persistence/connect";
import { migrateUp } from "../src/persistence/migrator";
import { barToCsv, upsertBars, type ArchivedBar } from "../src/persistence/repositories/ohlcv-repo";

const admin = process.env.BENCH_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const SYMBOLS = ["MES", "MNQ", "MCL", "MGC", "ES", "NQ", "CL", "GC"];
const N = 1_000_000_000;

// One year of Globex minutes (sessions only), a random walk per symbol.
const start = Date.parse("2024-01-01T00:00:00Z");
const minutes: number[] = [];
for (let t = start; t < start + 366 * 86_400_000; t += 60_000) if (sessionState(t) === "open") minutes.push(t);
const bars: ArchivedBar[] = [];
for (const [k, symbol] of SYMBOLS.entries()) {
  let px = 1000 + k * 500;
  for (const t of minutes) {
    const open = px;
    px = Math.max(10, px + Math.round((Math.random() - 0.5) * 8) * 0.25);
    const high = Math.max(open, px) + 0.25;
    const low = Math.min(open, px) - 0.25;
    bars.push({
      dataset: "GLBX.MDP3",
      symbol,
      startMs: t,
      contract: `${symbol}H4`,
      instrumentId: 1000 + k,
      open: open * N,
      high: high * N,
      low: low * N,
      close: px * N,
      volume: 1 + (t % 97),
      source: "databento",
    });
  }
}
console.log(
  `${bars.length.toLocaleString()} bars (${SYMBOLS.length} symbols × ${minutes.length.toLocaleString()} session minutes)`,
);

const dbName = `bench_archive_${Date.now().toString(36)}`;
const c = new pg.Client({ connectionString: admin });
await c.connect();
await c.query(`create database ${dbName}`);
const url = new URL(admin);
url.pathname = `/${dbName}`;
try {
  const h = await connectDatabase({ databaseUrl: url.toString(), dataDir: mkdtempSync(join(tmpdir(), "bench-")) });
  await migrateUp(h.db);
  let t0 = performance.now();
  await upsertBars(h.db, bars);
  const appSeconds = (performance.now() - t0) / 1000;
  await h.close();

  const csv = join(mkdtempSync(join(tmpdir(), "bench-csv-")), "bars.csv");
  writeFileSync(
    csv,
    // The archive's own CSV row (as the export writes it) and the dataset column.
    bars.map((b) => `${barToCsv(b)},${b.dataset}`).join("\n") + "\n",
  );
  await $`psql -q ${url.toString()} -c ${"create table copy_target (like ohlcv_1m including all)"}`;
  t0 = performance.now();
  await $`psql -q ${url.toString()} -c ${`\\copy copy_target (ts, symbol, contract, instrument_id, open, high, low, close, volume, source, dataset) from '${csv}' with (format csv)`}`;
  const copySeconds = (performance.now() - t0) / 1000;

  const appRate = bars.length / appSeconds;
  const copyRate = bars.length / copySeconds;
  console.log(`command: bun bench/archive-insert.ts`);
  console.log(
    `app upsert (unnest, 10k rows/statement, 3 at once): ${Math.round(appRate).toLocaleString()} bars/s (${appSeconds.toFixed(1)} s)`,
  );
  console.log(
    `psql \\copy of the same rows:                      ${Math.round(copyRate).toLocaleString()} bars/s (${copySeconds.toFixed(1)} s)`,
  );
  console.log(`ratio app / copy: ${(appRate / copyRate).toFixed(2)} (target ≥ 0.5)`);
} finally {
  await c.query(`drop database if exists ${dbName} with (force)`);
  await c.end();
}
