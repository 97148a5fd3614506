// The FrameReader: the two frames that arrive thousands of times a second (depth_book1 and trade pushes in
// the exchange's own layout), and kline and price pushes, read straight from the socket's bytes, without a string or
// JSON.parse: the load test's profile showed the parse and the object graph it builds as the engine's
// largest cost.
import { KLINE_PREFIX } from './channels.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_FUTURE_MS, type DecodeOptions, type Frame } from './frame.js';

// It accepts only the exact layout the exchange sends (docs/bitunix-wire.md §1.5.4–§1.5.5: key order, no spaces):
//   {"ch":"depth_book1","symbol":S,"ts":N,"data":{"b":[[P,Q]],"a":[[P,Q]]}}
//   {"ch":"trade","symbol":S,"ts":N,"data":[{"t":T,"p":P,"v":Q,"s":D},...]}
//   {"ch":"market_kline_<n>min","symbol":S,"ts":N,"data":{"o":P,"c":P,"h":P,"l":P,"b":Q,"q":Q}}
//   {"ch":"price","symbol":S,"ts":N,"data":{"ip":P,"mp":P,"fr":P,"ft":T,"nft":T}}  (a funding rate of at least 0)
// with printable-ASCII strings without escapes, `ts` a JSON integer of at most 15 digits, prices and sizes
// plain decimals of at most 15 digits, and only frames that pass every check decodeFrame makes. For anything
// else it returns null and the caller decodes the text, so both paths give the same Frame for the same frame.

/**
 * A fixed part of the layout: its bytes, and their whole 32-bit words (little-endian), compared four bytes at a
 * time: a push is mostly such literals, and this reader runs a million times a minute of a replay.
 */
interface Literal {
  readonly length: number;
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
}

function ascii(s: string): Literal {
  return literal(Uint8Array.from(s, (ch) => ch.charCodeAt(0)));
}

/** b[start, end) as a Literal (copied: b may be a buffer the next frame overwrites). */
function literalOf(b: Uint8Array, start: number, end: number): Literal {
  return literal(new Uint8Array(b.subarray(start, end)));
}

function literal(bytes: Uint8Array): Literal {
  const words = new Int32Array(bytes.length >> 2);
  for (let k = 0; k < words.length; k++) words[k] = bytes[4 * k]! | (bytes[4 * k + 1]! << 8) | (bytes[4 * k + 2]! << 16) | (bytes[4 * k + 3]! << 24);
  return { length: bytes.length, bytes, words };
}

const LIT_CH = ascii('{"ch":"');
// What follows `{"ch":"`, told apart by its first byte (d, t, p, m).
const LIT_BOOK1_REST = ascii('depth_book1","symbol":"');
const LIT_TRADE_REST = ascii('trade","symbol":"');
const LIT_PRICE_REST = ascii('price","symbol":"');
const LIT_KLINE_REST = ascii(KLINE_PREFIX);
const LIT_SYMBOL = ascii('","symbol":"');
const LIT_O = ascii('{"o":"');
const LIT_C = ascii('","c":"');
const LIT_H = ascii('","h":"');
const LIT_L = ascii('","l":"');
const LIT_B = ascii('","b":"');
const LIT_Q = ascii('","q":"');
const LIT_KLINE_END = ascii('"}}');
const LIT_IP = ascii('{"ip":"');
const LIT_MP = ascii('","mp":"');
const LIT_FR = ascii('","fr":"');
const LIT_FT = ascii('","ft":"');
const LIT_NFT = ascii('","nft":"');
const LIT_TS = ascii('","ts":');
const LIT_DATA = ascii(',"data":');
const LIT_BID = ascii('{"b":[["');
const LIT_SEP = ascii('","');
const LIT_ASK = ascii('"]],"a":[["');
const LIT_BOOK_END = ascii('"]]}}');
const LIT_T = ascii('{"t":"');
const LIT_P = ascii('","p":"');
const LIT_V = ascii('","v":"');
const LIT_S = ascii('","s":"');
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];
const CH_D = 100;
const CH_T = 116;
const CH_P = 112;
const CH_M = 109;

/** The bytes last read, as 32-bit words at any offset (a replay reads one ring, a socket one buffer a message). */
let viewOf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

function viewFor(b: Uint8Array): void {
  viewOf = b;
  view = new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** True when `lit` lies at b[i] and ends by `end` (the frame's end in b); `view` is b's. */
function bytesAt(b: Uint8Array, i: number, lit: Literal, end: number): boolean {
  const n = lit.length;
  if (i + n > end) return false;
  const w = lit.words;
  for (let k = 0; k < w.length; k++) if (view.getInt32(i + 4 * k, true) !== w[k]) return false;
  const bytes = lit.bytes;
  for (let j = w.length * 4; j < n; j++) if (b[i + j] !== bytes[j]) return false;
  return true;
}

/** Where the last readDecimal stopped: the end of the run of digits and dots it read. */
let decimalEnd = 0;

/**
 * The run of digits and dots from b[i] up to `n` (its end in `decimalEnd`) as Number() reads it: NaN unless it
 * has at most one inner '.' and at most 15 digits. Exact: the digits form an integer below 2^53, and one IEEE
 * division by an exact power of ten rounds correctly, which is what Number() does. One pass over the bytes.
 */
function readDecimal(b: Uint8Array, i: number, n: number): number {
  const start = i;
  let m = 0;
  let frac = -1;
  let bad = false;
  for (; i < n; i++) {
    const c = b[i]!;
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      if (frac >= 0) frac++;
    } else if (c === 46) {
      if (frac >= 0 || i === start) bad = true;
      frac = 0;
    } else break;
  }
  decimalEnd = i;
  const digits = i - start - (frac >= 0 ? 1 : 0);
  if (bad || digits === 0 || digits > 15 || frac === 0) return NaN;
  return frac > 0 ? m / POW10[frac]! : m;
}

/** The closing quote, before `end`, of a printable-ASCII string without escapes that starts at `i`, or -1. */
function plainStringEnd(b: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) {
    const c = b[i]!;
    if (c === 34) return i;
    if (c < 32 || c > 126 || c === 92) return -1;
  }
  return -1;
}

type BookFrame = Extract<Frame, { type: 'book' }>;
type TradeFrame = Extract<Frame, { type: 'trade' }>;
type KlineFrame = Extract<Frame, { type: 'kline' }>;
type PriceFrame = Extract<Frame, { type: 'price' }>;

/**
 * One Frame of each market kind, overwritten by every push read: for a reader whose every Frame is used up before
 * it reads the next (the replay's encoding thread writes each into its record at once), so a push allocates nothing.
 */
export interface FrameSlots {
  book: BookFrame;
  trade: TradeFrame;
  kline: KlineFrame;
  price: PriceFrame;
}

export function frameSlots(): FrameSlots {
  return {
    book: { type: 'book', symbol: '', ts: 0, bid: 0, ask: 0, bidQty: 0, askQty: 0 },
    trade: { type: 'trade', symbol: '', ts: 0, price: 0, qty: 0 },
    kline: { type: 'kline', symbol: '', ts: 0, channel: '', open: 0, high: 0, low: 0, close: 0, volume: 0 },
    price: { type: 'price', symbol: '', ts: 0, markPrice: 0, indexPrice: 0, fundingRate: 0, fundingTime: 0, nextFundingTime: 0 },
  };
}

/** One per socket: it keeps the last symbol's string, so a push allocates only its Frame (with slots, not that). */
export class FrameReader {
  private readonly symbols = new RepeatedString();
  private readonly channels = new RepeatedString();
  private readonly fundingTimes = new RepeatedTime();
  private readonly nextFundingTimes = new RepeatedTime();
  /** The last symbol read (printable ASCII without a quote or backslash, as plainStringEnd found it). */
  private lastSymbol: Literal = ascii('');
  private lastSymbolText = '';

  /** `slots`: each push read into them, valid until the next read; by default a new Frame each. */
  constructor(private readonly slots: FrameSlots | null = null) {}

  /** The Frame of a hot push in the exact layout, or null: decode the text instead (decodeFrame). */
  decode(b: Uint8Array, opts?: DecodeOptions): Frame | null {
    return this.decodeAt(b, 0, b.length, opts);
  }

  /**
   * decode() of the frame b[start, end) inside a larger buffer (a replay's frame ring), without a view of it:
   * every read stops at `end`, so the bytes after the frame cannot change what it decodes to.
   */
  decodeAt(b: Uint8Array, start: number, end: number, opts?: DecodeOptions): Frame | null {
    if (end - start > (opts?.maxBytes ?? DEFAULT_MAX_BYTES)) return null;
    if (b !== viewOf) viewFor(b);
    if (!bytesAt(b, start, LIT_CH, end)) return null;
    const cs = start + LIT_CH.length;
    const kind = cs < end ? b[cs]! : -1;
    const book = kind === CH_D && bytesAt(b, cs, LIT_BOOK1_REST, end);
    let channel = '';
    let isPrice = false;
    let i: number;
    if (book) i = cs + LIT_BOOK1_REST.length;
    else if (kind === CH_T && bytesAt(b, cs, LIT_TRADE_REST, end)) i = cs + LIT_TRADE_REST.length;
    else if (kind === CH_P && bytesAt(b, cs, LIT_PRICE_REST, end)) {
      isPrice = true;
      i = cs + LIT_PRICE_REST.length;
    } else if (kind === CH_M && bytesAt(b, cs, LIT_KLINE_REST, end)) {
      const ce = plainStringEnd(b, cs, end);
      if (ce < 0 || !bytesAt(b, ce, LIT_SYMBOL, end)) return null;
      channel = this.channels.of(b, cs, ce);
      i = ce + LIT_SYMBOL.length;
    } else return null;
    // The symbol: the last one again (a socket has one), else read and kept.
    let symbol: string;
    let e = this.lastSymbol.length;
    if (e > 0 && bytesAt(b, i, this.lastSymbol, end) && i + e < end && b[i + e] === 34) {
      symbol = this.lastSymbolText;
      e += i;
    } else {
      e = plainStringEnd(b, i, end);
      if (e < 0) return null;
      symbol = this.symbols.of(b, i, e);
      this.lastSymbol = literalOf(b, i, e);
      this.lastSymbolText = symbol;
    }
    if (!bytesAt(b, e, LIT_TS, end)) return null;
    // ts: a JSON integer (no leading zero), at most 15 digits
    const tsStart = e + LIT_TS.length;
    i = tsStart;
    let ts = 0;
    for (; i < end; i++) {
      const c = b[i]!;
      if (c < 48 || c > 57) break;
      ts = ts * 10 + (c - 48);
    }
    const tsDigits = i - tsStart;
    if (tsDigits === 0 || tsDigits > 15 || (tsDigits > 1 && b[tsStart] === 48)) return null;
    if (opts !== undefined && opts.nowMs !== undefined && ts > opts.nowMs + (opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)) return null;
    if (!bytesAt(b, i, LIT_DATA, end)) return null;
    i += LIT_DATA.length;
    if (channel !== '') return klineFrom(b, i, end, symbol, ts, channel, this.slots?.kline);
    if (isPrice) return this.priceFrom(b, i, end, symbol, ts);
    if (book) {
      if (!bytesAt(b, i, LIT_BID, end) || readValues(b, i + LIT_BID.length, end, BOOK_SEPS, BOOK_VALUES) !== end) return null;
      const bid = BOOK_VALUES[0]!;
      const bidQty = BOOK_VALUES[1]!;
      const ask = BOOK_VALUES[2]!;
      const askQty = BOOK_VALUES[3]!;
      // Bad values take the text path for the exact reason.
      if (!(bid > 0 && ask > 0 && bidQty >= 0 && askQty >= 0 && bid < ask)) return null;
      const f = this.slots?.book;
      if (f === undefined) return { type: 'book', symbol, ts, bid, ask, bidQty, askQty };
      f.symbol = symbol;
      f.ts = ts;
      f.bid = bid;
      f.ask = ask;
      f.bidQty = bidQty;
      f.askQty = askQty;
      return f;
    }
    if (i >= end || b[i] !== 91) return null; // [
    i++;
    let price = NaN;
    let qty = NaN;
    for (;;) {
      if (!bytesAt(b, i, LIT_T, end)) return null;
      e = plainStringEnd(b, i + LIT_T.length, end);
      if (e < 0 || !bytesAt(b, e, LIT_P, end)) return null;
      price = readDecimal(b, e + LIT_P.length, end);
      e = decimalEnd;
      if (!bytesAt(b, e, LIT_V, end)) return null;
      qty = readDecimal(b, e + LIT_V.length, end);
      e = decimalEnd;
      if (Number.isNaN(price) || Number.isNaN(qty) || !bytesAt(b, e, LIT_S, end)) return null;
      e = plainStringEnd(b, e + LIT_S.length, end);
      if (e < 0 || e + 2 >= end || b[e + 1] !== 125) return null; // "}
      const c = b[e + 2];
      i = e + 3;
      if (c === 44) continue; // , another trade: the frame's last one counts
      if (c !== 93 || i >= end || b[i] !== 125 || i + 1 !== end) return null; // ]} and the end
      break;
    }
    if (!(price > 0 && qty >= 0)) return null;
    const f = this.slots?.trade;
    if (f === undefined) return { type: 'trade', symbol, ts, price, qty };
    f.symbol = symbol;
    f.ts = ts;
    f.price = price;
    f.qty = qty;
    return f;
  }

  /** The price body from b[i] on, or null: decode the text instead. Settlement times repeat for hours: parsed once. */
  private priceFrom(b: Uint8Array, i: number, end: number, symbol: string, ts: number): Frame | null {
    if (!bytesAt(b, i, LIT_IP, end)) return null;
    i = readValues(b, i + LIT_IP.length, end, PRICE_SEPS, PRICE_VALUES);
    if (i < 0) return null;
    const v = PRICE_VALUES;
    const indexPrice = v[0]!;
    const markPrice = v[1]!;
    const frPct = v[2]!;
    let e = plainStringEnd(b, i, end);
    if (e < 0) return null;
    const fundingTime = this.fundingTimes.of(b, i, e);
    if (!bytesAt(b, e, LIT_NFT, end)) return null;
    i = e + LIT_NFT.length;
    e = plainStringEnd(b, i, end);
    if (e < 0) return null;
    const nextFundingTime = this.nextFundingTimes.of(b, i, e);
    if (e + LIT_KLINE_END.length !== end || !bytesAt(b, e, LIT_KLINE_END, end)) return null; // "}}
    // NaN fails every comparison: those, and bad values, take the text path for the exact reason.
    if (!(indexPrice > 0 && markPrice > 0 && frPct >= 0 && Number.isFinite(fundingTime) && Number.isFinite(nextFundingTime))) return null;
    const f = this.slots?.price;
    if (f === undefined) return { type: 'price', symbol, ts, markPrice, indexPrice, fundingRate: frPct / 100, fundingTime, nextFundingTime };
    f.symbol = symbol;
    f.ts = ts;
    f.markPrice = markPrice;
    f.indexPrice = indexPrice;
    f.fundingRate = frPct / 100;
    f.fundingTime = fundingTime;
    f.nextFundingTime = nextFundingTime;
    return f;
  }
}

/** Strings a RepeatedString keeps: a session's channels (book, trade, its kline, price) take turns frame by frame. */
const KEPT_STRINGS = 4;

/** A string read from bytes, reused while the bytes repeat (a socket's symbol and channels do). */
class RepeatedString {
  private readonly bytes: Uint8Array[] = [];
  private readonly texts: string[] = [];
  private next = 0;

  of(b: Uint8Array, start: number, end: number): string {
    const len = end - start;
    for (let k = 0; k < this.bytes.length; k++) {
      const prev = this.bytes[k]!;
      let same = prev.length === len;
      for (let j = 0; same && j < len; j++) same = prev[j] === b[start + j];
      if (same) return this.texts[k]!;
    }
    let s = '';
    for (let j = start; j < end; j++) s += String.fromCharCode(b[j]!);
    const slot = this.next;
    this.next = (slot + 1) % KEPT_STRINGS;
    // A copy: the bytes may be a scratch buffer the next frame overwrites (Buffer's slice() is a view).
    this.bytes[slot] = new Uint8Array(b.subarray(start, end));
    this.texts[slot] = s;
    return s;
  }
}

/** What follows ip, mp and fr in a price body; the values read, in that order. */
const PRICE_SEPS = [LIT_MP, LIT_FR, LIT_FT];
const PRICE_VALUES = new Float64Array(3);

/** An ISO time read from bytes as Date.parse reads its text, parsed again only when the bytes change. */
class RepeatedTime {
  private readonly text = new RepeatedString();
  private parsedText: string | null = null;
  private ms = NaN;

  of(b: Uint8Array, start: number, end: number): number {
    const t = this.text.of(b, start, end);
    if (t !== this.parsedText) {
      this.parsedText = t;
      this.ms = Date.parse(t);
    }
    return this.ms;
  }
}

/** What follows the bid, its size, the ask and its size in a depth_book1 body; the values read, in that order. */
const BOOK_SEPS = [LIT_SEP, LIT_ASK, LIT_SEP, LIT_BOOK_END];
const BOOK_VALUES = new Float64Array(4);
/** What follows o, c, h, l, b and q in a kline body; the values read, in that order. */
const KLINE_SEPS = [LIT_C, LIT_H, LIT_L, LIT_B, LIT_Q, LIT_KLINE_END];
const KLINE_VALUES = new Float64Array(6);

/**
 * Plain decimals from b[i] on, each followed by its separator in `seps`, read into `out` (no allocation on the
 * hot path); the index after the last separator, or -1 when the layout differs or a value is not a plain decimal.
 */
function readValues(b: Uint8Array, i: number, end: number, seps: readonly Literal[], out: Float64Array): number {
  for (let k = 0; k < seps.length; k++) {
    const v = readDecimal(b, i, end);
    if (Number.isNaN(v)) return -1;
    out[k] = v;
    const next = seps[k]!;
    if (!bytesAt(b, decimalEnd, next, end)) return -1;
    i = decimalEnd + next.length;
  }
  return i;
}

/** The kline body from b[i] on (`{"o":...}}` to the end), or null: decode the text instead. */
function klineFrom(b: Uint8Array, i: number, end: number, symbol: string, ts: number, channel: string, f: KlineFrame | undefined): Frame | null {
  if (!bytesAt(b, i, LIT_O, end) || readValues(b, i + LIT_O.length, end, KLINE_SEPS, KLINE_VALUES) !== end) return null;
  const v = KLINE_VALUES;
  const open = v[0]!;
  const close = v[1]!;
  const high = v[2]!;
  const low = v[3]!;
  const volume = v[4]!;
  // Bad values take the text path for the exact reason (an open outside [low, high] is real data, accepted).
  if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0) || high < low || close > high || close < low) return null;
  if (f === undefined) return { type: 'kline', symbol, ts, channel, open, high, low, close, volume };
  f.symbol = symbol;
  f.ts = ts;
  f.channel = channel;
  f.open = open;
  f.high = high;
  f.low = low;
  f.close = close;
  f.volume = volume;
  return f;
}
