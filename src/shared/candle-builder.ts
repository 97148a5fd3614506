// Candle builder: turns Bitunix kline pushes (the whole in-progress candle, with a frame ts but no open time)
// into closed candles on market time, and tells the caller which candles it missed so they can be backfilled
// from REST and run through the exit checks in order (docs/reliability.md §1).
// Timestamps are epoch-ms numbers everywhere and compared numerically (original bug 7, docs/original-system.md §9); the forming candle is
// never reported as closed (bug 9); backfilled candles are only ever inserted in time order (bug 8); intra-bar
// updates of the forming candle are kept, not dropped (bug 10).
import type { Candle } from './types.js';

/** A kline push: the whole forming candle, with `ts` the push time (its bucket is derived from it). */
export type KlinePush = Candle;

/** Missing candle open times, inclusive on both ends. */
export interface CandleGap {
  fromTs: number;
  toTs: number;
}

export interface CandleUpdate {
  readonly closed: readonly Candle[];
  readonly gap: CandleGap | null;
}

/** Most kline pushes and clock checks change nothing: one frozen answer for all of them, not one per call. */
const UNCHANGED: CandleUpdate = Object.freeze({ closed: Object.freeze([]) as readonly Candle[], gap: null });
const NOTHING = (): CandleUpdate => UNCHANGED;

export class CandleBuilder {
  private readonly closedCandles: Candle[] = [];
  private formingCandle: Candle | null = null;
  private staleCount = 0;

  constructor(
    readonly intervalMs: number,
    readonly graceMs = 2000,
    /** How many closed candles `history()` can return. */
    readonly capacity = 500,
  ) {
    if (!(intervalMs > 0) || !Number.isInteger(intervalMs)) throw new Error(`candles: bad interval ${intervalMs}`);
    if (!(graceMs >= 0)) throw new Error(`candles: bad grace ${graceMs}`);
  }

  get lastClosed(): Candle | null {
    const h = this.closedCandles;
    return h.length > 0 ? h[h.length - 1] : null;
  }

  get forming(): Candle | null {
    return this.formingCandle;
  }

  /** Pushes ignored because their bucket was already closed or older than the forming one. */
  get stale(): number {
    return this.staleCount;
  }

  /** The last `n` closed candles, oldest first. */
  history(n = this.capacity): Candle[] {
    const h = this.closedCandles;
    const k = Math.min(n, this.capacity, h.length);
    return k <= 0 ? [] : h.slice(h.length - k);
  }

  /**
   * Seed with closed candles (ascending, e.g. the last 200 from REST, without the in-progress one).
   * Candles not after the current last closed candle are skipped, so re-seeding after a reconnect is safe.
   */
  seed(closed: Candle[]): void {
    for (const c of sortByTs(closed)) {
      const last = this.lastClosed;
      if (last !== null && c.ts <= last.ts) continue;
      this.append({ ...c, ts: this.bucketOf(c.ts) });
    }
    const last = this.lastClosed;
    if (this.formingCandle !== null && last !== null && this.formingCandle.ts <= last.ts) this.formingCandle = null;
  }

  /**
   * A push replaces the forming candle of its bucket; a push of a later bucket closes the forming candle.
   * `gap` is reported as soon as it is known: when the new forming bucket does not directly follow the last
   * closed candle, the buckets in between are missing. Reporting it before that bucket closes lets the caller
   * backfill (`fill`) them in time order. Pushes for closed or older buckets are ignored and counted.
   */
  onKline(p: KlinePush): CandleUpdate {
    const bucket = this.bucketOf(p.ts);
    const last = this.lastClosed;
    const forming = this.formingCandle;
    if (!Number.isFinite(bucket) || (last !== null && bucket <= last.ts) || (forming !== null && bucket < forming.ts)) {
      this.staleCount++;
      return NOTHING();
    }
    const next: Candle = { ts: bucket, open: p.open, high: p.high, low: p.low, close: p.close, volume: p.volume };
    if (forming !== null && bucket === forming.ts) {
      this.formingCandle = next;
      return NOTHING();
    }
    // A new bucket: close the forming one (if any), then check what lies between it and the new bucket.
    const closed: Candle[] = [];
    if (forming !== null) {
      this.append(forming);
      closed.push(forming);
    }
    this.formingCandle = next;
    const prev = this.lastClosed;
    const gap = prev !== null && bucket > prev.ts + this.intervalMs ? { fromTs: prev.ts + this.intervalMs, toTs: bucket - this.intervalMs } : null;
    return { closed, gap };
  }

  /** Grace close on market time: the forming candle closes once `marketNow` ≥ its end + grace. */
  onTime(marketNow: number): CandleUpdate {
    const forming = this.formingCandle;
    if (forming === null || !(marketNow >= forming.ts + this.intervalMs + this.graceMs)) return NOTHING();
    this.formingCandle = null;
    this.append(forming);
    return { closed: [forming], gap: null };
  }

  /**
   * Insert backfilled closed candles (REST) for a gap. Accepted, in ascending order: candles after the last
   * closed one and before the forming bucket (the in-progress candle is never accepted as closed).
   * Returns the accepted candles so the caller can run exit checks and the strategy on them in order.
   */
  fill(candles: Candle[]): Candle[] {
    const accepted: Candle[] = [];
    const formingTs = this.formingCandle?.ts ?? Infinity;
    for (const c of sortByTs(candles)) {
      const ts = this.bucketOf(c.ts);
      const last = this.lastClosed;
      if ((last !== null && ts <= last.ts) || ts >= formingTs) continue;
      const candle = { ...c, ts };
      this.append(candle);
      accepted.push(candle);
    }
    return accepted;
  }

  private bucketOf(ts: number): number {
    return Math.floor(ts / this.intervalMs) * this.intervalMs;
  }

  private append(c: Candle): void {
    const h = this.closedCandles;
    h.push(c);
    // Trim in batches so the per-candle cost stays O(1) amortized.
    if (h.length >= 2 * this.capacity) h.splice(0, h.length - this.capacity);
  }
}

function sortByTs(candles: Candle[]): Candle[] {
  return candles.filter((c) => Number.isFinite(c.ts)).sort((a, b) => a.ts - b.ts);
}

/**
 * Aggregate candles into a longer interval (1m → 3m, 5m ...). Only complete buckets are returned: every
 * source candle of the bucket present. The source interval is the smallest step between consecutive candles
 * unless given.
 */
export function aggregate(candles: Candle[], intervalMs: number, sourceIntervalMs?: number): Candle[] {
  const sorted = sortByTs(candles);
  let src = sourceIntervalMs ?? Infinity;
  if (sourceIntervalMs === undefined) {
    for (let i = 1; i < sorted.length; i++) {
      const step = sorted[i].ts - sorted[i - 1].ts;
      if (step > 0 && step < src) src = step;
    }
  }
  if (!Number.isFinite(src) || intervalMs % src !== 0) return [];
  const perBucket = intervalMs / src;
  const out: Candle[] = [];
  let i = 0;
  while (i < sorted.length) {
    const bucket = Math.floor(sorted[i].ts / intervalMs) * intervalMs;
    let j = i;
    let expected = bucket;
    let contiguous = true;
    const acc: Candle = { ts: bucket, open: sorted[i].open, high: -Infinity, low: Infinity, close: 0, volume: 0 };
    while (j < sorted.length && sorted[j].ts < bucket + intervalMs) {
      const c = sorted[j];
      if (c.ts !== expected) contiguous = false;
      expected = c.ts + src;
      acc.high = Math.max(acc.high, c.high);
      acc.low = Math.min(acc.low, c.low);
      acc.close = c.close;
      acc.volume += c.volume;
      j++;
    }
    if (contiguous && j - i === perBucket) out.push(acc);
    i = j;
  }
  return out;
}
