/** Exchange time (CME: America/Chicago, DST included) as the pages and event texts write it. */
const CT_CLOCK = new Intl.DateTimeFormat("en-GB", {
  timeZone: "America/Chicago",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** "14:02:11 CT" */
export const clockCT = (ms: number): string => `${CT_CLOCK.format(new Date(ms))} CT`;
