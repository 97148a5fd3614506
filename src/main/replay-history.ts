// The REST side of an in-process replay: kline history and the funding rate answered from the replay's
// own candles, as far as the replay's market time has reached (closed minutes only).
import { candleOfMinutes, type ReplayTape } from '../shared/replay-tape.js';
import type { Candle } from '../shared/types.js';
import { INTERVAL_MS, type Interval } from './config.js';
import type { RestClient } from './rest-client.js';

/** What the session asks of the exchange's REST API. */
export type MarketHistory = Pick<RestClient, 'klinesRange' | 'minutesThrough' | 'lastClosed' | 'fundingRate'>;

const MINUTE = 60_000;
const FUNDING_PERIOD_MS = 8 * 3_600_000;

export class TapeHistory implements MarketHistory {
  /**
   * `tape` holds the candles (its own position is not used); `marketNow` is the replay's market time, at least
   * the end of the history before the stream.
   */
  constructor(
    private readonly tape: ReplayTape,
    private readonly marketNow: () => number,
  ) {}

  async klinesRange(interval: Interval, fromTs: number, toTs: number, closedBefore: number, maxCandles = Infinity): Promise<Candle[]> {
    const step = INTERVAL_MS[interval];
    const candles = this.tape.candles;
    const first = candles.ts(0);
    const now = Math.max(this.marketNow(), this.tape.firstLiveTs);
    const minuteAt = (m: number): Candle | null => {
      const i = (m - first) / MINUTE;
      return Number.isInteger(i) && i >= 0 && i < candles.length && candles.ts(i) + MINUTE <= now ? candles.at(i) : null;
    };
    const lo = Math.ceil(Math.max(fromTs, first) / step) * step;
    const out: Candle[] = [];
    for (let b = Math.floor(Math.min(toTs, now) / step) * step; b >= lo && out.length < maxCandles; b -= step) {
      const c = candleOfMinutes(minuteAt, step, b);
      if (c !== null && c.ts + step <= closedBefore) out.push(c);
    }
    return out.reverse();
  }

  minutesThrough(fromTs: number, toTs: number): Promise<Candle[]> {
    return this.klinesRange('1m', fromTs, toTs, Infinity);
  }

  lastClosed(interval: Interval, count: number, now: number): Promise<Candle[]> {
    const step = INTERVAL_MS[interval];
    return this.klinesRange(interval, 0, Math.floor(now / step) * step - step, now, count);
  }

  /** A recorded candle carries no funding: the rate is 0, as the simulator serves a replay. */
  async fundingRate(): Promise<{ rate: number; nextFundingTime: number; intervalHours: number; markPrice: number }> {
    const now = Math.max(this.marketNow(), this.tape.firstLiveTs);
    const k = Math.floor(now / FUNDING_PERIOD_MS);
    const candles = this.tape.candles;
    const idx = Math.min(Math.floor((now - candles.ts(0)) / MINUTE) - 1, candles.length - 1);
    const last = candles.at(Math.max(0, idx));
    return { rate: 0, nextFundingTime: (k + 1) * FUNDING_PERIOD_MS, intervalHours: FUNDING_PERIOD_MS / 3_600_000, markPrice: last.close };
  }
}
