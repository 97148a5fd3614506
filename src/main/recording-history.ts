// --record of a replay whose history is answered in process (no REST call is made): each answer is written
// to the frame log as the REST reply that would have carried it, so the recording replays like any other.
import { encodeFundingRate, encodeRestKlines, fundingRateQuery, klineQuery } from '../shared/bitunix/index.js';
import type { Clock } from '../shared/clock.js';
import type { Candle } from '../shared/types.js';
import { INTERVAL_MS, type Interval } from './config.js';
import type { FrameSink } from './frame-recorder.js';
import type { MarketHistory } from './replay-history.js';

export class RecordingHistory implements MarketHistory {
  constructor(
    private readonly inner: MarketHistory,
    private readonly symbol: string,
    private readonly recorder: FrameSink,
    private readonly clock: Clock,
  ) {}

  async klinesRange(interval: Interval, fromTs: number, toTs: number, closedBefore: number, maxCandles = Infinity): Promise<Candle[]> {
    return this.page(interval, toTs, await this.inner.klinesRange(interval, fromTs, toTs, closedBefore, maxCandles));
  }

  async minutesThrough(fromTs: number, toTs: number): Promise<Candle[]> {
    return this.page('1m', toTs, await this.inner.minutesThrough(fromTs, toTs));
  }

  async lastClosed(interval: Interval, count: number, now: number): Promise<Candle[]> {
    return this.page(interval, now, await this.inner.lastClosed(interval, count, now));
  }

  async fundingRate(): ReturnType<MarketHistory['fundingRate']> {
    const f = await this.inner.fundingRate();
    if (f.nextFundingTime !== null) {
      const body = encodeFundingRate(this.symbol, { ...f, nextFundingTime: f.nextFundingTime, lastPrice: f.markPrice });
      this.recorder.rest(fundingRateQuery(this.symbol), body, this.clock.now());
    }
    return f;
  }

  /** The candles as one kline page ending after `throughTs`. An interval REST does not serve (3m) is not recorded. */
  private page(interval: Interval, throughTs: number, candles: Candle[]): Candle[] {
    const step = INTERVAL_MS[interval];
    const endTime = Math.floor(throughTs / step) * step + step;
    let path: string;
    try {
      path = klineQuery(this.symbol, interval, Math.max(1, candles.length), { endTime });
    } catch {
      return candles;
    }
    this.recorder.rest(path, encodeRestKlines(candles), this.clock.now());
    return candles;
  }
}
