/** Tick-grid arithmetic on exact prices (1e-9 units, see shared/fixed-point). */

export type Rounding = "down" | "up" | "nearest";

export function roundToTick(price: bigint, tick: bigint, mode: Rounding): bigint {
  if (tick <= 0n) throw new RangeError("tick must be positive");
  const rem = ((price % tick) + tick) % tick;
  if (rem === 0n) return price;
  const down = price - rem;
  if (mode === "down") return down;
  if (mode === "up") return down + tick;
  // Half a tick goes up, as exchanges display midpoints.
  return rem * 2n >= tick ? down + tick : down;
}

/** Rounded toward `market` (a limit that must not be worse than intended). */
export function roundTowardMarket(price: bigint, tick: bigint, market: bigint): bigint {
  return roundToTick(price, tick, price <= market ? "up" : "down");
}

/** Rounded away from `market` (a stop distance that must not shrink). */
export function roundAwayFromMarket(price: bigint, tick: bigint, market: bigint): bigint {
  return roundToTick(price, tick, price <= market ? "down" : "up");
}

/** Whole ticks in a price distance; refuses a distance off the grid rather than truncating. */
export function ticksIn(distance: bigint, tick: bigint): number {
  if (distance % tick !== 0n) throw new RangeError("distance is not a whole number of ticks");
  return Number(distance / tick);
}
