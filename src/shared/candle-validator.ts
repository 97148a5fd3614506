// Candles fetched from REST (the history seed, gap backfills, blind-span recovery) are checked before they
// may seed the strategy's history or close a position: finite positive numbers, consistent OHLC, open times
// on the interval's grid, and prices within the price bound of the trusted ones. Prices are judged as a
// chain that starts at the trusted price and walks outwards in time, each candle against its accepted
// neighbour, so a long history that trends is kept while one corrupt candle (a low of 1) is not.
import { withinBound, type PriceBound, type TrustedPrice } from './price-bound.js';
import type { Candle } from './types.js';

export type CandleRejection = 'bad_number' | 'inconsistent_ohlc' | 'off_grid' | 'duplicate' | 'implausible_price';

export interface CandleCheck {
  intervalMs: number;
  bound: PriceBound;
  /** The last trusted price; null when none is known yet (the batch's median close stands in). */
  reference: TrustedPrice | null;
}

export interface CandleVerdict {
  /** Ascending by open time. */
  accepted: Candle[];
  rejected: Partial<Record<CandleRejection, number>>;
}

/**
 * A real Bitunix candle was seen opening outside [low, high] at the previous close; an open that far
 * (as a fraction of the price) outside the range is still accepted.
 */
const OPEN_OUTSIDE_RANGE = 0.01;

export function validateCandles(candles: readonly Candle[], check: CandleCheck): CandleVerdict {
  const rejected: Partial<Record<CandleRejection, number>> = {};
  const reject = (reason: CandleRejection): void => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };
  const sound: Candle[] = [];
  for (const c of candles) {
    const reason = shapeFault(c, check.intervalMs);
    if (reason === null) sound.push(c);
    else reject(reason);
  }
  sound.sort((a, b) => a.ts - b.ts);
  const unique: Candle[] = [];
  for (const c of sound) {
    if (unique.length > 0 && unique[unique.length - 1]!.ts === c.ts) reject('duplicate');
    else unique.push(c);
  }
  if (unique.length === 0) return { accepted: [], rejected };

  const I = check.intervalMs;
  const ref = check.reference ?? medianClose(unique, I);
  const plausible = (c: Candle, at: TrustedPrice): boolean => {
    // Time from the reference to the nearest instant of the candle, plus the candle's own span.
    const gap = at.ts < c.ts ? c.ts - at.ts : at.ts > c.ts + I ? at.ts - (c.ts + I) : 0;
    return withinBound(check.bound, at.price, Math.min(c.open, c.low), Math.max(c.open, c.high), gap + I);
  };
  const keep = new Array<boolean>(unique.length).fill(false);
  // Candles that ended by the reference, newest first; then the rest, oldest first.
  const split = unique.findIndex((c) => c.ts + I > ref.ts);
  const firstAfter = split === -1 ? unique.length : split;
  let at = ref;
  for (let i = firstAfter - 1; i >= 0; i--) {
    const c = unique[i]!;
    if (!plausible(c, at)) continue;
    keep[i] = true;
    at = { price: c.open, ts: c.ts };
  }
  at = ref;
  for (let i = firstAfter; i < unique.length; i++) {
    const c = unique[i]!;
    if (!plausible(c, at)) continue;
    keep[i] = true;
    at = { price: c.close, ts: c.ts + I };
  }
  const accepted: Candle[] = [];
  unique.forEach((c, i) => {
    if (keep[i]) accepted.push(c);
    else reject('implausible_price');
  });
  return { accepted, rejected };
}

function shapeFault(c: Candle, intervalMs: number): CandleRejection | null {
  const { open, high, low, close, volume } = c;
  if (![open, high, low, close, volume].every(Number.isFinite) || !(open > 0 && high > 0 && low > 0 && close > 0) || volume < 0) {
    return 'bad_number';
  }
  if (!Number.isInteger(c.ts) || c.ts % intervalMs !== 0) return 'off_grid';
  const slack = OPEN_OUTSIDE_RANGE;
  if (low > high || close < low || close > high || open < low * (1 - slack) || open > high * (1 + slack)) return 'inconsistent_ohlc';
  return null;
}

/** With no trusted price yet, the batch's median close (one corrupt candle cannot move it), at its close time. */
function medianClose(sorted: Candle[], intervalMs: number): TrustedPrice {
  const byClose = [...sorted].sort((a, b) => a.close - b.close);
  const mid = byClose[Math.floor(byClose.length / 2)]!;
  return { price: mid.close, ts: mid.ts + intervalMs };
}
