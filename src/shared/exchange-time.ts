/** Exchange time (CME: America/Chicago, DST included) as the pages and event texts write it. */
import { ctClock } from "./format";

/** "14:02:11 CT" */
export const clockCT = (ms: number): string => `${ctClock(ms)} CT`;
