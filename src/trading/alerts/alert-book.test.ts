import { describe, expect, test } from "bun:test";
import type { PriceAlert } from "../../persistence/repositories/alerts-repo";
import { AlertBook } from "./alert-book";

const P = (s: string) => Math.round(Number(s) * 1e9);
const alert = (id: number, direction: "above" | "below", price: string, repeat = false): PriceAlert => ({
  id,
  userId: 1,
  symbol: "MES",
  direction,
  price: P(price),
  repeat,
  armed: true,
  firedCount: 0,
  firedAt: null,
});

function run(book: AlertBook, prices: string[]) {
  const fired: number[] = [];
  const rearmed: number[] = [];
  for (const p of prices)
    book.onTrade(
      "MES",
      P(p),
      (a) => fired.push(a.id),
      (a) => rearmed.push(a.id),
    );
  return { fired, rearmed };
}

describe("price alerts", () => {
  test("above and below fire on the first print at or beyond the price, once", () => {
    const book = new AlertBook();
    book.replace([alert(1, "above", "6010"), alert(2, "below", "5990")]);
    expect(run(book, ["6000", "6009.75", "6010", "6012", "5990.25", "5990", "5980"])).toEqual({
      fired: [1, 2],
      rearmed: [],
    });
    // Once: gone from the book after firing.
    expect(book.size).toBe(0);
  });

  test("a repeating alert fires once per crossing: hovering at the level fires it once", () => {
    const book = new AlertBook();
    book.replace([alert(3, "above", "6010", true)]);
    const r = run(book, ["6010", "6010.25", "6010", "6011", "6009.75", "6010", "6010", "6009", "6012"]);
    expect(r).toEqual({ fired: [3, 3, 3], rearmed: [3, 3] });
    expect(book.size).toBe(1);
  });

  test("other symbols and prints inside the band leave the alerts alone; removal stops them", () => {
    const book = new AlertBook();
    book.replace([alert(4, "above", "6010"), alert(5, "below", "5990")]);
    const fired: number[] = [];
    book.onTrade(
      "MNQ",
      P("9999"),
      (a) => fired.push(a.id),
      () => {},
    );
    expect(run(book, ["6000", "6005", "5995"]).fired).toEqual([]);
    book.remove(4);
    expect(run(book, ["6020"]).fired).toEqual([]);
    book.keep((userId) => userId !== 1);
    expect(book.size).toBe(0);
    expect(fired).toEqual([]);
  });
});
