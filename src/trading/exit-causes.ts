import type { Purpose } from "./engine/types";

/**
 * What closed contracts, as the journal and the replay summary name it: an order's purpose in
 * the trader's words (an opposite entry order that closed contracts is a manual exit).
 */
export const EXIT_CAUSE: Record<Purpose, string> = {
  tp: "take profit",
  stop: "stop",
  timer: "timer",
  exit: "manual exit",
  entry: "manual exit",
  reverse: "reverse",
  risk: "risk limit",
};

export const exitCause = (purpose: string): string => EXIT_CAUSE[purpose as Purpose] ?? purpose;
