import { join } from "node:path";
import type { Kysely } from "kysely";
import type { Config } from "../config/config";
import type { Logger } from "../log/logger";
import type { Database } from "../persistence/database";
import { loadSecretKey, SecretsStore } from "../security/secrets";

/**
 * Databento keys saved in Settings (encrypted) fill in for the environment's when it has none;
 * the environment wins when both are set. Never logged: only which source was used.
 */
export async function withStoredKeys(config: Config, db: Kysely<Database>, logger: Logger): Promise<Config> {
  if (config.DATABENTO_API_KEY && config.DATABENTO_ARCHIVE_KEY) return config;
  const store = new SecretsStore(db, loadSecretKey(config.SECRET_KEY, join(config.DATA_DIR, "secret.key")));
  const live = config.DATABENTO_API_KEY ?? (await store.reveal("databento", "api_key").catch(() => undefined));
  const archive =
    config.DATABENTO_ARCHIVE_KEY ?? (await store.reveal("databento", "archive_key").catch(() => undefined));
  if (live && !config.DATABENTO_API_KEY)
    logger.info("config.key_from_settings", { key: "DATABENTO_API_KEY", source: "encrypted settings store" });
  if (archive && !config.DATABENTO_ARCHIVE_KEY)
    logger.info("config.key_from_settings", { key: "DATABENTO_ARCHIVE_KEY", source: "encrypted settings store" });
  return { ...config, DATABENTO_API_KEY: live, DATABENTO_ARCHIVE_KEY: archive };
}
