/** The desk's numbers as the page shows them (the page script writes the same shapes live). */

export const fmt = (v: number | null | undefined, d: number) => (v === null || v === undefined ? "—" : v.toFixed(d));
export const money = (v: number | null | undefined) =>
  v === null || v === undefined
    ? "—"
    : `${v < 0 ? "-" : ""}$${Math.abs(v).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
export const tone = (v: number | null | undefined) =>
  v === null || v === undefined || v === 0 ? "" : v > 0 ? "long" : "short";
export function countdown(deadlineMs: number, nowMs: number): string {
  const left = Math.max(0, Math.round((deadlineMs - nowMs) / 1000));
  return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
}
/** Stored distances are 1e-9 units; forms show points. */
export const pts = (n: number) => String(n / 1e9);

/** A level switched off shows as off, whatever its state underneath, until it is pending or filled (R2.3). */
export const shown = (l: { enabled: boolean; status: string }) =>
  !l.enabled && l.status !== "pending" && l.status !== "filled" ? "off" : l.status;
