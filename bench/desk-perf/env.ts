import type { Browser } from "playwright-core";
import type { e2eServer } from "../../src/web/e2e-harness";

/** What every part of the benchmark runs against. */
export interface Env {
  app: Awaited<ReturnType<typeof e2eServer>>;
  browser: Browser;
  ctx: Awaited<ReturnType<typeof e2eServer>>["server"]["ctx"];
  base: string;
  userId: number;
  RUNS: number;
  SECONDS: number;
}
