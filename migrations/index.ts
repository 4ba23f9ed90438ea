import type { Migration } from "kysely/migration";
import * as m0001 from "./0001_foundation";
import * as m0002 from "./0002_ohlcv_archive";
import * as m0003 from "./0003_archive_dataset";
import * as m0004 from "./0004_trading_engine";
import * as m0005 from "./0005_user_settings";
import * as m0006 from "./0006_replay";
import * as m0007 from "./0007_order_cancelled";
import * as m0008 from "./0008_engine_owner";
import * as m0009 from "./0009_user_roles";
import * as m0010 from "./0010_engine_shards";
import * as m0011 from "./0011_feed_lease";
import * as m0012 from "./0012_simulated_bars";
import * as m0013 from "./0013_held_rolls";
import * as m0014 from "./0014_risk_limits";
import * as m0015 from "./0015_price_alerts";

/**
 * A static list, not a directory scan, so the compiled binary carries every migration.
 * Append new migrations here in order; never rename or edit a released one.
 */
export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_ohlcv_archive": m0002,
  "0003_archive_dataset": m0003,
  "0004_trading_engine": m0004,
  "0005_user_settings": m0005,
  "0006_replay": m0006,
  "0007_order_cancelled": m0007,
  "0008_engine_owner": m0008,
  "0009_user_roles": m0009,
  "0010_engine_shards": m0010,
  "0011_feed_lease": m0011,
  "0012_simulated_bars": m0012,
  "0013_held_rolls": m0013,
  "0014_risk_limits": m0014,
  "0015_price_alerts": m0015,
};
