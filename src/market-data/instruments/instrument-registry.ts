import type { DbnRecord } from "../dbn/record-codec";
import { CATALOGUE, instrumentByRoot, type Instrument } from "./catalogue";

const UNDEF_PRICE = 9_223_372_036_854_775_807n;

export interface DefinitionOverride {
  contract: string;
  tickSize?: bigint;
  pointValue?: bigint;
  expirationNs?: bigint;
}

/**
 * The instruments the app trades: the static catalogue, overridden by what Databento's
 * instrument-definition records say (tick size from min_price_increment, dollars per point
 * from unit_of_measure_qty) for the contract currently mapped to each root.
 */
export class InstrumentRegistry {
  private readonly overrides = new Map<string, DefinitionOverride>();
  private readonly merged = new Map<string, Instrument>();

  get(root: string): Instrument | undefined {
    let merged = this.merged.get(root);
    if (merged) return merged;
    const base = instrumentByRoot(root);
    if (!base) return undefined;
    const o = this.overrides.get(root);
    // One object per root until a definition changes it: the engine asks on every stop it moves.
    merged = o ? { ...base, tickSize: o.tickSize ?? base.tickSize, pointValue: o.pointValue ?? base.pointValue } : base;
    this.merged.set(root, merged);
    return merged;
  }

  /** Where a value came from, for the UI and logs. */
  override(root: string): DefinitionOverride | undefined {
    return this.overrides.get(root);
  }

  /**
   * Applies a definition record to a root; returns what differs from the catalogue (so the
   * caller can log it), or a reason the record was not usable. Spreads and options are ignored.
   */
  applyDefinition(root: string, def: DbnRecord): { ok: true; changed: string[] } | { ok: false; reason: string } {
    const base = CATALOGUE.find((i) => i.root === root);
    if (!base) return { ok: false, reason: `unknown root ${root}` };
    if (def.instrument_class !== undefined && def.instrument_class !== "F")
      return { ok: false, reason: `not an outright future (class ${String(def.instrument_class)})` };
    const inc = typeof def.min_price_increment === "bigint" ? def.min_price_increment : undefined;
    const uom = typeof def.unit_of_measure_qty === "bigint" ? def.unit_of_measure_qty : undefined;
    const o: DefinitionOverride = { contract: String(def.raw_symbol ?? "") };
    if (inc !== undefined && inc > 0n && inc !== UNDEF_PRICE) o.tickSize = inc;
    if (uom !== undefined && uom > 0n && uom !== UNDEF_PRICE) o.pointValue = uom;
    if (typeof def.expiration === "bigint") o.expirationNs = def.expiration;
    if (o.tickSize === undefined && o.pointValue === undefined)
      return { ok: false, reason: "no usable tick size or unit of measure" };
    this.overrides.set(root, o);
    this.merged.delete(root);
    const changed: string[] = [];
    if (o.tickSize !== undefined && o.tickSize !== base.tickSize) changed.push(`tick ${base.tickSize} → ${o.tickSize}`);
    if (o.pointValue !== undefined && o.pointValue !== base.pointValue)
      changed.push(`point value ${base.pointValue} → ${o.pointValue}`);
    return { ok: true, changed };
  }
}
