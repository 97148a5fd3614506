// Bitunix public REST: closed-candle history (paged backwards, 200 per call) and the funding rate.
// Bitunix has no 3m REST interval, so 3m history is built from 1m candles. Every request names the
// engine in its User-Agent (the exchange's CDN challenges anonymous clients), and a rate-limit reply
// is waited out with a backoff and asked again: it is the exchange saying "later", not bad data.
import { decodeFundingRate, decodeRestKlines, fundingRateQuery, isRestRateLimited, klineQuery, restServes, type FundingRate } from '../shared/bitunix/index.js';
import { aggregate } from '../shared/candle-builder.js';
import type { Candle } from '../shared/types.js';
import { INTERVAL_MS, type Interval } from './config.js';

const PAGE = 200;
const TIMEOUT_MS = 5000;

export interface RestClientOptions {
  /** engineUserAgent(version), e.g. `laptop-agents/0.1.0`. */
  userAgent: string;
  /** Retries after a rate-limit reply before giving up (default 4). */
  rateLimitRetries?: number;
  /** First wait after a rate-limit reply, doubled on each retry (default 1000 ms). */
  rateLimitBackoffMs?: number;
  /** Answers a request (path and query) instead of the network: a frame log's replay. */
  answer?: (pathAndQuery: string) => Promise<string>;
  /** --record: every response body used, with its path and query. */
  onResponse?: (pathAndQuery: string, body: string) => void;
}

export class RateLimitedError extends Error {}

/** The User-Agent every request sends: the engine's name and version. */
export function engineUserAgent(version: string): string {
  return `laptop-agents/${version}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RestClient {
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(
    private readonly baseUrl: string,
    private readonly symbol: string,
    private readonly opts: RestClientOptions,
  ) {
    this.retries = opts.rateLimitRetries ?? 4;
    this.backoffMs = opts.rateLimitBackoffMs ?? 1000;
  }

  private async fetchText(url: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(url, { headers: { 'User-Agent': this.opts.userAgent }, signal: AbortSignal.timeout(TIMEOUT_MS) });
      const body = await res.text();
      const limited = res.status === 429 || (res.ok && isRestRateLimited(body));
      if (!limited) {
        if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${body.slice(0, 200)}`);
        return body;
      }
      if (attempt >= this.retries) throw new RateLimitedError(`GET ${url}: still rate limited after ${attempt + 1} tries: ${body.slice(0, 200)}`);
      await sleep(this.backoffMs * 2 ** attempt);
    }
  }

  private async getText(url: string): Promise<string> {
    const { answer, onResponse } = this.opts;
    const pathAndQuery = answer || onResponse ? url.slice(this.baseUrl.length) : '';
    const body = answer ? await answer(pathAndQuery) : await this.fetchText(url);
    onResponse?.(pathAndQuery, body);
    return body;
  }

  /**
   * Closed candles with open time in [fromTs, toTs] (inclusive), ascending. `closedBefore` is the
   * market time now: a candle is closed when ts + interval <= closedBefore (the forming one is dropped).
   */
  async klinesRange(interval: Interval, fromTs: number, toTs: number, closedBefore: number, maxCandles = Infinity): Promise<Candle[]> {
    if (!restServes(interval)) {
      const perCandle = INTERVAL_MS[interval] / INTERVAL_MS['1m'];
      const ones = await this.klinesRange('1m', fromTs, toTs + INTERVAL_MS[interval] - INTERVAL_MS['1m'], closedBefore, maxCandles * perCandle);
      return aggregate(ones, INTERVAL_MS[interval])
        .filter((c) => c.ts >= fromTs && c.ts <= toTs)
        .slice(-maxCandles);
    }
    const step = INTERVAL_MS[interval];
    const out = new Map<number, Candle>();
    let endTime = Math.floor(toTs / step) * step + step; // endTime is exclusive; keep it on the grid
    for (let page = 0; page < 50 && endTime > fromTs; page++) {
      const url = `${this.baseUrl}${klineQuery(this.symbol, interval, PAGE, { endTime })}`;
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

  async fundingRate(): Promise<FundingRate> {
    return decodeFundingRate(await this.getText(`${this.baseUrl}${fundingRateQuery(this.symbol)}`));
  }
}
