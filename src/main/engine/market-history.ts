// REST history around the live feed: the strategy's warm-up candles, the funding rate, and candle gaps.
// Each is an aid: a failure is logged and the session trades on.
import { restServes } from '../../shared/bitunix/index.js';
import { SPAN_CANDLE_MS } from '../../shared/blind-spans.js';
import { aggregate } from '../../shared/candle-builder.js';
import type { EngineEvent } from '../../shared/events.js';
import type { Candle } from '../../shared/types.js';
import { INTERVAL_MS, type Interval } from '../config.js';
import type { Logger } from '../logger.js';
import type { MinuteCandles } from '../minute-candles.js';
import type { MarketHistory } from '../replay-history.js';
import type { TradingCore } from '../trading/trading-core.js';

const SEED_CANDLES = 200;

export interface HistoryParts {
  rest: MarketHistory;
  /** 1-minute candles shared by the backfill and the blind spans' recovery. */
  minutes: MinuteCandles;
  core: TradingCore;
  interval: Interval;
  log: Logger;
  record(e: EngineEvent): void;
}

/**
 * 200 closed candles from REST, once market data flows (so "closed" is judged on market time, which the
 * accelerated simulator and replays run ahead of or behind the wall clock).
 */
export async function seedCandles(p: HistoryParts, now: number): Promise<void> {
  let seeded: Candle[] = [];
  try {
    seeded = p.core.screenCandles(await p.rest.lastClosed(p.interval, SEED_CANDLES, now));
  } catch (err) {
    p.log.warn({ err: (err as Error).message }, 'candle history unavailable; the strategy warms up on live candles');
    return;
  }
  p.core.seed(seeded);
  p.log.info({ candles: seeded.length, last: seeded.at(-1)?.ts }, 'candles seeded from REST');
}

export async function logFunding(p: HistoryParts): Promise<void> {
  try {
    const f = await p.rest.fundingRate();
    p.log.info({ rate: f.rate, nextFundingTime: f.nextFundingTime === null ? null : new Date(f.nextFundingTime).toISOString() }, 'funding rate');
  } catch (err) {
    p.log.warn({ err: (err as Error).message }, 'funding rate unavailable from REST: funding is applied only from settled rates on the price channel');
  }
}

/**
 * Closed candles missing between two closes, fetched and joined to the builder's history and the session's record.
 * An interval REST builds from 1-minute candles is backfilled from the shared minutes: with a position open the
 * gap is a blind span too, and its recovery needs the same minutes (one request, each candle screened once).
 */
export async function backfill(p: HistoryParts, fromTs: number, toTs: number): Promise<void> {
  try {
    const closedBefore = p.core.lastMarketTs;
    const candles = builtFromMinutes(p.interval)
      ? await fromMinutes(p, fromTs, toTs, closedBefore)
      : p.core.screenCandles(await p.rest.klinesRange(p.interval, fromTs, toTs, closedBefore));
    const accepted = p.core.builder.fill(candles);
    p.core.recordBackfilled(accepted);
    p.record({ event: 'GapBackfilled', fromTs, toTs, candles: accepted.length });
    p.log.info({ fromTs, toTs, candles: accepted.length }, 'candle gap backfilled from REST');
  } catch (err) {
    p.log.warn({ fromTs, toTs, err: (err as Error).message }, 'candle gap backfill failed');
  }
}

const builtFromMinutes = (interval: Interval): boolean => interval === '1m' || !restServes(interval);

/** The closed `p.interval` candles opening in [fromTs, toTs], from the shared (already screened) 1-minute candles. */
async function fromMinutes(p: HistoryParts, fromTs: number, toTs: number, closedBefore: number): Promise<Candle[]> {
  const step = INTERVAL_MS[p.interval];
  // The last missing candle closed at toTs + step: a fetch asked since then holds every minute of it.
  const minutes = await p.minutes.through(fromTs, toTs + step - SPAN_CANDLE_MS, toTs + step);
  const closed = minutes.filter((c) => c.ts + SPAN_CANDLE_MS <= closedBefore);
  if (step === SPAN_CANDLE_MS) return closed;
  // Longer candles are judged on their own too, as the ones REST serves are.
  return p.core.screenCandles(aggregate(closed, step).filter((c) => c.ts >= fromTs && c.ts <= toTs));
}
