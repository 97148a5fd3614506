// The 1-minute candles of a stretch of market time, fetched from REST once and shared by whoever needs them. A
// candle gap with a position open needs the same minutes twice, at once: the backfill of the missing candles
// and the blind span's recovery (docs/reliability.md §1). Each fetch runs through the minute the market is in
// when it is asked (the forming candle included), and its candles are screened once, so a candle REST gets wrong
// is counted once. A later request is answered from an earlier fetch (in flight or done) when that fetch holds
// its whole window and was asked no earlier than the market time the request must see; otherwise it fetches.
import { minuteOf } from '../shared/blind-spans.js';
import type { Candle } from '../shared/types.js';
import type { MarketHistory } from './replay-history.js';

export interface MinuteCandlesDeps {
  rest: Pick<MarketHistory, 'minutesThrough'>;
  /** Validate fetched 1-minute candles and count the ones refused; returns those accepted. */
  screen(candles: Candle[]): Candle[];
  /** The market time now (the newest any frame carried). */
  marketNow(): number;
}

interface Fetch {
  fromTs: number;
  toTs: number;
  /** Market time when it was asked: a closed candle is final by then, the forming one has its range so far. */
  askedAt: number;
  candles: Promise<Candle[]>;
}

/** Fetches kept for reuse: the ones a gap's consumers ask for together, and a few before them. */
const KEPT = 4;

export class MinuteCandles {
  private fetches: Fetch[] = [];

  constructor(private readonly deps: MinuteCandlesDeps) {}

  /**
   * Screened 1-minute candles with open time in [fromTs, toTs], ascending, the forming one included, as REST
   * had them at market time `seenAt` or later (a span's end, or when the last missing candle closed).
   */
  async through(fromTs: number, toTs: number, seenAt = toTs): Promise<Candle[]> {
    const last = minuteOf(toTs);
    const f = this.fetches.find((x) => x.fromTs <= fromTs && last <= x.toTs && x.askedAt >= seenAt) ?? this.fetch(fromTs, toTs);
    const candles = await f.candles;
    return candles.filter((c) => c.ts >= fromTs && c.ts <= toTs);
  }

  private fetch(fromTs: number, toTs: number): Fetch {
    const askedAt = this.deps.marketNow();
    // Through the minute the market is in: whoever asks next for this gap (the span ends in that minute) is served too.
    const end = Math.max(toTs, minuteOf(askedAt));
    const candles = this.deps.rest.minutesThrough(fromTs, end).then((c) => this.deps.screen(c));
    const f: Fetch = { fromTs, toTs: end, askedAt, candles };
    this.fetches.push(f);
    if (this.fetches.length > KEPT) this.fetches.shift();
    // A failed fetch answers nobody later (its callers get the error; a retry asks REST again).
    candles.catch(() => {
      this.fetches = this.fetches.filter((x) => x !== f);
    });
    return f;
  }
}
