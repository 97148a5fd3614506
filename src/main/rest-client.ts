// Bitunix public REST: closed-candle history (paged backwards, 200 per call) and the funding rate.
// Bitunix has no 3m REST interval, so 3m history is built from 1m candles.
import { decodeFundingRate, decodeRestKlines, restInterval } from '../shared/bitunix-codec.js';
import { aggregate } from '../shared/candle-builder.js';
import type { Candle } from '../shared/types.js';
import { INTERVAL_MS, type Interval } from './config.js';

const PAGE = 200;
const TIMEOUT_MS = 5000;

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
  return body;
}

export interface RestOptions {
  /** Answers a request (path and query) instead of the network: a frame log's replay. */
  answer?: (pathAndQuery: string) => Promise<string>;
  /** --record: every response body used, with its path and query. */
  onResponse?: (pathAndQuery: string, body: string) => void;
}

export class RestClient {
  constructor(
    private readonly baseUrl: string,
    private readonly symbol: string,
    private readonly opts: RestOptions = {},
  ) {}

  private async getText(url: string): Promise<string> {
    const { answer, onResponse } = this.opts;
    const pathAndQuery = answer || onResponse ? url.slice(this.baseUrl.length) : '';
    const body = answer ? await answer(pathAndQuery) : await fetchText(url);
    onResponse?.(pathAndQuery, body);
    return body;
  }

  /**
   * Closed candles with open time in [fromTs, toTs] (inclusive), ascending. `closedBefore` is the
   * market time now: a candle is closed when ts + interval <= closedBefore (the forming one is dropped).
   */
  async klinesRange(interval: Interval, fromTs: number, toTs: number, closedBefore: number, maxCandles = Infinity): Promise<Candle[]> {
    if (interval === '3m') {
      const ones = await this.klinesRange('1m', fromTs, toTs + 2 * 60_000, closedBefore, maxCandles * 3);
      return aggregate(ones, INTERVAL_MS['3m'])
        .filter((c) => c.ts >= fromTs && c.ts <= toTs)
        .slice(-maxCandles);
    }
    const step = INTERVAL_MS[interval];
    const out = new Map<number, Candle>();
    let endTime = Math.floor(toTs / step) * step + step; // endTime is exclusive; keep it on the grid
    for (let page = 0; page < 50 && endTime > fromTs; page++) {
      const url =
        `${this.baseUrl}/api/v1/futures/market/kline?symbol=${this.symbol}` +
        `&interval=${restInterval(interval)}&limit=${PAGE}&endTime=${endTime}`;
      const rows = decodeRestKlines(await this.getText(url));
      if (rows.length === 0) break;
      for (const c of rows) if (c.ts >= fromTs && c.ts <= toTs && c.ts + step <= closedBefore) out.set(c.ts, c);
      const oldest = rows[0]!.ts;
      if (oldest >= endTime) break;
      endTime = oldest;
      if (rows.length < PAGE || out.size >= maxCandles) break;
    }
    return [...out.values()].sort((a, b) => a.ts - b.ts).slice(-maxCandles);
  }

  /**
   * 1-minute candles with open time in [fromTs, toTs], the still-forming one included (its high and low so far
   * cover a blind span that ended inside it).
   */
  async minutesThrough(fromTs: number, toTs: number): Promise<Candle[]> {
    return this.klinesRange('1m', fromTs, toTs, Infinity);
  }

  /**
   * The last `count` closed candles at market time `now`: the newest pages (no endTime, so a replay or
   * simulator whose clock differs from the wall clock is served too), without the forming candle.
   */
  async lastClosed(interval: Interval, count: number, now: number): Promise<Candle[]> {
    const step = INTERVAL_MS[interval];
    return this.klinesRange(interval, 0, Math.floor(now / step) * step - step, now, count);
  }

  async fundingRate(): Promise<{ rate: number; nextFundingTime: number; intervalHours: number; markPrice: number }> {
    return decodeFundingRate(await this.getText(`${this.baseUrl}/api/v1/futures/market/funding_rate?symbol=${this.symbol}`));
  }
}
