/**
 * The desk's numbers as the page shows them. Money, tone and countdown are the house's rules
 * (src/shared/format.ts), shared with the desk's islands, which write the same shapes live.
 */

export const fmt = (v: number | null | undefined, d: number) => (v === null || v === undefined ? "—" : v.toFixed(d));
/** Stored distances are 1e-9 units; forms show points. */
export const pts = (n: number) => String(n / 1e9);

/** A level switched off shows as off, whatever its state underneath, until it is pending or filled (R2.3). */
export const shown = (l: { enabled: boolean; status: string }) =>
  !l.enabled && l.status !== "pending" && l.status !== "filled" ? "off" : l.status;
