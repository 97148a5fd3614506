// One symbol's simulated market: 1-minute candles (closed and forming) and the latest tick, driven by the
// seeded price process or by a replay tape. Candles pushed and served by REST all come from these.
import type { PriceProcess, PriceTick } from '../../shared/price-process.js';
import { candleOfMinutes, type ReplayTape } from '../../shared/replay-tape.js';
import { createRng } from '../../shared/rng.js';
import type { Candle } from '../../shared/types.js';

export const MINUTE = 60_000;
export const FUNDING_PERIOD_MS = 8 * 3_600_000;
/** 1-minute history generated before the market start: 14 days covers 200 one-hour candles. */
const HISTORY_MINUTES = 14 * 24 * 60;
const MAX_MINUTES_KEPT = HISTORY_MINUTES + 100_000;

export function toTick(p: number): number {
  return Math.round(p * 10) / 10;
}

/**
 * One symbol's market: its 1-minute candles (closed + forming) and the latest tick, driven either by the
 * price process (`advance`) or by a replay (`tradeReplay` / `closeReplay`).
 */
export class SymbolMarket {
  /** Closed 1-minute candles, ascending and contiguous. */
  readonly minutes: Candle[];
  /** The in-progress 1-minute candle; null in replay between a candle's close and its successor's first tick. */
  forming: Candle | null;
  tick: PriceTick;

  private constructor(
    readonly symbol: string,
    /** null when replaying: no process, funding rate 0. */
    private readonly proc: PriceProcess | null,
    private readonly fundingSeed: number,
    minutes: Candle[],
    forming: Candle | null,
    tick: PriceTick,
  ) {
    this.minutes = minutes;
    this.forming = forming;
    this.tick = tick;
  }

  /** Move the simulated price at once (no-op in a replay, whose prices are the file's). */
  jump(bps: number): void {
    this.proc?.jump(bps);
  }

  /** Undo `jump(bps)`. */
  jumpBack(bps: number): void {
    this.proc?.jumpBack(bps);
  }

  static simulated(symbol: string, proc: PriceProcess, fundingSeed: number): SymbolMarket {
    const firstBucket = Math.floor(proc.startTs / MINUTE) * MINUTE;
    const p = proc.startPrice;
    const forming = { ts: firstBucket, open: p, high: p, low: p, close: p, volume: 0 };
    const m = new SymbolMarket(symbol, proc, fundingSeed, proc.historyCandles(HISTORY_MINUTES, firstBucket, MINUTE), forming, proc.step(proc.startTs));
    m.feed(m.tick);
    return m;
  }

  /** A replayed market whose closed history is `history`; `tick` is the last quote before the live stream. */
  static replayed(symbol: string, history: Candle[], tick: PriceTick): SymbolMarket {
    return new SymbolMarket(symbol, null, 0, history, null, tick);
  }

  /** Replay: the tape served a tick (and maybe closed a candle: the recorded candle becomes closed history). */
  followTape(tape: ReplayTape, closed: Candle | null): void {
    this.tick = tape.tick;
    this.forming = tape.forming;
    if (closed !== null) this.minutes.push(closed);
  }

  /** Step the process up to market time `toTs` in ≤ 1 s substeps (at most ~2000 per call). */
  advance(toTs: number): void {
    if (this.proc === null) return;
    const gap = toTs - this.proc.ts;
    if (gap <= 0) return;
    const sub = Math.max(1000, Math.ceil(gap / 2000));
    let t = this.proc.ts;
    while (t < toTs) {
      t = Math.min(t + sub, toTs);
      this.tick = this.proc.step(t);
      this.feed(this.tick);
    }
  }

  private feed(t: PriceTick): void {
    const bucket = Math.floor(t.ts / MINUTE) * MINUTE;
    const f = this.forming!; // never null under the price process
    if (bucket > f.ts) {
      this.minutes.push(f);
      // A minute without trades still exists on the exchange: flat at the previous close.
      for (let m = f.ts + MINUTE; m < bucket; m += MINUTE) {
        this.minutes.push({ ts: m, open: f.close, high: f.close, low: f.close, close: f.close, volume: 0 });
      }
      if (this.minutes.length > MAX_MINUTES_KEPT) this.minutes.splice(0, this.minutes.length - HISTORY_MINUTES);
      this.forming = { ts: bucket, open: t.last, high: t.last, low: t.last, close: t.last, volume: t.qty };
      return;
    }
    if (t.last > f.high) f.high = t.last;
    if (t.last < f.low) f.low = t.last;
    f.close = t.last;
    f.volume = Math.round((f.volume + t.qty) * 1e4) / 1e4;
  }

  /** The candle of `intervalMs` opening at `bucket`, aggregated from 1-minute candles; null if not fully known. */
  candleAt(intervalMs: number, bucket: number): Candle | null {
    const first = this.minutes[0]!.ts;
    if (bucket < first) return null;
    return candleOfMinutes(
      (m) => {
        const idx = (m - first) / MINUTE;
        return idx < this.minutes.length ? this.minutes[idx]! : m === this.forming?.ts ? this.forming : null;
      },
      intervalMs,
      bucket,
    );
  }

  /**
   * REST kline selection like the exchange: open times in [startTime, endTime) (endTime exclusive), at most
   * `limit`; the newest ones unless only startTime is given. Ascending.
   */
  restCandles(intervalMs: number, limit: number, startTime: number | null, endTime: number | null, forming: boolean): Candle[] {
    const next = this.forming?.ts ?? this.minutes[this.minutes.length - 1]!.ts + MINUTE;
    const formingBucket = Math.floor(next / intervalMs) * intervalMs;
    let hi = forming ? formingBucket : formingBucket - intervalMs;
    if (endTime !== null) hi = Math.min(hi, Math.ceil(endTime / intervalMs) * intervalMs - intervalMs);
    let lo = Math.ceil(this.minutes[0]!.ts / intervalMs) * intervalMs;
    if (startTime !== null) lo = Math.max(lo, Math.ceil(startTime / intervalMs) * intervalMs);
    const out: Candle[] = [];
    if (startTime !== null && endTime === null) {
      for (let b = lo; b <= hi && out.length < limit; b += intervalMs) pushIf(out, this.candleAt(intervalMs, b));
    } else {
      for (let b = hi; b >= lo && out.length < limit; b -= intervalMs) pushIf(out, this.candleAt(intervalMs, b));
      out.reverse();
    }
    return out;
  }

  /** The funding rate (fraction) that settles at the end of funding period `k` (a pure function of k). */
  fundingEstimate(k: number): number {
    if (this.proc === null) return 0;
    const rng = createRng((this.fundingSeed ^ Math.imul(k, 0x9e3779b1)) >>> 0);
    return Math.round((0.00008 + 0.00006 * rng.normal()) * 1e8) / 1e8;
  }

  markPrice(): number {
    return this.proc === null ? this.tick.last : toTick(this.tick.mid);
  }

  indexPrice(): number {
    return this.proc === null ? this.tick.last : toTick(this.tick.mid * (1 - 0.0002));
  }
}

function pushIf(out: Candle[], c: Candle | null): void {
  if (c !== null) out.push(c);
}
