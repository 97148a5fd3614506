// How far a price may plausibly move in a stretch of market time: the one bound that live ticks (PriceGuard)
// and candles fetched from REST (validateCandles) are held to. Moves are compared as log returns, so a fall
// and a rise by the same ratio are judged alike, and the allowed move grows with the square root of the time
// elapsed (as volatility does) up to a ceiling: however long the market went unseen, a price beyond the
// ceiling is never plausible on its own and needs a second, independent frame to confirm it.

export interface PriceBound {
  /** Largest plausible move within one second of market time, as a fraction of the price (0.10 = 10 %). */
  perSecond: number;
  /** Largest plausible move over any stretch of market time, as a fraction of the price. */
  max: number;
}

/** A price the engine trusts, at the market time it was seen. */
export interface TrustedPrice {
  price: number;
  ts: number;
}

/** BTC and ETH: a 10 % move within a second has never happened; 25 % is the ceiling. */
const MAJORS: PriceBound = { perSecond: 0.1, max: 0.25 };
/** Smaller coins move harder. */
const OTHERS: PriceBound = { perSecond: 0.2, max: 0.5 };

export function priceBoundFor(symbol: string): PriceBound {
  return /^(BTC|ETH)/.test(symbol) ? MAJORS : OTHERS;
}

/** Largest plausible |ln(p1 / p0)| for two prices `dtMs` of market time apart. */
export function allowedLogMove(b: PriceBound, dtMs: number): number {
  const seconds = dtMs <= 1000 ? 1 : Math.sqrt(dtMs / 1000);
  return Math.min(Math.log1p(b.max), Math.log1p(b.perSecond) * seconds);
}

/** Whether every price in [lo, hi] is a plausible move from `ref` over `dtMs` of market time. */
export function withinBound(b: PriceBound, ref: number, lo: number, hi: number, dtMs: number): boolean {
  const m = allowedLogMove(b, Math.abs(dtMs));
  // Written so that NaN fails.
  return lo >= ref * Math.exp(-m) && hi <= ref * Math.exp(m);
}
