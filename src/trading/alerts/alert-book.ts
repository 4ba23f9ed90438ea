import type { PriceAlert } from "../../persistence/repositories/alerts-repo";

/** A symbol's alerts and the band inside which a print reaches none of them (two comparisons). */
interface SymbolAlerts {
  list: PriceAlert[];
  up: number;
  down: number;
}

/**
 * Price alerts in memory, watched on every print. An armed alert fires on the first print at or
 * beyond its price; a repeating one is armed again once a print comes back across its price, so
 * a price that hovers at the level fires it once, not on every print.
 */
export class AlertBook {
  private readonly bySymbol = new Map<string, SymbolAlerts>();

  replace(alerts: readonly PriceAlert[]): void {
    this.bySymbol.clear();
    for (const a of alerts) this.add(a);
  }

  add(a: PriceAlert): void {
    let s = this.bySymbol.get(a.symbol);
    if (!s) this.bySymbol.set(a.symbol, (s = { list: [], up: Infinity, down: -Infinity }));
    s.list = s.list.filter((x) => x.id !== a.id);
    s.list.push({ ...a });
    band(s);
  }

  remove(id: number): void {
    for (const s of this.bySymbol.values()) {
      const before = s.list.length;
      s.list = s.list.filter((x) => x.id !== id);
      if (s.list.length !== before) band(s);
    }
  }

  /** Forgets the alerts of users another instance serves now. */
  keep(owns: (userId: number) => boolean): void {
    for (const s of this.bySymbol.values()) {
      s.list = s.list.filter((x) => owns(x.userId));
      band(s);
    }
  }

  get size(): number {
    let n = 0;
    for (const s of this.bySymbol.values()) n += s.list.length;
    return n;
  }

  /** A print: `fired` for each armed alert it reaches, `rearmed` for each repeating one it came back across. */
  onTrade(symbol: string, price: number, fired: (a: PriceAlert) => void, rearmed: (a: PriceAlert) => void): void {
    const s = this.bySymbol.get(symbol);
    if (!s || (price < s.up && price > s.down)) return;
    const out: PriceAlert[] = [];
    for (const a of s.list) {
      const beyond = a.direction === "above" ? price >= a.price : price <= a.price;
      if (a.armed && beyond) {
        a.armed = false;
        a.firedCount++;
        fired(a);
        if (!a.repeat) continue;
      } else if (!a.armed && a.repeat && (a.direction === "above" ? price < a.price : price > a.price)) {
        a.armed = true;
        rearmed(a);
      }
      out.push(a);
    }
    s.list = out;
    band(s);
  }
}

function band(s: SymbolAlerts): void {
  let up = Infinity;
  let down = -Infinity;
  for (const a of s.list) {
    if (a.armed) {
      if (a.direction === "above") up = Math.min(up, a.price);
      else down = Math.max(down, a.price);
    } else if (a.repeat) {
      // Waiting to come back: below an "above" level, above a "below" one.
      if (a.direction === "above") down = Math.max(down, a.price - 1);
      else up = Math.min(up, a.price + 1);
    }
  }
  s.up = up;
  s.down = down;
}
