import { Html } from "@elysiajs/html";
import type { SymbolArchiveStatus } from "../src/market-data/archive/archive-service";
import type { Prefs, SymbolDefaults } from "../src/trading/settings-service";
import { Layout, type LayoutProps } from "./layout";
import { ArchiveSection, DefaultsSection } from "./settings/market";
import { KeysSection, TokensSection } from "./settings/credentials";
import { type AccountRow, ExecutionSection, PrefsSection } from "./settings/trading";
import { RiskSection } from "./settings/risk";
import { type AlertRow, AlertsSection } from "./settings/alerts";
import type { EventRow } from "../src/persistence/repositories/events-repo";
import type { RiskView } from "../src/trading/risk-service";

export type { Notice } from "./settings/notice";
export { ArchiveSection, DefaultsSection } from "./settings/market";
export { KeysSection, TokensSection } from "./settings/credentials";
export { type AccountRow, ExecutionSection, PrefsSection } from "./settings/trading";

export interface SettingsProps {
  user: NonNullable<LayoutProps["user"]>;
  prefs: { value: Prefs; version: number };
  accounts: AccountRow[];
  risk: RiskView[];
  alerts: { alerts: AlertRow[]; log: EventRow[] };
  keys: { live: string | null; archive: string | null };
  feed: string;
  tokens: { name: string; createdAt: string; lastUsedAt: string | null }[];
  archive: { dataset: string; historical: boolean; symbols: SymbolArchiveStatus[] };
  defaults: { root: string; name: string; d: SymbolDefaults; saved: boolean }[];
  /** May change the server-wide Databento keys. */
  admin: boolean;
}

export function SettingsPage(p: SettingsProps) {
  return (
    <Layout title="Settings" user={p.user} active="settings">
      <div class="grid">
        <PrefsSection prefs={p.prefs.value} version={p.prefs.version} />
        <ExecutionSection accounts={p.accounts} />
        <RiskSection risk={p.risk} />
        <AlertsSection {...p.alerts} />
        <KeysSection keys={p.keys} feed={p.feed} admin={p.admin} />
        <TokensSection tokens={p.tokens} />
        <ArchiveSection archive={p.archive} />
        <DefaultsSection rows={p.defaults} />
      </div>
    </Layout>
  );
}
