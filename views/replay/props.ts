import type { ReplaySummary } from "../../src/replay/replay-session";
import type { LayoutProps } from "../layout";

/** What the replay page shows: the ways to start one, the stored files and the replays so far. */
export interface ReplayPageProps {
  user: NonNullable<LayoutProps["user"]>;
  archive: { dataset: string; symbols: string[]; newestMs: number | null };
  historical: boolean;
  files: {
    id: number;
    kind: string;
    name: string;
    schema: string;
    symbols: string[];
    startMs: number;
    endMs: number;
    records: number;
    bytes: number;
    cost: number | null;
  }[];
  sessions: {
    id: number;
    account: string;
    description: string;
    state: string;
    open: boolean;
    summary: ReplaySummary | null;
    createdAt: string;
  }[];
  notice?: { ok: boolean; message: string };
  quote?: { schema: string; symbols: string; startMs: number; endMs: number; cost: number; dataset: string };
}
