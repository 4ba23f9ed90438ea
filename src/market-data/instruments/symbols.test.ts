import { describe, expect, test } from "bun:test";
import { CATALOGUE } from "./catalogue";
import { resolveSymbol } from "./symbols";

const now = new Date("2025-11-24T00:00:00Z");
const root = (s: string) => {
  const r = resolveSymbol(s, now);
  return r.ok ? r.value.instrument.root : `error: ${r.message}`;
};

describe("resolveSymbol", () => {
  test("every accepted form of a micro maps to its root", () => {
    for (const s of [
      "MES",
      "mes",
      " MES ",
      "MES1!",
      "MES2!",
      "MESZ5",
      "MESZ25",
      "MESZ2025",
      "MES.c.0",
      "MES.n.1",
      "MES.FUT",
    ]) {
      expect(root(s)).toBe("MES");
    }
  });
  test("suffix stripping is by suffix, not by character (the original's rstrip defect)", () => {
    expect(root("M2K1!")).toBe("M2K");
    expect(root("ES1!")).toBe("ES");
    expect(root("MYM1!")).toBe("MYM");
    expect(root("1!")).toStartWith("error");
  });
  test("contract months and years", () => {
    const r = resolveSymbol("MESZ5", now);
    expect(r.ok && r.value.contract).toEqual({ monthCode: "Z", year: 2025 });
    const r2 = resolveSymbol("NQH6", now);
    expect(r2.ok && r2.value.contract).toEqual({ monthCode: "H", year: 2026 });
    const r3 = resolveSymbol("CLF2027", now);
    expect(r3.ok && r3.value.contract).toEqual({ monthCode: "F", year: 2027 });
    const r4 = resolveSymbol("M2KU5", now);
    expect(r4.ok && r4.value.instrument.root).toBe("M2K");
  });
  test("ES vs MES vs other prefixes are not confused", () => {
    expect(root("ESZ5")).toBe("ES");
    expect(root("MNQZ5")).toBe("MNQ");
    expect(root("NQZ5")).toBe("NQ");
    expect(root("MCLF6")).toBe("MCL");
    expect(root("MGCG6")).toBe("MGC");
  });
  test("a month the product does not list is refused with the listed months", () => {
    expect(root("MESF6")).toContain("listed months: H M U Z");
  });
  test("unknown and malformed symbols are refused with a clear message", () => {
    for (const s of ["", "AAPL", "MESZ", "MES Z5", "MESZ123", "X".repeat(40), "MES.c.x"]) {
      expect(root(s)).toStartWith("error");
    }
  });
});

test("every catalogue root resolves to itself, and its continuous and TradingView forms too", () => {
  expect(CATALOGUE.length).toBe(20);
  for (const i of CATALOGUE) {
    for (const form of [i.root, `${i.root}1!`, `${i.root}.c.0`, `${i.root}${i.months[0]}6`]) {
      const r = resolveSymbol(form, now);
      expect({ form, root: r.ok ? r.value.instrument.root : r.message }).toEqual({ form, root: i.root });
    }
    expect(resolveSymbol(i.pair, now).ok).toBe(true);
  }
});
