// The market pushes of encode.ts written straight into bytes: each writer puts a frame at an offset of a
// byte array and returns its length, byte for byte the latin1 of what encodeBook/encodeTrade/encodeKline/
// encodePrice return, without building the string. A replay's encoding thread writes millions of them.
import { BOOK_CHANNEL, PRICE_CHANNEL, TRADE_CHANNEL } from './channels.js';
import type { KlinePush, PricePush } from './encode.js';
import { dec, iso, isoMs, round, YEAR_10000_MS } from './wire-values.js';

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
/** Generous bounds on one written value: dec() text, a `ts` and an ISO time are each well under this. */
const VALUE_MAX = 32;

/** A fixed part of a frame: its latin1 bytes, and their whole 32-bit words (little-endian) for a DataView. */
interface Literal {
  readonly bytes: Uint8Array;
  readonly words: Uint32Array;
}

function lit(s: string): Literal {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) bytes[i] = s.charCodeAt(i) & 0xff;
  const words = new Uint32Array(s.length >> 2);
  for (let i = 0; i < words.length; i++) words[i] = (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>> 0;
  return { bytes, words };
}

let viewOf: Uint8Array | null = null;
let view: DataView = new DataView(new ArrayBuffer(0));

/**
 * A literal at `off`, four bytes a store: frames go into shared memory, where this beats both a byte loop and
 * a native copy. It throws past the end of `buf` (the frame does not fit).
 */
function put(buf: Uint8Array, off: number, l: Literal): number {
  if (buf !== viewOf) {
    viewOf = buf;
    view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  const b = l.bytes;
  if (off + b.length > buf.length) throw new RangeError(`encode-bytes: a frame runs past its buffer at ${off}`);
  const w = l.words;
  for (let i = 0; i < w.length; i++) view.setUint32(off + 4 * i, w[i]!, true);
  for (let i = w.length * 4; i < b.length; i++) buf[off + i] = b[i]!;
  return off + b.length;
}

/** Latin-1 text at `off` (ASCII, for every caller); returns the end. */
export function putText(buf: Uint8Array, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i) & 0xff;
  return off + s.length;
}

/** Decimal digits of a non-negative integer below 2^31. */
function digits31(n: number): number {
  let len = 1;
  while (len < 10 && n >= POW10[len]!) len++;
  return len;
}

/** '00' to '99': two digits a division. */
const PAIRS = Uint8Array.from({ length: 200 }, (_, i) => 48 + (i & 1 ? (i >> 1) % 10 : Math.floor(i / 20)));

/** `len` digits of `n` (below 2^31, zero-padded on the left) ending at `end`. */
function putDigits31(buf: Uint8Array, end: number, n: number, len: number): void {
  let x = n | 0;
  let i = end;
  for (; len >= 2; len -= 2) {
    const q = (x / 100) | 0;
    const r = (x - q * 100) << 1;
    buf[i - 1] = PAIRS[r + 1]!;
    buf[i - 2] = PAIRS[r]!;
    i -= 2;
    x = q;
  }
  if (len === 1) buf[i - 1] = 48 + (x % 10);
}

/** The digits of a non-negative integer below 2^53. */
export function putUint(buf: Uint8Array, off: number, n: number): number {
  if (n < 2_147_483_648) {
    const len = digits31(n);
    putDigits31(buf, off + len, n, len);
    return off + len;
  }
  // Split into a high part and 9 low digits, each below 2^31.
  const hi = Math.floor(n / 1e9);
  const lo = n - hi * 1e9;
  off = putUint(buf, off, hi);
  putDigits31(buf, off + 9, lo, 9);
  return off + 9;
}

let tsHigh = -1;
let tsHighDigits = lit('');
/** `${ts}`: a push's ts shares all but its last six digits with the one before, kept as bytes. */
function putTs(buf: Uint8Array, off: number, ts: number): number {
  if (!(Number.isSafeInteger(ts) && ts >= 0)) return putText(buf, off, String(ts));
  if (ts < 1e6) return putUint(buf, off, ts);
  const high = Math.floor(ts / 1e6);
  if (high !== tsHigh) {
    tsHigh = high;
    tsHighDigits = lit(String(high));
  }
  off = put(buf, off, tsHighDigits);
  putDigits31(buf, off + 6, ts - high * 1e6, 6);
  return off + 6;
}

/** `dec(v, digits)`, written. */
export function putDec(buf: Uint8Array, off: number, v: number, grid: number, digits: number): number {
  const end = putGrid(buf, off, v, grid);
  return end < 0 ? putText(buf, off, dec(v, digits)) : end;
}

/**
 * `dec(v, …)` when v is the double nearest k / 10^grid for an integer k below 10^15: that decimal has at most
 * 15 significant digits, so it is the only one that short to round-trip to v, and String(v) is k's digits with
 * the point put in and trailing zeros dropped. -1 for anything else (and String()'s exponent form below 1e-6),
 * which dec() itself writes.
 */
export function putGrid(buf: Uint8Array, off: number, v: number, grid: number): number {
  const a = v < 0 ? -v : v;
  const p = POW10[grid]!;
  const k = Math.round(a * p);
  if (!(k < 1e15 && k / p === a && (a >= 1e-6 || a === 0))) return -1;
  if (v < 0) buf[off++] = 45; // '-'
  let ip = Math.floor(k / p);
  let fr = k - ip * p;
  if (fr < 0) {
    ip--;
    fr += p;
  } else if (fr >= p) {
    ip++;
    fr -= p;
  }
  off = putUint(buf, off, ip);
  if (fr === 0) return off;
  buf[off++] = 46; // '.'
  if (fr < 2_147_483_648) {
    // The fraction without its trailing zeros (fr > 0, so a digit other than 0 ends it): fewer digits to write.
    let g = grid;
    let f = fr | 0;
    let q = (f / 10_000) | 0;
    if (q * 10_000 === f) {
      f = q;
      g -= 4;
    }
    q = (f / 100) | 0;
    if (q * 100 === f) {
      f = q;
      g -= 2;
    }
    for (q = (f / 10) | 0; q * 10 === f; q = (f / 10) | 0) {
      f = q;
      g--;
    }
    putDigits31(buf, off + g, f, g);
    return off + g;
  }
  const hi = Math.floor(fr / 1e9);
  putDigits31(buf, off + grid - 9, hi, grid - 9);
  putDigits31(buf, off + grid, fr - hi * 1e9, 9);
  let end = off + grid;
  while (buf[end - 1] === 48) end--;
  return end;
}

const HOUR_MS = 3_600_000;

/**
 * isoMs(ms) written (`YYYY-MM-DDTHH:MM:SS.mmmZ`), the date and hour kept from the last call: consecutive trade
 * pushes, and consecutive rows of candles.csv, share them.
 */
export class IsoMsWriter {
  private hour = Number.NaN;
  private prefix = lit('');

  put(buf: Uint8Array, off: number, ms: number): number {
    if (!(Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000_MS)) return putText(buf, off, isoMs(ms));
    const r = ms % HOUR_MS;
    const hour = ms - r;
    if (hour !== this.hour) {
      this.hour = hour;
      this.prefix = lit(isoMs(hour).slice(0, 14)); // yyyy-mm-ddThh:
    }
    off = put(buf, off, this.prefix);
    const min = Math.floor(r / 60_000);
    const rest = r - min * 60_000;
    const sec = Math.floor(rest / 1000);
    putDigits31(buf, off + 2, min, 2);
    buf[off + 2] = 58; // ':'
    putDigits31(buf, off + 5, sec, 2);
    buf[off + 5] = 46; // '.'
    putDigits31(buf, off + 9, rest - sec * 1000, 3);
    buf[off + 9] = 90; // 'Z'
    return off + 10;
  }
}

/** The trade time as encodeTrade writes it (isoMs). */
const tradeTime = new IsoMsWriter();

/** The opening `{"ch":"…","symbol":"…","ts":` of one kind of push, kept for the last channel and symbol. */
class Head {
  private channel = '';
  private symbol = '';
  private bytes = lit('');

  put(buf: Uint8Array, off: number, channel: string, symbol: string): number {
    if (channel !== this.channel || symbol !== this.symbol) {
      this.channel = channel;
      this.symbol = symbol;
      this.bytes = lit(`{"ch":"${channel}","symbol":"${symbol}","ts":`);
    }
    return put(buf, off, this.bytes);
  }
}

const bookHead = new Head();
const tradeHead = new Head();
const klineHead = new Head();
const priceHead = new Head();
const BOOK_B = lit(',"data":{"b":[["');
const PAIR = lit('","');
const BOOK_A = lit('"]],"a":[["');
const BOOK_END = lit('"]]}}');
const TRADE_T = lit(',"data":[{"t":"');
const TRADE_P = lit('","p":"');
const TRADE_V = lit('","v":"');
const TRADE_S = lit('","s":"');
const TRADE_END = lit('"}]}');
const KLINE_O = lit(',"data":{"o":"');
const KLINE_C = lit('","c":"');
const KLINE_H = lit('","h":"');
const KLINE_L = lit('","l":"');
const KLINE_B = lit('","b":"');
const KLINE_Q = lit('","q":"');
const OBJ_END = lit('"}}');
const PRICE_IP = lit(',"data":{"ip":"');
const PRICE_MP = lit('","mp":"');
const PRICE_FR = lit('","fr":"');
const PRICE_FT = lit('","ft":"');
const PRICE_NFT = lit('","nft":"');
/** The longest fixed part of any push (the kline's), with room to spare. */
const FIXED_MAX = 128;

/** An upper bound on the bytes of any push of `symbol` on `channel`. */
export function maxPushBytes(symbol: string, channel: string): number {
  return FIXED_MAX + symbol.length + channel.length + 8 * VALUE_MAX;
}

/** The push's opening up to its `ts` value, written. */
function head(buf: Uint8Array, off: number, h: Head, channel: string, symbol: string, ts: number): number {
  return putTs(buf, h.put(buf, off, channel, symbol), ts);
}

/** encodeBook's frame at `buf[at]`; returns its length. */
export function writeBook(buf: Uint8Array, at: number, symbol: string, ts: number, bid: number, ask: number, bidQty: number, askQty: number): number {
  let off = head(buf, at, bookHead, BOOK_CHANNEL, symbol, ts);
  off = put(buf, off, BOOK_B);
  off = putDec(buf, off, bid, 8, 8);
  off = put(buf, off, PAIR);
  off = putDec(buf, off, bidQty, 8, 8);
  off = put(buf, off, BOOK_A);
  off = putDec(buf, off, ask, 8, 8);
  off = put(buf, off, PAIR);
  off = putDec(buf, off, askQty, 8, 8);
  return put(buf, off, BOOK_END) - at;
}

const SIDES = { buy: lit('buy'), sell: lit('sell') };

/** encodeTrade's frame at `buf[at]`; returns its length. */
export function writeTrade(buf: Uint8Array, at: number, symbol: string, ts: number, price: number, qty: number, side: 'buy' | 'sell'): number {
  let off = head(buf, at, tradeHead, TRADE_CHANNEL, symbol, ts);
  off = put(buf, off, TRADE_T);
  off = tradeTime.put(buf, off, ts);
  off = put(buf, off, TRADE_P);
  off = putDec(buf, off, price, 8, 8);
  off = put(buf, off, TRADE_V);
  off = putDec(buf, off, qty, 8, 8);
  off = put(buf, off, TRADE_S);
  off = side === 'buy' || side === 'sell' ? put(buf, off, SIDES[side]) : putText(buf, off, String(side));
  return put(buf, off, TRADE_END) - at;
}

/** encodeKline's frame at `buf[at]`; returns its length. */
export function writeKline(buf: Uint8Array, at: number, symbol: string, channel: string, ts: number, c: KlinePush): number {
  const q = round(c.turnover ?? c.volume * c.close, 5);
  let off = head(buf, at, klineHead, channel, symbol, ts);
  off = put(buf, off, KLINE_O);
  off = putDec(buf, off, c.open, 8, 8);
  off = put(buf, off, KLINE_C);
  off = putDec(buf, off, c.close, 8, 8);
  off = put(buf, off, KLINE_H);
  off = putDec(buf, off, c.high, 8, 8);
  off = put(buf, off, KLINE_L);
  off = putDec(buf, off, c.low, 8, 8);
  off = put(buf, off, KLINE_B);
  off = putDec(buf, off, c.volume, 8, 8);
  off = put(buf, off, KLINE_Q);
  off = putDec(buf, off, q, 5, 5);
  return put(buf, off, OBJ_END) - at;
}

/** encodePrice's frame at `buf[at]`; returns its length. `fundingRate` is a fraction; the wire carries percent. */
export function writePrice(buf: Uint8Array, at: number, symbol: string, ts: number, p: PricePush): number {
  let off = head(buf, at, priceHead, PRICE_CHANNEL, symbol, ts);
  off = put(buf, off, PRICE_IP);
  off = putDec(buf, off, p.indexPrice, 8, 8);
  off = put(buf, off, PRICE_MP);
  off = putDec(buf, off, p.markPrice, 8, 8);
  off = put(buf, off, PRICE_FR);
  off = putDec(buf, off, round(p.fundingRate * 100, 10), 10, 10);
  off = put(buf, off, PRICE_FT);
  off = putText(buf, off, iso(p.fundingTime));
  off = put(buf, off, PRICE_NFT);
  off = putText(buf, off, iso(p.nextFundingTime));
  return put(buf, off, OBJ_END) - at;
}
