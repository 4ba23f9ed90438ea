import type { PositionView } from "../../src/trading/position-view";
import type { SymbolDefaults } from "../../src/trading/settings-service";
import type { LayoutProps } from "../layout";
import type { ReplayPanelProps } from "../replay";

export interface DeskInstrument {
  root: string;
  name: string;
  family: "mini" | "micro";
  pair: string;
  tick: number;
  decimals: number;
  pointValue: number;
}

export interface DeskEvent {
  at: string;
  /** Milliseconds: the page matches a live message's lines to the log's by it. */
  ts: number;
  actor: string;
  reason: string;
  kind: string;
}

export interface DeskStateProps {
  account: string;
  accountKind: string;
  inst: DeskInstrument;
  position: PositionView | null;
  defaults: SymbolDefaults;
  defaultsVersion: number;
  events: DeskEvent[];
  last: number | null;
  atr: { available: true; value: number; method: string; period: number } | { available: false; reason: string };
  atrMultiplier: number;
  confirm: boolean;
  /** Ask before an order of more contracts than this (null: never). */
  confirmAbove?: number | null;
  /** The account's clock: now, or the replay's time (timer countdowns). */
  nowMs: number;
  /** A refused action: shown next to its control. */
  error?: { for: "ticket" | "stop" | "ladder" | "timer" | "position"; message: string };
  /** After a refusal: what the trader had typed in the refused form, shown again as typed. */
  typed?: Record<string, string | undefined>;
  ticketQty?: number;
  /** The stop form's preview line as of this render (typing in the form fetches it again). */
  stopPreview?: { ok: boolean; text: string };
}

export interface DeskPageProps extends DeskStateProps {
  user: NonNullable<LayoutProps["user"]>;
  accounts: { name: string; kind: string }[];
  symbols: { root: string; name: string }[];
  quote: { bid: number | null; ask: number | null } | null;
  /** Replay mode: the player above the desk, and everything bound to the replay's account. */
  replay?: ReplayPanelProps;
}
