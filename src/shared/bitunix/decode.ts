// Decoding what the exchange sends: decodeFrame turns one WebSocket text frame into a typed Frame (or a
// `bad` frame with a reason, never a throw). It is the hot path for every frame: one JSON.parse, no
// regexes, no closures, Number().
import { DEPTH_PREFIX, KLINE_PREFIX, PRICE_CHANNEL, TRADE_CHANNEL } from './channels.js';
import { DEFAULT_MAX_BYTES, DEFAULT_MAX_FUTURE_MS, type BadFrameReason, type DecodeOptions, type Frame } from './frame.js';
import { isObj, num, type Obj } from './wire-values.js';

function bad(reason: BadFrameReason, detail?: string): Frame {
  return detail === undefined ? { type: 'bad', reason } : { type: 'bad', reason, detail };
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
    // Route on `op` first: a (rare) subscribe ack carries both `op` and `ch` (docs/bitunix-wire.md §1.6).
    if (typeof msg.op === 'string') return decodeControl(msg, msg.op);
    const ch = msg.ch;
    if (typeof ch === 'string') return decodePush(msg, ch, opts);
    return bad('unknown_shape', 'neither ch nor op');
  } catch (e) {
    // Defensive only: every access above is guarded, but this function must never throw.
    return bad('unknown_shape', String(e));
  }
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
  if (ch === TRADE_CHANNEL) return decodeTrade(symbol, ts, data);
  if (ch.startsWith(DEPTH_PREFIX)) return decodeBook(symbol, ts, data);
  if (ch.startsWith(KLINE_PREFIX)) return decodeKline(symbol, ts, ch, data);
  if (ch === PRICE_CHANNEL) return decodePrice(symbol, ts, data);
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
  // An unknown symbol gets one frame whose levels are empty strings (docs/bitunix-wire.md §1.3).
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
  // `open` outside [low, high] is real Bitunix data (docs/bitunix-wire.md §2.1) and is accepted; the rest must hold.
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

/** The channel of an already-parsed push, or null when it is not one (a control frame or garbage). */
export function pushChannelOf(parsed: unknown): string | null {
  return isObj(parsed) && typeof parsed.ch === 'string' ? parsed.ch : null;
}
