/**
 * Fixed-window failure counter per key (IP, username). Memory is bounded: old windows are
 * swept and the map never holds more than `maxKeys` entries.
 */
export class FailureLimiter {
  private readonly hits = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Seconds until the key may try again, or 0 when it may try now. */
  retryAfter(key: string): number {
    const e = this.hits.get(key);
    if (!e) return 0;
    const now = this.now();
    if (e.resetAt <= now) {
      this.hits.delete(key);
      return 0;
    }
    return e.count >= this.limit ? Math.ceil((e.resetAt - now) / 1000) : 0;
  }

  /**
   * Counts an attempt before it is checked, atomically with the decision to let it through: 15
   * guesses sent at once then get 5 checks, not 15 (each check takes a slow password hash, so
   * counting only after it would let them all pass the limit together). Returns 0 when the
   * attempt may go ahead, else the seconds to wait. A success hands its place back (`release`).
   */
  reserve(key: string): number {
    const wait = this.retryAfter(key);
    if (wait > 0) return wait;
    this.fail(key);
    return 0;
  }

  /** An attempt reserved with `reserve` turned out fine: it does not count as a failure. */
  release(key: string): void {
    const e = this.hits.get(key);
    if (e && e.count > 0) e.count--;
  }

  fail(key: string): void {
    const now = this.now();
    const e = this.hits.get(key);
    if (e && e.resetAt > now) {
      e.count++;
      return;
    }
    if (this.hits.size >= this.maxKeys) this.sweep(now);
    this.hits.set(key, { count: 1, resetAt: now + this.windowMs });
  }

  reset(key: string): void {
    this.hits.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, e] of this.hits) if (e.resetAt <= now) this.hits.delete(k);
    // Still full (an attack from many keys): drop the oldest entries rather than grow.
    for (const k of this.hits.keys()) {
      if (this.hits.size < this.maxKeys) break;
      this.hits.delete(k);
    }
  }
}
