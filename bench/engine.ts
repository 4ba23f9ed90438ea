/**
 * Trades per second through the trading engine with 100 open positions, each with a 3-level
 * take-profit ladder and a trailing stop, on one symbol (the worst case: every print concerns
 * every position). Orders the engine submits are filled at once, as the paper broker would.
 *
 *   bun bench/engine.ts [--trades 10000000] [--positions 100]
 */
import { TradingEngine } from "../src/trading/engine/engine";
import type { Command, Effect } from "../src/trading/engine/types";

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const TRADES = arg("trades", 10_000_000);
const POSITIONS = arg("positions", 100);
const TICK = 250_000_000;
const actor = { kind: "user" as const, label: "bench", userId: 1 };

function build() {
  const e = new TradingEngine(() => ({ root: "MES", tick: TICK, pointValue: 5_000_000_000n, decimals: 2 }));
  let orders = 0;
  let reopened = 0;
  const closed: number[] = [];
  const settle = (fx: Effect[], t: number) => {
    for (const f of fx) {
      if (f.type === "closed") closed.push(f.trade.accountId);
      if (f.type !== "submit") continue;
      orders++;
      settle(
        e.step({
          type: "report",
          orderId: f.order.id,
          kind: "filled",
          qty: f.order.qty,
          price: f.order.refPrice,
          tsMs: t,
        }),
        t,
      );
    }
  };
  /** A position with a 3-level ladder and a trailing stop, at the current price. */
  const open = (a: number, price: number, t: number) => {
    const cmd = (command: Command) =>
      settle(e.step({ type: "command", accountId: a, symbol: "MES", command, actor, tsMs: t }), t);
    cmd({ kind: "order", side: a % 2 ? "buy" : "sell", qty: 6, refPrice: price });
    // Ladders far enough out that they fire now and then, not on every print.
    cmd({
      kind: "set-ladder",
      levels: [1, 2, 3].map((k) => ({
        enabled: true,
        qty: 1,
        target: { unit: "ticks" as const, value: 40 * k + (a % 17) },
      })),
    });
    cmd({
      kind: "set-stop",
      stop: {
        kind: "trailing",
        initial: { unit: "ticks", value: 60 + (a % 23) },
        trailBy: { unit: "ticks", value: 60 + (a % 23) },
      },
    });
  };
  /** Keeps every account in a trade: a closed one opens again at the next print. */
  const refill = (price: number, t: number) => {
    while (closed.length) {
      open(closed.pop()!, price, t);
      reopened++;
    }
  };
  return { e, settle, open, refill, orders: () => orders, reopened: () => reopened };
}

function setup(price: number) {
  const b = build();
  const t = 1_800_000_000_000;
  b.e.onTrade("MES", price, t);
  for (let a = 1; a <= POSITIONS; a++) {
    b.e.setAccount({ id: a, userId: 1, kind: "paper", commission: 0n });
    b.open(a, price, t);
  }
  return b;
}

// A random walk on the tick grid, drawn up front so the loop measures only the engine.
const prices = new Float64Array(TRADES);
let p = 5000 * 1e9;
let s = 12345;
for (let i = 0; i < TRADES; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  const r = (s >>> 16) % 100;
  // Like real prints: most trade at the last price, the rest one tick away.
  p += r < 15 ? -TICK : r < 30 ? TICK : 0;
  prices[i] = p;
}

for (const round of [1, 2, 3]) {
  const b = setup(5000 * 1e9);
  let t = 1_800_000_000_000;
  let churnMs = 0;
  const t0 = performance.now();
  for (let i = 0; i < TRADES; i++) {
    const fx = b.e.onTrade("MES", prices[i]!, ++t);
    if (fx.length) {
      const c0 = performance.now();
      b.settle(fx, t);
      b.refill(prices[i]!, t);
      churnMs += performance.now() - c0;
    }
  }
  const ms = performance.now() - t0;
  const open = b.e.allPositions().filter((x) => x.qty > 0).length;
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of prices) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (round === 1)
    console.log(`price path ${lo / 1e9} .. ${hi / 1e9} (random walk: 70 % of prints at the last price, else ±1 tick)`);
  console.log(
    `round ${round}: ${(TRADES / ms / 1000).toFixed(2)} M trades/s; prints alone (without filling orders and reopening trades, ${churnMs.toFixed(0)} ms): ${(TRADES / (ms - churnMs) / 1000).toFixed(2)} M/s`,
  );
  console.log(
    `  (${TRADES.toLocaleString()} prints in ${ms.toFixed(0)} ms; ${b.orders().toLocaleString()} orders filled; ${b.reopened().toLocaleString()} trades closed and reopened; ${open} of ${POSITIONS} open at the end)`,
  );
}
console.log(
  "command: bun bench/engine.ts  (target ≥ 5 M trades/s with 100 positions, 3-level ladders, trailing stops)",
);
