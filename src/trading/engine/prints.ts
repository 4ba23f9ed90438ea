/**
 * A print outside the quiet band: the rules of each position whose own band it left, in order —
 * trailing ratchet, stop, take-profits, a timer waiting for the entry price.
 */
import { positionBand, rebuild } from "./bands";
import type { Book, Step } from "./context";
import { touch } from "./context";
import { feedUp, fillAwaiting } from "./feed";
import { fireLevel } from "./ladder";
import { pnlAt } from "./positions";
import * as say from "./reasons";
import { fireStop } from "./stops";
import { fireTimer } from "./timer";
import { checkLoss } from "./risk";
import { ratchet } from "./trailing";
import { type Nanos, PART, type Position, type EngineSpec } from "./types";

export function onPrint(ctx: Step, book: Book, price: Nanos): void {
  // Prices are back (R7.1), and exits the broker took without a price get this one (R1.2).
  if (book.downSince) feedUp(ctx, book, ctx.now);
  if (book.awaiting) fillAwaiting(ctx, book, price);
  // Only the positions whose own band the print left are looked at.
  const ps = book.positions;
  const ups = book.ups;
  const downs = book.downs;
  const stale = book.stale;
  const spec = ctx.spec(book.symbol)!;
  for (let i = 0; i < ps.length; i++) {
    if (price >= ups[i]! || price <= downs[i]!) {
      const p = ps[i]!;
      // The daily loss limit first: reached, it flattens the account (this position included) and locks it.
      const lossAt = book.lossAt[i]!;
      if (p.side === "long" ? price <= lossAt : price >= lossAt) checkLoss(ctx, p.accountId);
      evaluate(ctx, p, price, spec, book, i);
      positionBand(p, ups, downs, i, book.lossAt[i]!);
      if (stale[i]) {
        stale[i] = 0;
        book.staleCount--;
      }
    }
  }
  rebuild(book);
}

function evaluate(ctx: Step, p: Position, price: Nanos, spec: EngineSpec, book: Book, slot: number): void {
  if (p.closing) return;
  const long = p.side === "long";
  const s = p.stop;
  // Trailing ratchets first, so a print that makes a new best cannot also hit the old stop.
  if (
    s?.trailing &&
    s.status === "armed" &&
    (long ? price > p.best : price < p.best) &&
    ratchet(p, s, price, spec.tick)
  ) {
    if (!ctx.deferRatchets) touch(ctx, p, PART.trail);
    else if (!book.ratcheted[slot]) {
      book.ratcheted[slot] = 1;
      book.ratchetCount++;
    }
  }
  if (s && s.status === "armed" && (long ? price <= s.price : price >= s.price)) {
    fireStop(ctx, p, price);
    return;
  }
  let fired = false;
  for (const l of p.ladder) {
    if (l.status !== "armed" || !l.enabled) continue;
    if (long ? price >= l.price : price <= l.price) {
      fireLevel(ctx, p, l, price);
      fired = true;
    }
  }
  const t = p.timer;
  if (!fired && t && t.phase === "waiting-for-entry" && pnlAt(p, price) <= 0n) {
    fireTimer(ctx, p, price, say.TIMER_BACK_AT_ENTRY);
  }
}
