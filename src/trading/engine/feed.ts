/** Whether prices come (R7.1), and orders the broker took while none did, priced at the next print (R1.2). */
import { rule } from "./actors";
import { type Book, bookOf, emit, type Step, touch } from "./context";
import { applyFill } from "./fills";
import * as say from "./reasons";
import { type FeedInput, type Nanos, PART } from "./types";

export function onFeed(ctx: Step, f: FeedInput): void {
  const book = bookOf(ctx.books, f.symbol);
  if (f.up) {
    if (book.downSince) feedUp(ctx, book, f.sinceMs);
  } else if (!book.downSince) {
    book.downSince = f.sinceMs || f.tsMs;
    for (const p of book.positions) {
      if (p.qty === 0) continue;
      const text = say.feedUnprotected(p.symbol, book.downSince);
      emit(ctx, p, "feed.unprotected", rule("feed"), text, { sinceMs: book.downSince });
      touch(ctx, p, PART.state);
    }
  }
}

/** Prices came back at `atMs`: every open position of the symbol is protected again. */
export function feedUp(ctx: Step, book: Book, atMs: number): void {
  const since = book.downSince;
  book.downSince = 0;
  for (const p of book.positions) {
    if (p.qty === 0) continue;
    const text = say.feedProtected(p.symbol, Math.max(0, atMs - since));
    emit(ctx, p, "feed.protected", rule("feed"), text, { sinceMs: since });
    touch(ctx, p, PART.state);
  }
}

/** Orders the broker took while no price was known are filled at this print, marked assumed. */
export function fillAwaiting(ctx: Step, book: Book, price: Nanos): void {
  for (const o of [...ctx.orders.values()]) {
    if (o.symbol !== book.symbol || !o.awaitingPrice) continue;
    const qty = o.awaitingPrice;
    o.awaitingPrice = 0;
    o.filled += qty;
    if (o.filled >= o.qty) ctx.orders.delete(o.id);
    // Its row must stop saying "working", or a restart (or another instance) would send it again.
    ctx.out.push({
      type: "filled",
      orderId: o.id,
      filled: o.filled,
      done: o.filled >= o.qty,
      note: say.AWAITING_FILLED,
    });
    const p = ctx.positions.get(o.posKey);
    if (p) applyFill(ctx, p, o, qty, price, true);
  }
  book.awaiting = 0;
}
