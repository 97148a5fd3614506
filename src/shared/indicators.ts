// Indicators used by the built-in strategy, with the original's exact formulas (docs/original-system.md §4.3):
// EMA seeded by an SMA, ATR as the simple mean of the last 14 true ranges, cumulative VWAP, sweep detection.
// `null` means "not enough data"; a value of 0 is a real value (the original treated a zero EMA as missing).
import type { Candle } from './types.js';

/** EMA of `values` at the last value; null if period ≤ 0 or fewer than `period` values. */
export function ema(values: readonly number[], period: number): number | null {
  if (!(period > 0) || !Number.isInteger(period) || values.length < period) return null;
  let e = 0;
  for (let i = 0; i < period; i++) e += values[i];
  e /= period;
  const k = 2 / (period + 1);
  for (let i = period; i < values.length; i++) e = (values[i] - e) * k + e;
  return e;
}

/** max(h − l, |h − prevClose|, |l − prevClose|); just h − l without a previous close. */
export function trueRange(c: Candle, prevClose: number | null = null): number {
  if (prevClose === null) return c.high - c.low;
  return Math.max(c.high - c.low, Math.abs(c.high - prevClose), Math.abs(c.low - prevClose));
}

/** Simple mean of the last `period` true ranges; needs ≥ period + 1 candles (each TR uses the previous close). */
export function atr(candles: readonly Candle[], period = 14): number | null {
  const n = candles.length;
  if (!(period > 0) || n < period + 1) return null;
  let sum = 0;
  for (let i = n - period; i < n; i++) sum += trueRange(candles[i], candles[i - 1].close);
  return sum / period;
}

/**
 * Last value of the cumulative VWAP over `candles`: Σ(typical·volume)/Σvolume with typical = (h+l+c)/3;
 * the close while the cumulative volume is 0. Null for no candles.
 */
export function vwap(candles: readonly Candle[]): number | null {
  if (candles.length === 0) return null;
  let pv = 0;
  let vol = 0;
  for (const c of candles) {
    pv += ((c.high + c.low + c.close) / 3) * c.volume;
    vol += c.volume;
  }
  return vol === 0 ? candles[candles.length - 1].close : pv / vol;
}

export interface Sweep {
  /** Which side's liquidity the last candle ran: above the window high, or below the window low. */
  swept: 'HIGH' | 'LOW';
  /** The swept level: the window's highest high or lowest low. */
  level: number;
  /** The last candle closed back inside the level. Always true here: an unreclaimed run is not a sweep. */
  reclaimed: true;
}

/**
 * Sweep of the `lookback` candles before the last one: HIGH when the last candle trades above their highest
 * high and closes back below it; else LOW when it trades below their lowest low and closes back above it.
 * Null when there is no sweep or fewer than lookback + 1 candles.
 */
export function detectSweep(candles: readonly Candle[], lookback = 10): Sweep | null {
  const n = candles.length;
  if (!(lookback > 0) || n < lookback + 1) return null;
  let hi = -Infinity;
  let lo = Infinity;
  for (let i = n - 1 - lookback; i < n - 1; i++) {
    if (candles[i].high > hi) hi = candles[i].high;
    if (candles[i].low < lo) lo = candles[i].low;
  }
  const last = candles[n - 1];
  if (last.high > hi && last.close < hi) return { swept: 'HIGH', level: hi, reclaimed: true };
  if (last.low < lo && last.close > lo) return { swept: 'LOW', level: lo, reclaimed: true };
  return null;
}
