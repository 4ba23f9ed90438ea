import { num, numberList, offsets, type Side } from "./messages";

export const pxTopic = (symbol: string) => `px:${symbol}`;
export const legacyTopic = (symbol: string) => `legacy:${symbol}`;

/** One symbol: its newest trade and quote, and what the current burst gathered. */
export class Sym {
  readonly topic: string;
  readonly legacyTopic: string;
  /** The symbol as a JSON string literal. */
  readonly json: string;
  /** +1 per trade or quote published. */
  version = 0;
  /** `version` when this symbol's burst was last handed to the topic publish. */
  published = 0;

  hasTrade = false;
  p = 0;
  q = 0;
  side: Side = "N";
  ts = 0;
  private tradeMsg: string | undefined;
  private legacyMsg: string | undefined;

  hasQuote = false;
  b: number | null = null;
  a: number | null = null;
  bs = 0;
  as = 0;
  qts = 0;
  private quoteMsg: string | undefined;

  // The burst: prints in order, and whether the quote moved.
  readonly ps: number[] = [];
  readonly qs: number[] = [];
  sides = "";
  readonly tss: number[] = [];
  quoteDirty = false;
  queued = false;

  constructor(readonly symbol: string) {
    this.topic = pxTopic(symbol);
    this.legacyTopic = legacyTopic(symbol);
    this.json = JSON.stringify(symbol);
  }

  trade(p: number, q: number, side: Side, ts: number): void {
    this.version++;
    this.hasTrade = true;
    this.p = p;
    this.q = q;
    this.side = side;
    this.ts = ts;
    this.tradeMsg = undefined;
    this.legacyMsg = undefined;
    this.ps.push(p);
    this.qs.push(q);
    this.sides += side;
    this.tss.push(ts);
  }

  quote(b: number | null, a: number | null, bs: number, as: number, ts: number): void {
    this.version++;
    this.hasQuote = true;
    this.b = b;
    this.a = a;
    this.bs = bs;
    this.as = as;
    this.qts = ts;
    this.quoteMsg = undefined;
    this.quoteDirty = true;
  }

  /** The newest trade as one `trade` message (built once, on first use). */
  tradeMessage(): string | undefined {
    if (!this.hasTrade) return undefined;
    return (this.tradeMsg ??= `{"t":"trade","s":${this.json},"p":${num(this.p)},"q":${num(this.q)},"side":"${this.side}","ts":${num(this.ts)}}`);
  }

  legacyMessage(): string | undefined {
    if (!this.hasTrade) return undefined;
    return (this.legacyMsg ??= `{"event":"price_changed","data":{"symbol":${this.json},"price":${num(this.p)}}}`);
  }

  quoteMessage(): string | undefined {
    if (!this.hasQuote) return undefined;
    return (this.quoteMsg ??= `{"t":"quote","s":${this.json},${this.bookFields()}}`);
  }

  /** The burst as one message (see the top of this file), or undefined if nothing changed. */
  burstMessage(): string | undefined {
    const n = this.ps.length;
    if (n === 0) return this.quoteDirty ? this.quoteMessage() : undefined;
    if (n === 1 && !this.quoteDirty) return this.tradeMessage();
    const head = `{"t":"trades","s":${this.json},"p":[${numberList(this.ps)}],"q":[${numberList(this.qs)}],"side":"${this.sides}","ts":${num(this.tss[0]!)},"dt":[${offsets(this.tss)}]`;
    if (!this.quoteDirty) return head + "}";
    return head + `,"quote":{${this.bookFields()}}}`;
  }

  /** The top of book as JSON members (a `quote` message and a burst's `quote` share them). */
  private bookFields(): string {
    return `"b":${num(this.b)},"a":${num(this.a)},"bs":${num(this.bs)},"as":${num(this.as)},"ts":${num(this.qts)}`;
  }

  clearBurst(): void {
    this.ps.length = 0;
    this.qs.length = 0;
    this.sides = "";
    this.tss.length = 0;
    this.quoteDirty = false;
  }
}
