/** Prices in 1e-9 units (exact JS numbers) as the numeric columns' decimal strings, and back. */
const SCALE = 1_000_000_000;

export function nanosToDecimal(n: number): string {
  const neg = n < 0;
  const a = Math.abs(n);
  const whole = Math.floor(a / SCALE);
  const frac = String(a - whole * SCALE).padStart(9, "0");
  return `${neg ? "-" : ""}${whole}.${frac}`;
}

export function decimalToNanos(d: string): number {
  const neg = d.startsWith("-");
  const [w = "0", f = ""] = (neg ? d.slice(1) : d).split(".");
  const n = Number(w) * SCALE + Number(f.padEnd(9, "0").slice(0, 9));
  return neg ? -n : n;
}
