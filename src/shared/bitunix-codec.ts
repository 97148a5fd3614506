// The Bitunix futures wire codec (notes/bitunix-protocol.md §1–§2): the ONLY module that knows Bitunix
// field names. decodeFrame turns one WebSocket text frame into a typed Frame (or a `bad` frame with a
// reason, never a throw); the encoders produce byte-compatible frames and REST bodies for the simulator
// and for tests. It is the hot path for every frame: one JSON.parse, no regexes, no closures, Number().
// The two frames that arrive thousands of times a second (depth_book1 and trade pushes in the exchange's own
// layout) can be read straight from the socket's bytes by a FrameReader, without a string or JSON.parse:
// the load test's profile showed the parse and the object graph it builds as the engine's largest cost.
import type { Candle } from './types.js';

export type BadFrameReason =
  | 'not_json'
  | 'unknown_shape'
  | 'bad_number'
  | 'non_positive_price'
  | 'crossed_book'
  | 'future_ts'
  | 'empty_book'
  | 'too_large';

export type Frame =
  | { type: 'book'; symbol: string; ts: number; bid: number; ask: number; bidQty: number; askQty: number }
  /** The LAST trade of the pushed array. */
  | { type: 'trade'; symbol: string; ts: number; price: number; qty: number }
  /** `volume` is the base coin (`b`). */
  | { type: 'kline'; symbol: string; ts: number; channel: string; open: number; high: number; low: number; close: number; volume: number }
  /** `fundingRate` is a fraction (the wire's percent / 100): the rate last settled at `fundingTime`. */
  | { type: 'price'; symbol: string; ts: number; markPrice: number; indexPrice: number; fundingRate: number; fundingTime: number; nextFundingTime: number }
  | { type: 'ticker'; symbol: string; ts: number; last: number }
  | { type: 'connect'; ok: boolean }
  | { type: 'pong'; pong: number }
  /** Subscribe/unsubscribe acks and other op frames; `ok`/`msg` when the frame carries them (e.g. "subscribe channel > 300"). */
  | { type: 'control'; op: string; ok?: boolean; msg?: string }
  | { type: 'bad'; reason: BadFrameReason; detail?: string };

export interface DecodeOptions {
  /** Wall clock now (ms); enables the future-ts check. */
  nowMs?: number;
  /** How far ahead of nowMs a frame's ts may be (default 60 s, SPEC §2). */
  maxFutureMs?: number;
  /** Largest accepted frame, in UTF-16 code units of the text (default 64 KiB). */
  maxBytes?: number;
}

export type KlineInterval = '1m' | '3m' | '5m' | '15m' | '30m' | '1h';

const DEFAULT_MAX_FUTURE_MS = 60_000;
const DEFAULT_MAX_BYTES = 64 * 1024;
const KLINE_PREFIX = 'market_kline_';
const DEPTH_PREFIX = 'depth_book';

// ---------------------------------------------------------------------------------------------
// Decoding (server → client)

type Obj = Record<string, unknown>;

function bad(reason: BadFrameReason, detail?: string): Frame {
  return detail === undefined ? { type: 'bad', reason } : { type: 'bad', reason, detail };
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Wire numbers are strings; JSON numbers are accepted too. Anything else (and '') is NaN. */
function num(v: unknown): number {
  if (typeof v === 'string') return v.length === 0 ? NaN : Number(v);
  if (typeof v === 'number') return v;
  return NaN;
}

/** Why a field did not give a finite number: missing means the shape is wrong, present means the value is. */
function numReason(v: unknown, field: string): Frame {
  return v === undefined || v === null ? bad('unknown_shape', `missing ${field}`) : bad('bad_number', field);
}

export function decodeFrame(text: string, opts?: DecodeOptions): Frame {
  const maxBytes = opts?.maxBytes ?? DEFAULT_MAX_BYTES;
  if (typeof text !== 'string') return bad('not_json');
  if (text.length > maxBytes) return bad('too_large', `${text.length} > ${maxBytes}`);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return bad('not_json');
  }
  try {
    if (!isObj(msg)) return bad('unknown_shape', 'not an object');
    // Route on `op` first: a (rare) subscribe ack carries both `op` and `ch` (notes §1.6).
    if (typeof msg.op === 'string') return decodeControl(msg, msg.op);
    const ch = msg.ch;
    if (typeof ch === 'string') return decodePush(msg, ch, opts);
    return bad('unknown_shape', 'neither ch nor op');
  } catch (e) {
    // Defensive only: every access above is guarded, but this function must never throw.
    return bad('unknown_shape', String(e));
  }
}

// ---- FrameReader: depth_book1, trade and kline pushes straight from the bytes ---------------------
// It accepts only the exact layout the exchange sends (notes §1.5.4–§1.5.5: key order, no spaces):
//   {"ch":"depth_book1","symbol":S,"ts":N,"data":{"b":[[P,Q]],"a":[[P,Q]]}}
//   {"ch":"trade","symbol":S,"ts":N,"data":[{"t":T,"p":P,"v":Q,"s":D},...]}
//   {"ch":"market_kline_<n>min","symbol":S,"ts":N,"data":{"o":P,"c":P,"h":P,"l":P,"b":Q,"q":Q}}
// with printable-ASCII strings without escapes, `ts` a JSON integer of at most 15 digits, prices and sizes
// plain decimals of at most 15 digits, and only frames that pass every check decodeFrame makes. For anything
// else it returns null and the caller decodes the text, so both paths give the same Frame for the same frame.

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

const LIT_BOOK1 = ascii('{"ch":"depth_book1","symbol":"');
const LIT_CH = ascii('{"ch":"');
const LIT_KLINE = ascii(`{"ch":"${KLINE_PREFIX}`);
const LIT_SYMBOL = ascii('","symbol":"');
const LIT_O = ascii('{"o":"');
const LIT_C = ascii('","c":"');
const LIT_H = ascii('","h":"');
const LIT_L = ascii('","l":"');
const LIT_B = ascii('","b":"');
const LIT_Q = ascii('","q":"');
const LIT_KLINE_END = ascii('"}}');
const LIT_TRADE = ascii('{"ch":"trade","symbol":"');
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

function bytesAt(b: Uint8Array, i: number, lit: Uint8Array): boolean {
  const n = lit.length;
  if (i + n > b.length) return false;
  for (let j = 0; j < n; j++) if (b[i + j] !== lit[j]) return false;
  return true;
}

/** The end of the run of digits and dots that starts at `i`. */
function decimalEnd(b: Uint8Array, i: number): number {
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (!((c >= 48 && c <= 57) || c === 46)) break;
  }
  return i;
}

/**
 * b[start, end) (digits and dots) as Number() reads it: NaN unless it has at most one inner '.' and at most
 * 15 digits. Exact: the digits form an integer below 2^53, and one IEEE division by an exact power of ten
 * rounds correctly, which is what Number() does.
 */
function plainDecimal(b: Uint8Array, start: number, end: number): number {
  let m = 0;
  let frac = -1;
  for (let j = start; j < end; j++) {
    const c = b[j]!;
    if (c === 46) {
      if (frac >= 0 || j === start) return NaN;
      frac = 0;
    } else {
      m = m * 10 + (c - 48);
      if (frac >= 0) frac++;
    }
  }
  const digits = end - start - (frac >= 0 ? 1 : 0);
  if (digits === 0 || digits > 15 || frac === 0) return NaN;
  return frac > 0 ? m / POW10[frac]! : m;
}

/** The closing quote of a printable-ASCII string without escapes that starts at `i`, or -1. */
function plainStringEnd(b: Uint8Array, i: number): number {
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c === 34) return i;
    if (c < 32 || c > 126 || c === 92) return -1;
  }
  return -1;
}

/** One per socket: it keeps the last symbol's string, so a push allocates only its Frame. */
export class FrameReader {
  private readonly symbols = new RepeatedString();
  private readonly channels = new RepeatedString();

  /** The Frame of a hot push in the exact layout, or null: decode the text instead (decodeFrame). */
  decode(b: Uint8Array, opts?: DecodeOptions): Frame | null {
    const n = b.length;
    if (n > (opts?.maxBytes ?? DEFAULT_MAX_BYTES)) return null;
    const book = bytesAt(b, 0, LIT_BOOK1);
    let channel = '';
    let i: number;
    if (book) i = LIT_BOOK1.length;
    else if (bytesAt(b, 0, LIT_TRADE)) i = LIT_TRADE.length;
    else if (bytesAt(b, 0, LIT_KLINE)) {
      const ce = plainStringEnd(b, LIT_CH.length);
      if (ce < 0 || !bytesAt(b, ce, LIT_SYMBOL)) return null;
      channel = this.channels.of(b, LIT_CH.length, ce);
      i = ce + LIT_SYMBOL.length;
    } else return null;
    let e = plainStringEnd(b, i);
    if (e < 0) return null;
    const symbol = this.symbols.of(b, i, e);
    if (!bytesAt(b, e, LIT_TS)) return null;
    // ts: a JSON integer (no leading zero), at most 15 digits
    const tsStart = e + LIT_TS.length;
    i = tsStart;
    let ts = 0;
    for (; i < n; i++) {
      const c = b[i]!;
      if (c < 48 || c > 57) break;
      ts = ts * 10 + (c - 48);
    }
    const tsDigits = i - tsStart;
    if (tsDigits === 0 || tsDigits > 15 || (tsDigits > 1 && b[tsStart] === 48)) return null;
    if (opts !== undefined && opts.nowMs !== undefined && ts > opts.nowMs + (opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)) return null;
    if (!bytesAt(b, i, LIT_DATA)) return null;
    i += LIT_DATA.length;
    if (channel !== '') return klineFrom(b, i, symbol, ts, channel);
    if (book) {
      if (!bytesAt(b, i, LIT_BID)) return null;
      i += LIT_BID.length;
      e = decimalEnd(b, i);
      const bid = plainDecimal(b, i, e);
      if (!bytesAt(b, e, LIT_SEP)) return null;
      i = e + LIT_SEP.length;
      e = decimalEnd(b, i);
      const bidQty = plainDecimal(b, i, e);
      if (!bytesAt(b, e, LIT_ASK)) return null;
      i = e + LIT_ASK.length;
      e = decimalEnd(b, i);
      const ask = plainDecimal(b, i, e);
      if (!bytesAt(b, e, LIT_SEP)) return null;
      i = e + LIT_SEP.length;
      e = decimalEnd(b, i);
      const askQty = plainDecimal(b, i, e);
      if (e + LIT_BOOK_END.length !== n || !bytesAt(b, e, LIT_BOOK_END)) return null;
      // NaN fails every comparison: those, and bad values, take the text path for the exact reason.
      if (!(bid > 0 && ask > 0 && bidQty >= 0 && askQty >= 0 && bid < ask)) return null;
      return { type: 'book', symbol, ts, bid, ask, bidQty, askQty };
    }
    if (b[i] !== 91) return null; // [
    i++;
    let price = NaN;
    let qty = NaN;
    for (;;) {
      if (!bytesAt(b, i, LIT_T)) return null;
      e = plainStringEnd(b, i + LIT_T.length);
      if (e < 0 || !bytesAt(b, e, LIT_P)) return null;
      i = e + LIT_P.length;
      e = decimalEnd(b, i);
      price = plainDecimal(b, i, e);
      if (!bytesAt(b, e, LIT_V)) return null;
      i = e + LIT_V.length;
      e = decimalEnd(b, i);
      qty = plainDecimal(b, i, e);
      if (Number.isNaN(price) || Number.isNaN(qty) || !bytesAt(b, e, LIT_S)) return null;
      e = plainStringEnd(b, e + LIT_S.length);
      if (e < 0 || b[e + 1] !== 125) return null; // "}
      const c = b[e + 2];
      i = e + 3;
      if (c === 44) continue; // , another trade: the frame's last one counts
      if (c !== 93 || b[i] !== 125 || i + 1 !== n) return null; // ]} and the end
      break;
    }
    if (!(price > 0 && qty >= 0)) return null;
    return { type: 'trade', symbol, ts, price, qty };
  }

}

/** A string read from bytes, reused while the bytes repeat (a socket's symbol and channel do). */
class RepeatedString {
  private bytes = new Uint8Array(0);
  private text = '';

  of(b: Uint8Array, start: number, end: number): string {
    const prev = this.bytes;
    let same = prev.length === end - start;
    for (let j = 0; same && j < prev.length; j++) same = prev[j] === b[start + j];
    if (!same) {
      let s = '';
      for (let j = start; j < end; j++) s += String.fromCharCode(b[j]!);
      this.text = s;
      this.bytes = b.slice(start, end);
    }
    return this.text;
  }
}

/** What follows o, c, h, l, b and q in a kline body; the values read, in that order. */
const KLINE_SEPS = [LIT_C, LIT_H, LIT_L, LIT_B, LIT_Q, LIT_KLINE_END];
const KLINE_VALUES = new Float64Array(6);

/** The kline body from b[i] on (`{"o":...}}` to the end), or null: decode the text instead. */
function klineFrom(b: Uint8Array, i: number, symbol: string, ts: number, channel: string): Frame | null {
  if (!bytesAt(b, i, LIT_O)) return null;
  i += LIT_O.length;
  const v = KLINE_VALUES;
  for (let k = 0; k < 6; k++) {
    const e = decimalEnd(b, i);
    v[k] = plainDecimal(b, i, e);
    if (Number.isNaN(v[k])) return null;
    const next = KLINE_SEPS[k]!;
    if (!bytesAt(b, e, next)) return null;
    i = e + next.length;
  }
  if (i !== b.length) return null;
  const open = v[0]!;
  const close = v[1]!;
  const high = v[2]!;
  const low = v[3]!;
  const volume = v[4]!;
  // Bad values take the text path for the exact reason (an open outside [low, high] is real data, accepted).
  if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0) || high < low || close > high || close < low) return null;
  return { type: 'kline', symbol, ts, channel, open, high, low, close, volume };
}

function decodeControl(msg: Obj, op: string): Frame {
  const data = msg.data;
  if (op === 'connect') return { type: 'connect', ok: isObj(data) && data.result === true };
  if (op === 'ping' && msg.pong !== undefined) {
    const pong = num(msg.pong);
    if (!Number.isFinite(pong)) return bad('bad_number', 'pong');
    return { type: 'pong', pong };
  }
  if (isObj(data)) {
    const f: Frame = { type: 'control', op };
    if (typeof data.result === 'boolean') f.ok = data.result;
    if (typeof data.msg === 'string' && data.msg.length > 0) f.msg = data.msg;
    return f;
  }
  if (typeof data === 'string') return { type: 'control', op, ok: data === 'success', msg: data };
  return { type: 'control', op };
}

function decodePush(msg: Obj, ch: string, opts: DecodeOptions | undefined): Frame {
  const symbol = msg.symbol;
  if (typeof symbol !== 'string') return bad('unknown_shape', 'missing symbol');
  const ts = num(msg.ts);
  if (!Number.isFinite(ts)) return numReason(msg.ts, 'ts');
  if (opts !== undefined && opts.nowMs !== undefined && ts > opts.nowMs + (opts.maxFutureMs ?? DEFAULT_MAX_FUTURE_MS)) {
    return bad('future_ts', `${ts - opts.nowMs} ms ahead`);
  }
  const data = msg.data;
  if (ch === 'trade') return decodeTrade(symbol, ts, data);
  if (ch.startsWith(DEPTH_PREFIX)) return decodeBook(symbol, ts, data);
  if (ch.startsWith(KLINE_PREFIX)) return decodeKline(symbol, ts, ch, data);
  if (ch === 'price') return decodePrice(symbol, ts, data);
  if (ch === 'ticker') return decodeTicker(symbol, ts, data);
  return bad('unknown_shape', `channel ${ch}`);
}

function decodeBook(symbol: string, ts: number, data: unknown): Frame {
  if (!isObj(data)) return bad('unknown_shape', 'depth data');
  const b = data.b;
  const a = data.a;
  if (!Array.isArray(b) || !Array.isArray(a)) return bad('unknown_shape', 'depth sides');
  if (b.length === 0 || a.length === 0) return bad('empty_book');
  const bl: unknown = b[0];
  const al: unknown = a[0];
  if (!Array.isArray(bl) || !Array.isArray(al) || bl.length < 2 || al.length < 2) return bad('unknown_shape', 'depth level');
  // An unknown symbol gets one frame whose levels are empty strings (notes §1.3).
  if (bl[0] === '' || al[0] === '') return bad('empty_book');
  const bid = num(bl[0]);
  const ask = num(al[0]);
  const bidQty = num(bl[1]);
  const askQty = num(al[1]);
  if (!Number.isFinite(bid) || !Number.isFinite(ask) || !Number.isFinite(bidQty) || !Number.isFinite(askQty)) {
    return bad('bad_number', 'depth level');
  }
  if (bid <= 0 || ask <= 0) return bad('non_positive_price', `bid ${bid} ask ${ask}`);
  if (bidQty < 0 || askQty < 0) return bad('bad_number', 'negative size');
  if (bid >= ask) return bad('crossed_book', `bid ${bid} >= ask ${ask}`);
  return { type: 'book', symbol, ts, bid, ask, bidQty, askQty };
}

function decodeTrade(symbol: string, ts: number, data: unknown): Frame {
  if (!Array.isArray(data) || data.length === 0) return bad('unknown_shape', 'trade data');
  const t: unknown = data[data.length - 1];
  if (!isObj(t)) return bad('unknown_shape', 'trade item');
  const price = num(t.p);
  if (!Number.isFinite(price)) return numReason(t.p, 'p');
  const qty = num(t.v);
  if (!Number.isFinite(qty)) return numReason(t.v, 'v');
  if (price <= 0) return bad('non_positive_price', `p ${price}`);
  if (qty < 0) return bad('bad_number', 'negative v');
  return { type: 'trade', symbol, ts, price, qty };
}

function decodeKline(symbol: string, ts: number, channel: string, data: unknown): Frame {
  if (!isObj(data)) return bad('unknown_shape', 'kline data');
  const open = num(data.o);
  if (!Number.isFinite(open)) return numReason(data.o, 'o');
  const high = num(data.h);
  if (!Number.isFinite(high)) return numReason(data.h, 'h');
  const low = num(data.l);
  if (!Number.isFinite(low)) return numReason(data.l, 'l');
  const close = num(data.c);
  if (!Number.isFinite(close)) return numReason(data.c, 'c');
  const volume = num(data.b);
  if (!Number.isFinite(volume)) return numReason(data.b, 'b');
  if (open <= 0 || high <= 0 || low <= 0 || close <= 0) return bad('non_positive_price', 'kline');
  if (volume < 0) return bad('bad_number', 'negative volume');
  // `open` outside [low, high] is real Bitunix data (notes §2.1) and is accepted; the rest must hold.
  if (high < low || close > high || close < low) return bad('bad_number', `inconsistent kline h ${high} l ${low} c ${close}`);
  return { type: 'kline', symbol, ts, channel, open, high, low, close, volume };
}

function decodePrice(symbol: string, ts: number, data: unknown): Frame {
  if (!isObj(data)) return bad('unknown_shape', 'price data');
  const markPrice = num(data.mp);
  if (!Number.isFinite(markPrice)) return numReason(data.mp, 'mp');
  const indexPrice = num(data.ip);
  if (!Number.isFinite(indexPrice)) return numReason(data.ip, 'ip');
  const frPct = num(data.fr);
  if (!Number.isFinite(frPct)) return numReason(data.fr, 'fr');
  if (typeof data.ft !== 'string' || typeof data.nft !== 'string') return bad('unknown_shape', 'ft/nft');
  const fundingTime = Date.parse(data.ft);
  const nextFundingTime = Date.parse(data.nft);
  if (!Number.isFinite(fundingTime) || !Number.isFinite(nextFundingTime)) return bad('bad_number', 'ft/nft');
  if (markPrice <= 0 || indexPrice <= 0) return bad('non_positive_price', `mp ${markPrice} ip ${indexPrice}`);
  return { type: 'price', symbol, ts, markPrice, indexPrice, fundingRate: frPct / 100, fundingTime, nextFundingTime };
}

function decodeTicker(symbol: string, ts: number, data: unknown): Frame {
  // Tolerate an array payload (notes §1.6): use its last element.
  const d: unknown = Array.isArray(data) ? data[data.length - 1] : data;
  if (!isObj(d)) return bad('unknown_shape', 'ticker data');
  const last = num(d.la);
  if (!Number.isFinite(last)) return numReason(d.la, 'la');
  if (last <= 0) return bad('non_positive_price', `la ${last}`);
  return { type: 'ticker', symbol, ts, last };
}

// ---------------------------------------------------------------------------------------------
// Encoding (what the exchange sends) and client frames

const KLINE_CHANNEL: Record<KlineInterval, string> = {
  '1m': 'market_kline_1min',
  '3m': 'market_kline_3min',
  '5m': 'market_kline_5min',
  '15m': 'market_kline_15min',
  '30m': 'market_kline_30min',
  '1h': 'market_kline_60min',
};

/** WS kline channel for an interval; one hour is `60min`, never `1h` (notes §1.5.3). */
export function klineChannel(interval: KlineInterval): string {
  const ch = KLINE_CHANNEL[interval];
  if (ch === undefined) throw new Error(`klineChannel: unsupported interval ${String(interval)}`);
  return ch;
}

/** Interval length of a `market_kline_<n>min` channel, or null when it is not one this codec serves. */
export function klineChannelMs(channel: string): number | null {
  if (!channel.startsWith(KLINE_PREFIX) || !channel.endsWith('min')) return null;
  const minutes = Number(channel.slice(KLINE_PREFIX.length, -3));
  return minutes === 1 || minutes === 3 || minutes === 5 || minutes === 15 || minutes === 30 || minutes === 60
    ? minutes * 60_000
    : null;
}

/** One subscribe frame for every channel of a symbol (the exchange counts frames, notes §1.2). */
export function encodeSubscribe(symbol: string, channels: string[]): string {
  return JSON.stringify({ op: 'subscribe', args: channels.map((ch) => ({ symbol, ch })) });
}

/** The JSON keepalive; `ping` is Unix seconds. Never a protocol-level ping (notes §1.2). */
export function encodePing(unixSeconds: number): string {
  return `{"op":"ping","ping":${Math.floor(unixSeconds)}}`;
}

export const CONNECT_FRAME = '{"op":"connect","data":{"result":true}}';

/** The server's answer to a ping: `op` stays "ping", `pong` echoes, `ping` is a server second. */
export function encodePong(clientPing: number, serverSecond: number): string {
  return `{"op":"ping","pong":${clientPing},"ping":${Math.floor(serverSecond)}}`;
}

const DEC_CACHE_BITS = 16;
const DEC_KEY = new Float64Array(1);
const DEC_BITS = new Int32Array(DEC_KEY.buffer);
const decNums = new Float64Array(1 << DEC_CACHE_BITS).fill(NaN);
const decDigits = new Int8Array(1 << DEC_CACHE_BITS);
const decTexts: string[] = new Array<string>(1 << DEC_CACHE_BITS).fill('');

/**
 * A number as the exchange writes it: a decimal string without exponent for the sizes we produce. Prices
 * repeat from frame to frame, so the text of recent numbers is kept in a small table (replays and floods
 * encode millions of them); the table only saves the formatting, it never changes a result.
 */
function dec(n: number, digits: number): string {
  DEC_KEY[0] = n;
  const slot = Math.imul(DEC_BITS[0]! ^ DEC_BITS[1]!, 0x9e3779b1) >>> (32 - DEC_CACHE_BITS);
  if (decNums[slot] === n && decDigits[slot] === digits) return decTexts[slot]!;
  const s = String(n);
  // String() switches to exponent form below 1e-6; fall back to a fixed form then.
  const text = s.includes('e') ? n.toFixed(digits).replace(/\.?0+$/, '') : s;
  decNums[slot] = n;
  decDigits[slot] = digits;
  decTexts[slot] = text;
  return text;
}

let isoMinute = NaN;
let isoPrefix = '';
/** `new Date(ms).toISOString()` for an integer ms in years 1970-9999, the date and hour:minute of the last call kept. */
function isoMs(ms: number): string {
  const minute = ms - (ms % 60_000);
  if (minute !== isoMinute) {
    isoMinute = minute;
    isoPrefix = new Date(minute).toISOString().slice(0, 17);
  }
  const r = ms - minute;
  const sec = Math.floor(r / 1000);
  const milli = r - sec * 1000;
  return `${isoPrefix}${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** ISO time as Bitunix writes settlement times: seconds precision when the milliseconds are zero. */
function iso(ms: number): string {
  const s = new Date(ms).toISOString();
  return s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
}

export function encodeBook(symbol: string, ts: number, bid: number, ask: number, bidQty: number, askQty: number): string {
  return `{"ch":"depth_book1","symbol":"${symbol}","ts":${ts},"data":{"b":[["${dec(bid, 8)}","${dec(bidQty, 8)}"]],"a":[["${dec(ask, 8)}","${dec(askQty, 8)}"]]}}`;
}

export function encodeTrade(symbol: string, ts: number, price: number, qty: number, side: 'buy' | 'sell'): string {
  return `{"ch":"trade","symbol":"${symbol}","ts":${ts},"data":[{"t":"${Number.isInteger(ts) && ts >= 0 && ts < 253_402_300_800_000 ? isoMs(ts) : new Date(ts).toISOString()}","p":"${dec(price, 8)}","v":"${dec(qty, 8)}","s":"${side}"}]}`;
}

/** `b` = base volume, `q` = quote turnover (defaults to volume × close). */
export function encodeKline(
  symbol: string,
  channel: string,
  ts: number,
  c: { open: number; high: number; low: number; close: number; volume: number; turnover?: number },
): string {
  const q = round(c.turnover ?? c.volume * c.close, 5);
  return `{"ch":"${channel}","symbol":"${symbol}","ts":${ts},"data":{"o":"${dec(c.open, 8)}","c":"${dec(c.close, 8)}","h":"${dec(c.high, 8)}","l":"${dec(c.low, 8)}","b":"${dec(c.volume, 8)}","q":"${dec(q, 5)}"}}`;
}

/** `fundingRate` is a fraction; the wire carries percent. */
export function encodePrice(
  symbol: string,
  ts: number,
  p: { markPrice: number; indexPrice: number; fundingRate: number; fundingTime: number; nextFundingTime: number },
): string {
  const fr = dec(round(p.fundingRate * 100, 10), 10);
  return `{"ch":"price","symbol":"${symbol}","ts":${ts},"data":{"ip":"${dec(p.indexPrice, 8)}","mp":"${dec(p.markPrice, 8)}","fr":"${fr}","ft":"${iso(p.fundingTime)}","nft":"${iso(p.nextFundingTime)}"}}`;
}

export type ClientFrame =
  | { op: 'ping'; ping: number }
  | { op: 'subscribe' | 'unsubscribe'; args: { symbol: string; ch: string }[] }
  | { op: 'unknown' };

/** What the simulator understands from a client; anything else is `unknown` (the exchange ignores it). */
export function decodeClientFrame(text: string): ClientFrame {
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch {
    return { op: 'unknown' };
  }
  if (!isObj(msg)) return { op: 'unknown' };
  if (msg.op === 'ping') {
    const ping = num(msg.ping);
    return Number.isFinite(ping) ? { op: 'ping', ping } : { op: 'unknown' };
  }
  if ((msg.op === 'subscribe' || msg.op === 'unsubscribe') && Array.isArray(msg.args)) {
    const args: { symbol: string; ch: string }[] = [];
    for (const a of msg.args as unknown[]) {
      if (isObj(a) && typeof a.ch === 'string') args.push({ symbol: typeof a.symbol === 'string' ? a.symbol : '', ch: a.ch });
    }
    return { op: msg.op, args };
  }
  return { op: 'unknown' };
}

// ---------------------------------------------------------------------------------------------
// REST (notes §2)

const REST_INTERVAL: Partial<Record<KlineInterval, string>> = { '1m': '1m', '5m': '5m', '15m': '15m', '30m': '30m', '1h': '1h' };

/** REST kline interval name. REST has no `3m`: fetch 1m and aggregate instead. */
export function restInterval(i: KlineInterval): string {
  const r = REST_INTERVAL[i];
  if (r === undefined) throw new Error(`Bitunix REST serves no '${String(i)}' klines: fetch 1m and aggregate`);
  return r;
}

/** The `data` of a REST envelope; throws with the exchange's code and message when it is an error. */
function restData(body: string, what: string): unknown {
  let msg: unknown;
  try {
    msg = JSON.parse(body);
  } catch {
    throw new Error(`Bitunix ${what}: response is not JSON: ${body.slice(0, 120)}`);
  }
  if (!isObj(msg)) throw new Error(`Bitunix ${what}: response is not an object`);
  if (msg.code !== 0 && msg.code !== '0') {
    throw new Error(`Bitunix ${what}: error code ${String(msg.code)}: ${String(msg.msg ?? '')}`);
  }
  return msg.data;
}

/**
 * Klines arrive newest first with the volume names swapped (`quoteVol` holds the base quantity, notes §2.1).
 * Rather than trusting either name, the base quantity is the smaller of the two when the price is above 1
 * (turnover = quantity × price), the larger below it. Returns candles ascending by open time, deduplicated.
 */
export function decodeRestKlines(body: string): Candle[] {
  const data = restData(body, 'kline');
  if (!Array.isArray(data)) throw new Error('Bitunix kline: data is not an array');
  const byTs = new Map<number, Candle>();
  for (const row of data as unknown[]) {
    if (!isObj(row)) throw new Error('Bitunix kline: a row is not an object');
    const ts = num(row.time);
    const open = num(row.open);
    const high = num(row.high);
    const low = num(row.low);
    const close = num(row.close);
    const qv = num(row.quoteVol);
    const bv = row.baseVol === undefined ? NaN : num(row.baseVol);
    if (![ts, open, high, low, close, qv].every(Number.isFinite)) {
      throw new Error(`Bitunix kline: bad number in row ${JSON.stringify(row).slice(0, 200)}`);
    }
    if (open <= 0 || high <= 0 || low <= 0 || close <= 0) throw new Error(`Bitunix kline: non-positive price at ${ts}`);
    let volume = qv;
    if (Number.isFinite(bv)) volume = close >= 1 ? Math.min(qv, bv) : Math.max(qv, bv);
    if (!byTs.has(ts)) byTs.set(ts, { ts, open, high, low, close, volume });
  }
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

/** The body the real exchange sends: newest first, `time` a string, `quoteVol` = base qty, `baseVol` = turnover. */
export function encodeRestKlines(candles: Candle[]): string {
  const rows: string[] = [];
  for (let i = candles.length - 1; i >= 0; i--) {
    const c = candles[i]!;
    rows.push(
      `{"open":"${dec(c.open, 8)}","high":"${dec(c.high, 8)}","low":"${dec(c.low, 8)}","close":"${dec(c.close, 8)}",` +
        `"quoteVol":"${dec(c.volume, 8)}","baseVol":"${dec(round(c.volume * c.close, 5), 5)}","time":"${c.ts}"}`,
    );
  }
  return `{"code":0,"data":[${rows.join(',')}],"msg":"Success"}`;
}

export interface FundingRate {
  /** The current (upcoming) estimate as a fraction: the wire's percent / 100. */
  rate: number;
  /** Null in the older four-field reply (symbol, markPrice, lastPrice, fundingRate). */
  nextFundingTime: number | null;
  intervalHours: number;
  markPrice: number;
}

/** `data` may be an object or a one-element array (notes §2.2). */
export function decodeFundingRate(body: string): FundingRate {
  const raw = restData(body, 'funding_rate');
  const d: unknown = Array.isArray(raw) ? raw[0] : raw;
  if (!isObj(d)) throw new Error('Bitunix funding_rate: data is not an object');
  const ratePct = num(d.fundingRate);
  const nextFundingTime = d.nextFundingTime === undefined ? null : num(d.nextFundingTime);
  const intervalHours = d.fundingInterval === undefined ? 8 : num(d.fundingInterval);
  const markPrice = num(d.markPrice);
  if (![ratePct, nextFundingTime ?? 0, intervalHours, markPrice].every(Number.isFinite) || intervalHours <= 0 || markPrice <= 0) {
    throw new Error(`Bitunix funding_rate: bad field in ${JSON.stringify(d).slice(0, 200)}`);
  }
  return { rate: ratePct / 100, nextFundingTime, intervalHours, markPrice };
}

/** Bitunix's rate-limit codes: the reply is HTTP 200 with one of these instead of data (retry later). */
const RATE_LIMIT_CODES: ReadonlySet<string> = new Set(['10005', '10006']);

/** True when a REST body is Bitunix's "too many requests" envelope, not an answer. */
export function isRestRateLimited(body: string): boolean {
  try {
    const msg: unknown = JSON.parse(body);
    return isObj(msg) && (typeof msg.code === 'number' || typeof msg.code === 'string') && RATE_LIMIT_CODES.has(String(msg.code));
  } catch {
    return false;
  }
}

export function encodeFundingRate(
  symbol: string,
  f: { rate: number; nextFundingTime: number; intervalHours: number; markPrice: number; lastPrice: number },
): string {
  const pct = dec(round(f.rate * 100, 10), 10);
  return (
    `{"code":0,"data":{"symbol":"${symbol}","markPrice":"${dec(f.markPrice, 8)}","lastPrice":"${dec(f.lastPrice, 8)}",` +
    `"fundingRate":"${pct}","fundingInterval":${f.intervalHours},"nextFundingTime":"${f.nextFundingTime}",` +
    `"maxFundingRate":"0.3","minFundingRate":"-0.3"},"msg":"Success"}`
  );
}
