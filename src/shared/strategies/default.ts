// The built-in `default` strategy: the original's setup logic (docs/original-system.md §4.2 A1 + A3) without
// its bugs. Trend from EMA20/EMA50; in a trend, a pullback entry only when the close is near EMA20 (the
// original fired on every trending candle, bug 22); otherwise a reclaimed liquidity sweep with EMA and volume
// filters, whose VWAP target is kept only when it lies on the profitable side (bug 24). A 5-bar cooldown
// after each signal is measured on the monotonic ctx.barIndex (the original's buffer-length cooldown never
// expired once the buffer was full, bug 24).
import { atr, detectSweep, ema, vwap } from '../indicators.js';
import type { Strategy, StrategyContext } from '../strategy.js';
import type { Candle, Signal } from '../types.js';

/** EMA50 needs 50 closes; one more candle gives a previous close for every TR of the ATR. */
const MIN_CANDLES = 51;
/** Closes the EMAs are computed over: enough for EMA50 to forget its SMA seed, and cheap per candle. */
const EMA_WINDOW = 200;
const COOLDOWN_BARS = 5;
/** Minimum ATR/close: below it the market is too quiet to place a stop (original `low_volatility`). */
const MIN_ATR_PCT = 0.0001;
/** Pullback entry band around EMA20: at least 0.1 % (original entry_band_pct), wider in volatile markets. */
const MIN_BAND_PCT = 0.001;
const BAND_ATR_MULT = 0.5;
/** Sweep setup (original sweep_invalidation config). */
const SWEEP_LOOKBACK = 10;
const SWEEP_STOP_ATR = 0.5;
const VWAP_CANDLES = 60;
const VOLUME_CANDLES = 20;
const MIN_VOLUME_RATIO = 0.5;

export type Trend = 'UP' | 'DOWN' | 'CHOP';

export function trendOf(close: number, ema20: number, ema50: number): Trend {
  if (ema20 > ema50 && close > ema20) return 'UP';
  if (ema20 < ema50 && close < ema20) return 'DOWN';
  return 'CHOP';
}

/** Sweep-invalidation setup on the last candle, or null. `a` is the ATR. */
function sweepSignal(candles: Candle[], closes: number[], ema20: number, a: number): Signal | null {
  const sweep = detectSweep(candles.slice(-(SWEEP_LOOKBACK + 1)), SWEEP_LOOKBACK);
  if (sweep === null) return null;
  const ema9 = ema(closes, 9);
  if (ema9 === null) return null;
  const last = candles[candles.length - 1];
  const recent = candles.slice(-VOLUME_CANDLES);
  let volSum = 0;
  for (const c of recent) volSum += c.volume;
  if (last.volume < MIN_VOLUME_RATIO * (volSum / recent.length)) return null;
  const target = vwap(candles.slice(-VWAP_CANDLES));
  if (sweep.swept === 'LOW') {
    if (ema9 < ema20) return null; // momentum still down: a sweep of lows is not yet a reversal
    const signal: Signal = { side: 'LONG', sl: sweep.level - SWEEP_STOP_ATR * a };
    if (target !== null && target > last.close) signal.tp = target;
    return signal;
  }
  if (ema9 > ema20) return null;
  const signal: Signal = { side: 'SHORT', sl: sweep.level + SWEEP_STOP_ATR * a };
  if (target !== null && target < last.close) signal.tp = target;
  return signal;
}

/** A fresh instance (the cooldown is per instance: one per session/symbol). */
export function createDefaultStrategy(): Strategy {
  let lastSignalBar: number | null = null;
  return {
    name: 'default',
    onCandle(candles: Candle[], ctx: StrategyContext): Signal | null {
      if (candles.length < MIN_CANDLES || ctx.position !== null) return null;
      if (lastSignalBar !== null) {
        const since = ctx.barIndex - lastSignalBar;
        if (since >= 0 && since < COOLDOWN_BARS) return null; // negative: a new session restarted the count
      }
      const closes = candles.slice(-EMA_WINDOW).map((c) => c.close);
      const ema20 = ema(closes, 20);
      const ema50 = ema(closes, 50);
      const a = atr(candles.slice(-15), 14);
      const close = closes[closes.length - 1];
      if (ema20 === null || ema50 === null || a === null || !(close > 0) || a / close < MIN_ATR_PCT) return null;

      let signal: Signal | null = null;
      const trend = trendOf(close, ema20, ema50);
      const band = Math.max(MIN_BAND_PCT, (BAND_ATR_MULT * a) / close);
      if (trend !== 'CHOP' && Math.abs(close - ema20) / close <= band) {
        // pullback_ribbon: with the trend, entered near EMA20; the engine applies --stop-bps and --tp-r.
        signal = { side: trend === 'UP' ? 'LONG' : 'SHORT' };
      } else {
        signal = sweepSignal(candles, closes, ema20, a);
      }
      if (signal !== null) lastSignalBar = ctx.barIndex;
      return signal;
    },
  };
}

export const defaultStrategy: Strategy = createDefaultStrategy();
export default defaultStrategy;
