// A seeded, BTC-like price process in market time, for the exchange simulator. Log-price random walk with
// per-second volatility scaled so one minute moves ≈ 7 bps (1σ), plus a drift that follows a mean-reverting
// (Ornstein–Uhlenbeck) regime so EMA20/EMA50 trends and pullbacks occur, plus rare jumps. Quotes sit on the
// 0.1 tick with a one-tick spread most of the time. Pure: all randomness comes from the Rng passed in.
import { createRng, type Rng } from './rng.js';
import type { Candle } from './types.js';

export interface PriceTick {
  /** Market time (ms). */
  ts: number;
  mid: number;
  bid: number;
  ask: number;
  /** Last trade price: the ask for a buy, the bid for a sell. */
  last: number;
  /** Last trade size in the base coin (0.001–2). */
  qty: number;
  /** Taker side of the last trade. */
  side: 'buy' | 'sell';
}

/** Price tick of BTCUSDT (quotePrecision 1). */
export const PRICE_TICK = 0.1;
const TICKS_PER_UNIT = 10;
/** 1σ log return over one minute (7 bps), expressed per √second. */
const SIGMA_PER_SQRT_SEC = 0.0007 / Math.sqrt(60);
/** Stationary 1σ of the drift regime: 1.5 bps per minute, per second. */
const DRIFT_SD_PER_SEC = 0.00015 / 60;
/** How long a drift regime lasts (mean reversion time constant). */
const DRIFT_TAU_SEC = 1800;
/** About one jump every two hours, 1σ 20 bps. */
const JUMPS_PER_SEC = 1 / 7200;
const JUMP_SD = 0.002;
/** Mean base volume of one minute, for the history candles (matches ~1 trade/s of the live stream). */
const HISTORY_VOLUME_PER_MIN = 16;
const MIN_QTY = 0.001;
const MAX_QTY = 2;

function toTick(price: number): number {
  return Math.round(price * TICKS_PER_UNIT) / TICKS_PER_UNIT;
}

export class PriceProcess {
  readonly startPrice: number;
  readonly startTs: number;
  private logMid: number;
  /** Log drift per second (the current regime). */
  private drift = 0;
  private now: number;
  private readonly historySeed: number;
  /** The drift regime at startTs, which the history walk starts from (backwards). */
  private readonly startDrift: number;

  constructor(
    private readonly rng: Rng,
    startPrice: number,
    startTs: number,
  ) {
    if (!(startPrice > 0) || !Number.isFinite(startTs)) throw new Error(`PriceProcess: bad start ${startPrice} @ ${startTs}`);
    this.startPrice = toTick(startPrice);
    this.startTs = startTs;
    this.logMid = Math.log(this.startPrice);
    this.now = startTs;
    // History gets its own stream so generating it never shifts the live path.
    this.historySeed = rng.int(0, 0x7fffffff);
    this.drift = DRIFT_SD_PER_SEC * rng.normal();
    this.startDrift = this.drift;
  }

  /** Market time of the last step. */
  get ts(): number {
    return this.now;
  }

  /** A sudden move of `bps` basis points (a test fault: a gap the price jumps over). */
  jump(bps: number): void {
    this.logMid += Math.log1p(bps / 10_000);
  }

  /** Exactly undo `jump(bps)`: the price comes back by the same factor. */
  jumpBack(bps: number): void {
    this.logMid -= Math.log1p(bps / 10_000);
  }

  /** Advance to `toTs` (one trade at that instant). A `toTs` not after the last step trades at the same mid. */
  step(toTs: number): PriceTick {
    const rng = this.rng;
    const dt = toTs > this.now ? (toTs - this.now) / 1000 : 0;
    if (dt > 0) {
      this.logMid += this.move(rng, dt);
      this.now = toTs;
    }
    const spreadTicks = rng.next() < 0.85 ? 1 : rng.int(2, 5);
    const bidTicks = Math.round(Math.exp(this.logMid) * TICKS_PER_UNIT - spreadTicks / 2);
    const askTicks = bidTicks + spreadTicks;
    const bid = bidTicks / TICKS_PER_UNIT;
    const ask = askTicks / TICKS_PER_UNIT;
    const side = rng.next() < 0.5 ? 'buy' : 'sell';
    // Log-uniform size: many small fills, a few large ones.
    const qty = Math.max(MIN_QTY, Math.round(Math.exp(rng.uniform(Math.log(MIN_QTY), Math.log(MAX_QTY))) * 1000) / 1000);
    return { ts: this.now, mid: (bidTicks + askTicks) / (2 * TICKS_PER_UNIT), bid, ask, last: side === 'buy' ? ask : bid, qty, side };
  }

  /** One log-return over dt seconds; updates the drift regime (exact OU step). */
  private move(rng: Rng, dt: number): number {
    const decay = Math.exp(-dt / DRIFT_TAU_SEC);
    this.drift = this.drift * decay + DRIFT_SD_PER_SEC * Math.sqrt(1 - decay * decay) * rng.normal();
    let r = this.drift * dt + SIGMA_PER_SQRT_SEC * Math.sqrt(dt) * rng.normal();
    if (rng.next() < 1 - Math.exp(-JUMPS_PER_SEC * dt)) r += JUMP_SD * rng.normal();
    return r;
  }

  /**
   * The `count` closed candles of `intervalMs` that preceded the live stream, ascending, the last one
   * opening at `endTs - intervalMs`. Generated backwards from the start price, so the last close equals
   * `startPrice` and each open equals the previous close. Deterministic for the same arguments; the
   * newest candles do not depend on `count`.
   */
  historyCandles(count: number, endTs: number, intervalMs: number): Candle[] {
    const rng = createRng(this.historySeed);
    const saved = this.drift;
    this.drift = this.startDrift;
    const subSteps = Math.min(120, Math.max(1, Math.round(intervalMs / 5000)));
    const dt = intervalMs / 1000 / subSteps;
    const out: Candle[] = new Array<Candle>(count);
    let logP = Math.log(this.startPrice);
    for (let k = count - 1; k >= 0; k--) {
      const close = toTick(Math.exp(logP));
      let high = close;
      let low = close;
      for (let i = 0; i < subSteps; i++) {
        logP -= this.move(rng, dt);
        const p = toTick(Math.exp(logP));
        if (p > high) high = p;
        if (p < low) low = p;
      }
      const open = toTick(Math.exp(logP));
      // Wicks: the sampled path misses the extremes between samples.
      high = toTick(high + rng.int(0, 2) * PRICE_TICK);
      low = toTick(low - rng.int(0, 2) * PRICE_TICK);
      const volume = Math.round(HISTORY_VOLUME_PER_MIN * (intervalMs / 60_000) * Math.exp(0.6 * rng.normal() - 0.18) * 1e4) / 1e4;
      out[k] = { ts: endTs - (count - k) * intervalMs, open, high, low, close, volume };
    }
    this.drift = saved;
    return out;
  }
}
