import type { Kysely } from "kysely";
import { randomToken } from "../auth/crypto";
import type { Logger } from "../log/logger";
import type { ArchiveService } from "../market-data/archive/archive-service";
import { HistoricalClient } from "../market-data/databento/historical-client";
import {
  startSimulatedHistorical,
  type SimResumePoint,
  type SimulatedHistorical,
} from "../market-data/feeds/simulated-history";
import type { MarketDataService } from "../market-data/service/market-data-service";
import type { Database } from "../persistence/database";
import { latestBars } from "../persistence/repositories/ohlcv-repo";

export interface SimulationDeps {
  db: Kysely<Database>;
  archive: ArchiveService;
  marketData: MarketDataService;
  logger: Logger;
  /** How far back the simulated past reaches (ARCHIVE_BACKFILL_DAYS). */
  days: number;
  seed: number;
}

/**
 * The simulated market continues what is stored, so a restart does not jump: the simulated past
 * (a local Historical server the archive backfills from) walks on from each root's newest stored
 * bar up to `anchorMs`, and the live market starts at `anchorMs` where that past ends. A later
 * session of this process (a reconnection, a follower taking the feed's lead) continues from the
 * last print it saw instead. Roots with nothing stored start fresh (SIM_START_PRICE).
 */
export async function startSimulation(deps: SimulationDeps, anchorMs: number): Promise<SimulatedHistorical> {
  const { db, archive, marketData, logger } = deps;
  const resume: Record<string, SimResumePoint> = {};
  for (const symbol of archive.symbols) {
    const [bar] = await latestBars(db, archive.dataset, symbol, 1);
    if (bar) resume[symbol] = { startMs: bar.startMs, close: bar.close };
  }
  const apiKey = ("db-" + randomToken(24).replace(/[^A-Za-z0-9]/g, "x")).slice(0, 32);
  const history = startSimulatedHistorical({ anchorMs, days: deps.days, seed: deps.seed, apiKey, resume });
  archive.useHistorical(new HistoricalClient({ apiKey, baseUrl: history.url }));
  const lastPrint: Record<string, number> = {};
  marketData.bus.subscribe({
    trade: (t) => {
      const root = marketData.rootOf(t.instrumentId);
      if (root) lastPrint[root] = t.price;
    },
  });
  let first = true;
  marketData.simStart = () => {
    const seen = Object.keys(lastPrint).length > 0;
    const atAnchor = first && !seen;
    first = false;
    return { prices: { ...history.startPrices, ...lastPrint }, ...(atAnchor ? { atMs: anchorMs } : {}) };
  };
  const from = Object.entries(resume).map(([s, p]) => `${s} ${p.close / 1e9} (${new Date(p.startMs).toISOString()})`);
  if (from.length) {
    logger.info("sim.resumed", {
      from: from.join(", "),
      starts: Object.entries(history.startPrices)
        .map(([s, p]) => `${s} ${p / 1e9}`)
        .join(", "),
      reason:
        "the simulated market continues the stored bars: its past walks on from them to now, and the live market starts where that ends",
    });
  }
  return history;
}
