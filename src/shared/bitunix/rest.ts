// The Bitunix REST market endpoints: paths, interval names, and the JSON envelopes of klines and funding.
import type { Candle } from '../types.js';
import type { KlineInterval } from './frame.js';
import { dec, isObj, num, round } from './wire-values.js';

const REST_INTERVAL: Partial<Record<KlineInterval, string>> = { '1m': '1m', '5m': '5m', '15m': '15m', '30m': '30m', '1h': '1h' };

/** Whether REST serves klines of this interval itself; the others (`3m`) are built from 1m ones. */
export function restServes(i: KlineInterval): boolean {
  return REST_INTERVAL[i] !== undefined;
}

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
 * Klines arrive newest first with the volume names swapped (`quoteVol` holds the base quantity, docs/bitunix-wire.md §2.1).
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

/** `data` may be an object or a one-element array (docs/bitunix-wire.md §2.2). */
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

/** The kline history endpoint. */
export const KLINE_PATH = '/api/v1/futures/market/kline';
/** The current funding rate endpoint. */
export const FUNDING_RATE_PATH = '/api/v1/futures/market/funding_rate';

/** Query of one kline page: `limit` candles ending before `endTime` (exclusive) when given. */
export function klineQuery(symbol: string, interval: KlineInterval, limit: number, range: { startTime?: number; endTime?: number } = {}): string {
  let q = `${KLINE_PATH}?symbol=${symbol}&interval=${restInterval(interval)}&limit=${limit}`;
  if (range.startTime !== undefined) q += `&startTime=${range.startTime}`;
  if (range.endTime !== undefined) q += `&endTime=${range.endTime}`;
  return q;
}

/** Query of a symbol's current funding rate. */
export function fundingRateQuery(symbol: string): string {
  return `${FUNDING_RATE_PATH}?symbol=${symbol}`;
}

const REST_INTERVAL_MS: Record<string, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000 };

/** Length of a REST kline interval name (`1m`, `1h`, ...), or undefined when REST does not serve it. */
export function restIntervalMs(name: string): number | undefined {
  return REST_INTERVAL_MS[name];
}

/** Bitunix's answer to a bad query parameter: HTTP 200 with code 2. */
export function encodeRestParamError(msg: string): string {
  return JSON.stringify({ code: 2, data: null, msg });
}

/** A kline request's parameters; a number is null when absent and NaN when not an integer. */
export interface KlineQuery {
  symbol: string;
  interval: string;
  limit: number | null;
  startTime: number | null;
  endTime: number | null;
}

export function parseKlineQuery(params: URLSearchParams): KlineQuery {
  return {
    symbol: params.get('symbol') ?? '',
    interval: params.get('interval') ?? '',
    limit: intParam(params, 'limit'),
    startTime: intParam(params, 'startTime'),
    endTime: intParam(params, 'endTime'),
  };
}

/** The symbol a REST request names ('' when none). */
export function querySymbol(params: URLSearchParams): string {
  return params.get('symbol') ?? '';
}

function intParam(params: URLSearchParams, name: string): number | null {
  const v = params.get(name);
  if (v === null || v === '') return null;
  const n = Number(v);
  return Number.isInteger(n) ? n : NaN;
}
