import { join } from "node:path";
import type { Kysely } from "kysely";
import { ApiTokensService } from "../auth/api-tokens-service";
import { FailureLimiter } from "../auth/rate-limit";
import { SessionsService } from "../auth/sessions-service";
import { SetupToken } from "../auth/setup-token";
import { UsersService } from "../auth/users-service";
import type { Config } from "../config/config";
import type { Logger } from "../log/logger";
import type { Database } from "../persistence/database";
import { loadSecretKey, SecretsStore } from "../security/secrets";
import { LegacyOrdersService } from "../trading/legacy/legacy-orders-service";
import { LegacyEngineBridge } from "../trading/legacy/engine-bridge";
import { LegacyTables } from "../trading/legacy/legacy-tables";
import { PriceHub } from "../web/realtime/hub";
import { MarketDataService, type FeedConfig } from "../market-data/service/market-data-service";
import { ArchiveService } from "../market-data/archive/archive-service";
import { BarHistory } from "../market-data/archive/bar-history";
import { EngineService } from "../trading/engine-service";
import { PaperAdapter } from "../trading/execution/paper-adapter";
import { WebhookAdapter } from "../trading/execution/webhook-adapter";
import { ExecutionRouter } from "../trading/execution/router";
import { AlertsService } from "../trading/alerts/alerts-service";
import { RiskService } from "../trading/risk-service";
import { TradingService } from "../trading/trading-service";
import { SettingsService } from "../trading/settings-service";
import { priceDecimals } from "../market-data/instruments/catalogue";
import { HistoricalClient } from "../market-data/databento/historical-client";
import { ReplayService } from "../replay/replay-service";
import { CredentialSockets } from "../web/socket-credentials";
import { ShardLeases } from "../persistence/shard-leases";
import { SOLE_OWNER } from "../trading/ownership";
import { UserMessages } from "../web/realtime/user-messages";
import type { AppContext } from "../web/app-context";
import { continuousSymbol } from "../market-data/instruments/roll-rule";

export type { AppContext };

export function feedConfig(config: Config): FeedConfig {
  const kind =
    config.FEED === "auto"
      ? config.DATABENTO_API_KEY
        ? "databento"
        : "simulated"
      : config.FEED === "databento"
        ? "databento"
        : "simulated";
  const gw = config.DATABENTO_GATEWAY?.split(":");
  return {
    kind,
    apiKey: config.DATABENTO_API_KEY,
    gateway: gw ? { host: gw[0]!, port: Number(gw[1]) } : undefined,
    simSeed: config.SIM_SEED,
    rollRules: config.ROLL_RULE,
  };
}

export function createAppContext(
  config: Config,
  logger: Logger,
  db: Kysely<Database>,
  dbKind: AppContext["dbKind"],
): AppContext {
  const hub = new PriceHub();
  const userMessages = new UserMessages((userId, message) => hub.publishUser(userId, message));
  const feed = feedConfig(config);
  const marketData = new MarketDataService(feed, logger.child({ component: "market-data" }));
  const archiveLog = logger.child({ component: "archive" });
  const historicalKey = config.DATABENTO_ARCHIVE_KEY ?? config.DATABENTO_API_KEY;
  const archive = new ArchiveService(
    db,
    {
      // The simulated market's bars are kept apart from real ones (see migrations/0003).
      dataset: feed.kind === "simulated" ? "SIM" : "GLBX.MDP3",
      symbols: config.ARCHIVE_SYMBOLS,
      backfillDays: config.ARCHIVE_BACKFILL_DAYS,
      continuous: (root) => continuousSymbol(config.ROLL_RULE, root),
      heldContract: (root) => marketData.heldContract(root),
      historical:
        feed.kind === "databento" && historicalKey
          ? new HistoricalClient({
              apiKey: historicalKey,
              baseUrl: config.DATABENTO_HISTORICAL_URL,
              onRetry: (r) =>
                archiveLog.warn("archive.historical_retry", {
                  attempt: r.attempt,
                  delay_ms: r.delayMs,
                  status: r.status,
                  reason: r.reason,
                }),
            })
          : undefined,
    },
    { rootOf: (id) => marketData.rootOf(id), contractOf: (id) => marketData.contractOf(id) },
    archiveLog,
  );
  const secrets = new SecretsStore(db, loadSecretKey(config.SECRET_KEY, join(config.DATA_DIR, "secret.key")));
  const execLog = logger.child({ component: "execution" });
  let engine: EngineService | undefined;
  const report = (r: Parameters<EngineService["report"]>[0]) => engine!.report(r);
  const paper = new PaperAdapter(report, {
    tick: (s) => {
      const i = marketData.instruments.get(s);
      return i ? Number(i.tickSize) : undefined;
    },
  });
  const webhook = new WebhookAdapter(
    report,
    {
      urlFor: (accountId) => secrets.reveal("webhook", `account:${accountId}`),
      decimals: (s) => {
        const i = marketData.instruments.get(s);
        return i ? priceDecimals(i) : 2;
      },
    },
    execLog,
  );
  // Embedded PGlite belongs to one process; on Postgres another instance may share the database.
  const leases =
    dbKind === "postgres"
      ? new ShardLeases(db, {
          ttlMs: config.LEASE_TTL_MS,
          renewMs: Math.max(100, Math.floor(config.LEASE_TTL_MS / 3)),
          balance: Boolean(config.NATS_URL),
          onError: (err) => logger.warn("lease.round_failed", { reason: (err as Error).message }),
        })
      : undefined;
  const legacyTables = new LegacyTables(db);
  engine = new EngineService(
    db,
    marketData.instruments,
    new ExecutionRouter(paper, webhook),
    logger.child({ component: "engine" }),
    Date.now,
    leases ?? SOLE_OWNER,
    legacyTables,
    dbKind === "postgres",
  );
  const barHistory = new BarHistory(archive, (id) => marketData.rootOf(id));
  const legacyLog = logger.child({ component: "legacy-api" });
  const bridge = new LegacyEngineBridge(engine, legacyTables, legacyLog);
  const trading = new TradingService(db, engine, barHistory);
  const risk = new RiskService(db, engine, trading);
  const owner = leases ?? SOLE_OWNER;
  const alerts = new AlertsService(db, logger.child({ component: "alerts" }), {
    publish: (userId, message) => userMessages.publish(userId, message),
    price: (symbol, nanos) => {
      const i = marketData.instruments.get(symbol);
      return (nanos / 1e9).toFixed(i ? priceDecimals(i) : 2);
    },
    owns: (userId) => owner.ownsUser(userId),
  });
  const replay = new ReplayService(db, {
    dataDir: config.DATA_DIR,
    archiveDataset: archive.dataset,
    historical: () => archive.historical,
    historicalDataset: "GLBX.MDP3",
    publish: (userId, message) => userMessages.publish(userId, message),
    view: (accountId, symbol) => trading.view(accountId, symbol),
    continuous: (root) => continuousSymbol(config.ROLL_RULE, root),
    logger: logger.child({ component: "replay" }),
  });
  trading.useReplayHosts((accountId) => replay.hostFor(accountId));
  const users = new UsersService(db);
  const sessions = new SessionsService(db, config.SESSION_TTL_HOURS * 3_600_000);
  const tokens = new ApiTokensService(db);
  const sockets = new CredentialSockets(
    { sessions: (h) => sessions.alive(h), tokens: (ids) => tokens.alive(ids) },
    (err) => logger.warn("ws.credential_check_failed", { error: err }),
  );
  sessions.onEnded((idHash) => sockets.end(`session:${idHash}`, "signed out"));
  tokens.onRevoked((id) => sockets.end(`token:${id}`, "token revoked"));
  return {
    config,
    logger,
    db,
    dbKind,
    users,
    sessions,
    tokens,
    sockets,
    leases,
    cluster: undefined,
    userMessages,
    secrets,
    legacyOrders: new LegacyOrdersService(engine, legacyTables, bridge, legacyLog),
    legacyBridge: bridge,
    setup: new SetupToken(),
    loginLimits: { byUser: new FailureLimiter(5, 15 * 60_000), byAddress: new FailureLimiter(20, 15 * 60_000) },
    priceHub: hub,
    marketData,
    archive,
    instruments: marketData.instruments,
    barHistory,
    engine,
    paper,
    trading,
    risk,
    alerts,
    replay,
    settings: new SettingsService(db),
    startedAt: new Date(),
  };
}
