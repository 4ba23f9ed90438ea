import { RType } from "./constants";

/**
 * Record layouts as field tables (offsets include the 16-byte header), from the protocol brief
 * (docs/databento.md §5). One table drives both the decoder and the encoder, so they cannot
 * disagree; the hot path reads fixed offsets directly instead (see cursor.ts).
 */
export type FieldType =
  | "i64"
  | "u64"
  | "i32"
  | "u32"
  | "i16"
  | "u16"
  | "i8"
  | "u8"
  | "char"
  | { cstr: number }
  | { levels: number; consolidated: boolean };

export type Field = readonly [name: string, type: FieldType, offset: number];

export interface Layout {
  name: string;
  size: number;
  fields: readonly Field[];
}

const pairBytes = 32;
const tradePrefix: Field[] = [
  ["price", "i64", 16],
  ["size", "u32", 24],
  ["action", "char", 28],
  ["side", "char", 29],
  ["flags", "u8", 30],
  ["depth", "u8", 31],
  ["ts_recv", "u64", 32],
  ["ts_in_delta", "i32", 40],
  ["sequence", "u32", 44],
];
const bboPrefix: Field[] = [
  ["price", "i64", 16],
  ["size", "u32", 24],
  ["side", "char", 29],
  ["flags", "u8", 30],
  ["ts_recv", "u64", 32],
  ["sequence", "u32", 44],
];
const cmbpPrefix: Field[] = [
  ["price", "i64", 16],
  ["size", "u32", 24],
  ["action", "char", 28],
  ["side", "char", 29],
  ["flags", "u8", 30],
  ["ts_recv", "u64", 32],
  ["ts_in_delta", "i32", 40],
];
const cbboPrefix: Field[] = [
  ["price", "i64", 16],
  ["size", "u32", 24],
  ["side", "char", 29],
  ["flags", "u8", 30],
  ["ts_recv", "u64", 32],
];

const TRADE: Layout = { name: "TradeMsg", size: 48, fields: tradePrefix };
const MBP1: Layout = {
  name: "Mbp1Msg",
  size: 80,
  fields: [...tradePrefix, ["levels", { levels: 1, consolidated: false }, 48]],
};
const MBP10: Layout = {
  name: "Mbp10Msg",
  size: 48 + 10 * pairBytes,
  fields: [...tradePrefix, ["levels", { levels: 10, consolidated: false }, 48]],
};
const BBO: Layout = {
  name: "BboMsg",
  size: 80,
  fields: [...bboPrefix, ["levels", { levels: 1, consolidated: false }, 48]],
};
const CMBP1: Layout = {
  name: "Cmbp1Msg",
  size: 80,
  fields: [...cmbpPrefix, ["levels", { levels: 1, consolidated: true }, 48]],
};
const CBBO: Layout = {
  name: "CbboMsg",
  size: 80,
  fields: [...cbboPrefix, ["levels", { levels: 1, consolidated: true }, 48]],
};
const OHLCV: Layout = {
  name: "OhlcvMsg",
  size: 56,
  fields: [
    ["open", "i64", 16],
    ["high", "i64", 24],
    ["low", "i64", 32],
    ["close", "i64", 40],
    ["volume", "u64", 48],
  ],
};
const MBO: Layout = {
  name: "MboMsg",
  size: 56,
  fields: [
    ["order_id", "u64", 16],
    ["price", "i64", 24],
    ["size", "u32", 32],
    ["flags", "u8", 36],
    ["channel_id", "u8", 37],
    ["action", "char", 38],
    ["side", "char", 39],
    ["ts_recv", "u64", 40],
    ["ts_in_delta", "i32", 48],
    ["sequence", "u32", 52],
  ],
};
const STATUS: Layout = {
  name: "StatusMsg",
  size: 40,
  fields: [
    ["ts_recv", "u64", 16],
    ["action", "u16", 24],
    ["reason", "u16", 26],
    ["trading_event", "u16", 28],
    ["is_trading", "char", 30],
    ["is_quoting", "char", 31],
    ["is_short_sell_restricted", "char", 32],
  ],
};
const IMBALANCE: Layout = {
  name: "ImbalanceMsg",
  size: 112,
  fields: [
    ["ts_recv", "u64", 16],
    ["ref_price", "i64", 24],
    ["auction_time", "u64", 32],
    ["cont_book_clr_price", "i64", 40],
    ["auct_interest_clr_price", "i64", 48],
    ["ssr_filling_price", "i64", 56],
    ["ind_match_price", "i64", 64],
    ["upper_collar", "i64", 72],
    ["lower_collar", "i64", 80],
    ["paired_qty", "u32", 88],
    ["total_imbalance_qty", "u32", 92],
    ["market_imbalance_qty", "u32", 96],
    ["unpaired_qty", "u32", 100],
    ["auction_type", "char", 104],
    ["side", "char", 105],
    ["auction_status", "u8", 106],
    ["freeze_status", "u8", 107],
    ["num_extensions", "u8", 108],
    ["unpaired_side", "char", 109],
    ["significant_imbalance", "char", 110],
  ],
};
const STAT_V1: Layout = {
  name: "StatMsg",
  size: 64,
  fields: [
    ["ts_recv", "u64", 16],
    ["ts_ref", "u64", 24],
    ["price", "i64", 32],
    ["quantity", "i32", 40],
    ["sequence", "u32", 44],
    ["ts_in_delta", "i32", 48],
    ["stat_type", "u16", 52],
    ["channel_id", "u16", 54],
    ["update_action", "u8", 56],
    ["stat_flags", "u8", 57],
  ],
};
const STAT_V3: Layout = {
  name: "StatMsg",
  size: 80,
  fields: [
    ["ts_recv", "u64", 16],
    ["ts_ref", "u64", 24],
    ["price", "i64", 32],
    ["quantity", "i64", 40],
    ["sequence", "u32", 48],
    ["ts_in_delta", "i32", 52],
    ["stat_type", "u16", 56],
    ["channel_id", "u16", 58],
    ["update_action", "u8", 60],
    ["stat_flags", "u8", 61],
  ],
};
const MAPPING_V1: Layout = {
  name: "SymbolMappingMsg",
  size: 80,
  fields: [
    ["stype_in_symbol", { cstr: 22 }, 16],
    ["stype_out_symbol", { cstr: 22 }, 38],
    ["start_ts", "u64", 64],
    ["end_ts", "u64", 72],
  ],
};
const MAPPING_V2: Layout = {
  name: "SymbolMappingMsg",
  size: 176,
  fields: [
    ["stype_in", "u8", 16],
    ["stype_in_symbol", { cstr: 71 }, 17],
    ["stype_out", "u8", 88],
    ["stype_out_symbol", { cstr: 71 }, 89],
    ["start_ts", "u64", 160],
    ["end_ts", "u64", 168],
  ],
};
const SYSTEM_V1: Layout = { name: "SystemMsg", size: 80, fields: [["msg", { cstr: 64 }, 16]] };
const SYSTEM_V2: Layout = {
  name: "SystemMsg",
  size: 320,
  fields: [
    ["msg", { cstr: 303 }, 16],
    ["code", "u8", 319],
  ],
};
const ERROR_V1: Layout = { name: "ErrorMsg", size: 80, fields: [["err", { cstr: 64 }, 16]] };
const ERROR_V2: Layout = {
  name: "ErrorMsg",
  size: 320,
  fields: [
    ["err", { cstr: 302 }, 16],
    ["code", "u8", 318],
    ["is_last", "u8", 319],
  ],
};

// Instrument definitions: the fields a futures app uses in v1/v2 (the brief's table), all of v3.
const DEF_V1: Layout = {
  name: "InstrumentDefMsg",
  size: 360,
  fields: [
    ["ts_recv", "u64", 16],
    ["min_price_increment", "i64", 24],
    ["display_factor", "i64", 32],
    ["expiration", "u64", 40],
    ["activation", "u64", 48],
    ["high_limit_price", "i64", 56],
    ["low_limit_price", "i64", 64],
    ["max_price_variation", "i64", 72],
    ["trading_reference_price", "i64", 80],
    ["unit_of_measure_qty", "i64", 88],
    ["min_price_increment_amount", "i64", 96],
    ["price_ratio", "i64", 104],
    ["raw_instrument_id", "u32", 120],
    ["min_lot_size_round_lot", "i32", 148],
    ["contract_multiplier", "i32", 160],
    ["maturity_year", "u16", 180],
    ["channel_id", "u16", 184],
    ["currency", { cstr: 4 }, 186],
    ["raw_symbol", { cstr: 22 }, 200],
    ["group", { cstr: 21 }, 222],
    ["exchange", { cstr: 5 }, 243],
    ["asset", { cstr: 7 }, 248],
    ["cfi", { cstr: 7 }, 255],
    ["security_type", { cstr: 7 }, 262],
    ["unit_of_measure", { cstr: 31 }, 269],
    ["underlying", { cstr: 21 }, 300],
    ["instrument_class", "char", 325],
    ["strike_price", "i64", 328],
    ["match_algorithm", "char", 342],
    ["security_update_action", "char", 349],
    ["maturity_month", "u8", 350],
    ["maturity_day", "u8", 351],
    ["maturity_week", "u8", 352],
    ["user_defined_instrument", "char", 353],
    ["tick_rule", "u8", 356],
  ],
};
const DEF_V2: Layout = {
  name: "InstrumentDefMsg",
  size: 400,
  fields: [
    ["ts_recv", "u64", 16],
    ["min_price_increment", "i64", 24],
    ["display_factor", "i64", 32],
    ["expiration", "u64", 40],
    ["activation", "u64", 48],
    ["high_limit_price", "i64", 56],
    ["low_limit_price", "i64", 64],
    ["max_price_variation", "i64", 72],
    ["trading_reference_price", "i64", 80],
    ["unit_of_measure_qty", "i64", 88],
    ["min_price_increment_amount", "i64", 96],
    ["price_ratio", "i64", 104],
    ["strike_price", "i64", 112],
    ["raw_instrument_id", "u32", 128],
    ["min_lot_size_round_lot", "i32", 156],
    ["contract_multiplier", "i32", 164],
    ["maturity_year", "u16", 180],
    ["channel_id", "u16", 184],
    ["currency", { cstr: 4 }, 186],
    ["raw_symbol", { cstr: 71 }, 200],
    ["group", { cstr: 21 }, 271],
    ["exchange", { cstr: 5 }, 292],
    ["asset", { cstr: 7 }, 297],
    ["cfi", { cstr: 7 }, 304],
    ["security_type", { cstr: 7 }, 311],
    ["unit_of_measure", { cstr: 31 }, 318],
    ["underlying", { cstr: 21 }, 349],
    ["instrument_class", "char", 374],
    ["match_algorithm", "char", 375],
    ["security_update_action", "char", 382],
    ["maturity_month", "u8", 383],
    ["maturity_day", "u8", 384],
    ["maturity_week", "u8", 385],
    ["user_defined_instrument", "char", 386],
    ["tick_rule", "u8", 389],
  ],
};
const DEF_V3: Layout = {
  name: "InstrumentDefMsg",
  size: 520,
  fields: [
    ["ts_recv", "u64", 16],
    ["min_price_increment", "i64", 24],
    ["display_factor", "i64", 32],
    ["expiration", "u64", 40],
    ["activation", "u64", 48],
    ["high_limit_price", "i64", 56],
    ["low_limit_price", "i64", 64],
    ["max_price_variation", "i64", 72],
    ["unit_of_measure_qty", "i64", 80],
    ["min_price_increment_amount", "i64", 88],
    ["price_ratio", "i64", 96],
    ["strike_price", "i64", 104],
    ["raw_instrument_id", "u64", 112],
    ["leg_price", "i64", 120],
    ["leg_delta", "i64", 128],
    ["inst_attrib_value", "i32", 136],
    ["underlying_id", "u32", 140],
    ["market_depth_implied", "i32", 144],
    ["market_depth", "i32", 148],
    ["market_segment_id", "u32", 152],
    ["max_trade_vol", "u32", 156],
    ["min_lot_size", "i32", 160],
    ["min_lot_size_block", "i32", 164],
    ["min_lot_size_round_lot", "i32", 168],
    ["min_trade_vol", "u32", 172],
    ["contract_multiplier", "i32", 176],
    ["decay_quantity", "i32", 180],
    ["original_contract_size", "i32", 184],
    ["leg_instrument_id", "u32", 188],
    ["leg_ratio_price_numerator", "i32", 192],
    ["leg_ratio_price_denominator", "i32", 196],
    ["leg_ratio_qty_numerator", "i32", 200],
    ["leg_ratio_qty_denominator", "i32", 204],
    ["leg_underlying_id", "u32", 208],
    ["appl_id", "i16", 212],
    ["maturity_year", "u16", 214],
    ["decay_start_date", "u16", 216],
    ["channel_id", "u16", 218],
    ["leg_count", "u16", 220],
    ["leg_index", "u16", 222],
    ["currency", { cstr: 4 }, 224],
    ["settl_currency", { cstr: 4 }, 228],
    ["secsubtype", { cstr: 6 }, 232],
    ["raw_symbol", { cstr: 71 }, 238],
    ["group", { cstr: 21 }, 309],
    ["exchange", { cstr: 5 }, 330],
    ["asset", { cstr: 11 }, 335],
    ["cfi", { cstr: 7 }, 346],
    ["security_type", { cstr: 7 }, 353],
    ["unit_of_measure", { cstr: 31 }, 360],
    ["underlying", { cstr: 21 }, 391],
    ["strike_price_currency", { cstr: 4 }, 412],
    ["leg_raw_symbol", { cstr: 71 }, 416],
    ["instrument_class", "char", 487],
    ["match_algorithm", "char", 488],
    ["main_fraction", "u8", 489],
    ["price_display_format", "u8", 490],
    ["sub_fraction", "u8", 491],
    ["underlying_product", "u8", 492],
    ["security_update_action", "char", 493],
    ["maturity_month", "u8", 494],
    ["maturity_day", "u8", 495],
    ["maturity_week", "u8", 496],
    ["user_defined_instrument", "char", 497],
    ["contract_multiplier_unit", "i8", 498],
    ["flow_schedule_type", "i8", 499],
    ["tick_rule", "u8", 500],
    ["leg_instrument_class", "char", 501],
    ["leg_side", "char", 502],
  ],
};

/**
 * The layout of a record: by rtype, and for the four types whose size changed across versions,
 * by the record's own size (body without any ts_out suffix) so a mislabelled stream still decodes.
 */
export function layoutFor(rtype: number, bodySize: number): Layout | undefined {
  switch (rtype) {
    case RType.MBP_0:
      return TRADE;
    case RType.MBP_1:
      return MBP1;
    case RType.MBP_10:
      return MBP10;
    case RType.BBO_1S:
    case RType.BBO_1M:
      return BBO;
    case RType.CMBP_1:
    case RType.TCBBO:
      return CMBP1;
    case RType.CBBO_1S:
    case RType.CBBO_1M:
      return CBBO;
    case RType.OHLCV_DEPRECATED:
    case RType.OHLCV_1S:
    case RType.OHLCV_1M:
    case RType.OHLCV_1H:
    case RType.OHLCV_1D:
    case RType.OHLCV_EOD:
      return OHLCV;
    case RType.MBO:
      return MBO;
    case RType.STATUS:
      return STATUS;
    case RType.IMBALANCE:
      return IMBALANCE;
    case RType.STATISTICS:
      return bodySize >= 80 ? STAT_V3 : bodySize >= 64 ? STAT_V1 : undefined;
    case RType.SYMBOL_MAPPING:
      return bodySize >= 176 ? MAPPING_V2 : bodySize >= 80 ? MAPPING_V1 : undefined;
    case RType.SYSTEM:
      return bodySize >= 320 ? SYSTEM_V2 : bodySize >= 80 ? SYSTEM_V1 : undefined;
    case RType.ERROR:
      return bodySize >= 320 ? ERROR_V2 : bodySize >= 80 ? ERROR_V1 : undefined;
    case RType.INSTRUMENT_DEF:
      return bodySize >= 520 ? DEF_V3 : bodySize >= 400 ? DEF_V2 : bodySize >= 360 ? DEF_V1 : undefined;
    default:
      return undefined;
  }
}

/** The layout the encoder writes for a record type in a given DBN version. */
export function layoutForVersion(rtype: number, version: number): Layout | undefined {
  const sizes: Record<number, [number, number, number]> = {
    [RType.STATISTICS]: [64, 64, 80],
    [RType.SYMBOL_MAPPING]: [80, 176, 176],
    [RType.SYSTEM]: [80, 320, 320],
    [RType.ERROR]: [80, 320, 320],
    [RType.INSTRUMENT_DEF]: [360, 400, 520],
  };
  const size = sizes[rtype]?.[version - 1] ?? 0;
  return layoutFor(rtype, size);
}
