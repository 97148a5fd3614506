// Synthesises the ticks inside one recorded 1-minute candle, for replaying candle CSVs through the
// simulator. The path runs open → the nearer extreme → the other extreme → close (a plausible intraminute
// path), interpolated on the price grid, and its trades visit exactly open, high, low and close, so a
// candle rebuilt from the ticks has exactly the file's OHLC. Quotes are one tick wide around the trade
// (a buy lifts the ask, a sell hits the bid). Pure and deterministic.
import { CandleColumns } from './candle-pack.js';
import type { PriceTick } from './price-process.js';
import type { Candle } from './types.js';

const MINUTE = 60_000;
export const MIN_TICKS_PER_CANDLE = 4;
export const MAX_TICKS_PER_CANDLE = 1000;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/** Decimals of a price tick (0.1 → 1, 0.01 → 2, 1 → 0). */
function decimalsOf(tick: number): number {
  return Math.max(0, Math.ceil(-Math.log10(tick) - 1e-9));
}

/**
 * `Number(x.toFixed(decimals))`, without the string round trip when the answer is certain: when x·10^d lies
 * well clear of a half (and far below 2^50, so its rounding error is far below 0.125), toFixed rounds to the
 * same integer k, and k / 10^d (one correctly rounded division) is the double nearest that decimal.
 */
function roundTo(x: number, decimals: number): number {
  const p = POW10[decimals];
  if (p !== undefined) {
    const y = x * p;
    const k = Math.round(y);
    if (Math.abs(y - k) < 0.375 && Math.abs(y) < 2 ** 50) return k / p;
  }
  return Number(x.toFixed(decimals));
}

/**
 * The price tick of a candle series: 10^-d for the fewest decimals d (0–8) that every price has, e.g. 0.01
 * for Binance spot, 0.1 for the USDT-M perpetual.
 */
export function inferPriceTick(candles: Iterable<Candle>): number {
  // Packed candles are read in place: a year of them would otherwise be half a million objects made to be dropped.
  if (candles instanceof CandleColumns) return tickOfDecimals(candles.foldPrices(decimalsWith, 0));
  let d = 0;
  for (const c of candles) d = decimalsWith(decimalsWith(decimalsWith(decimalsWith(d, c.open), c.high), c.low), c.close);
  return tickOfDecimals(d);
}

/** The fewest decimals, at least `d` and at most 8, that `price` has. */
function decimalsWith(d: number, price: number): number {
  while (d < 8) {
    const scaled = price * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, Math.abs(scaled))) break;
    d++;
  }
  return d;
}

function tickOfDecimals(d: number): number {
  return roundTo(10 ** -d, d);
}

/**
 * `n` ticks inside candle `c`'s minute (ts strictly increasing, in (c.ts, c.ts + 60 s)). The first trade is
 * at the open, the last at the close, and the high and low are each traded once on the way; each tick's
 * qty is an equal share of the candle's volume.
 */
export function synthTicks(c: Candle, n: number, priceTick: number): PriceTick[] {
  return synthTicksInto(c, n, priceTick, []);
}

/**
 * `synthTicks` into `out`: its tick objects are overwritten in place (a replay that keeps no tick of an
 * earlier candle need not allocate a dozen objects per candle), missing ones are made. Returns `out`.
 */
export function synthTicksInto(c: Candle, n: number, priceTick: number, out: PriceTick[]): PriceTick[] {
  if (!Number.isInteger(n) || n < MIN_TICKS_PER_CANDLE || n > MAX_TICKS_PER_CANDLE) {
    throw new Error(`synthTicks: ticks per candle must be an integer ${MIN_TICKS_PER_CANDLE}-${MAX_TICKS_PER_CANDLE}, got ${n}`);
  }
  if (!(priceTick > 0)) throw new Error(`synthTicks: price tick must be > 0, got ${priceTick}`);
  if (!(c.low > 0) || c.low > Math.min(c.open, c.close) || c.high < Math.max(c.open, c.close)) {
    throw new Error(`synthTicks: inconsistent candle at ${c.ts}: o ${c.open} h ${c.high} l ${c.low} c ${c.close}`);
  }
  const dec = decimalsOf(priceTick);
  // The nearer extreme is visited first; on a tie, the high.
  const highFirst = c.high - c.open <= c.open - c.low;
  const way = highFirst ? [c.open, c.high, c.low, c.close] : [c.open, c.low, c.high, c.close];
  // Waypoint positions proportional to the price distance travelled, each leg at least one tick long.
  const d1 = Math.abs(way[1]! - way[0]!);
  const d2 = Math.abs(way[2]! - way[1]!);
  const total = d1 + d2 + Math.abs(way[3]! - way[2]!);
  const last = n - 1;
  const frac1 = total > 0 ? d1 / total : 1 / 3;
  const frac2 = total > 0 ? (d1 + d2) / total : 2 / 3;
  const i1 = Math.min(Math.max(Math.round(last * frac1), 1), last - 2);
  const i2 = Math.min(Math.max(Math.round(last * frac2), i1 + 1), last - 1);
  const at = [0, i1, i2, last];

  const prices: number[] = new Array<number>(n);
  for (let k = 0; k < 3; k++) {
    const [ia, ib] = [at[k]!, at[k + 1]!];
    const [pa, pb] = [way[k]!, way[k + 1]!];
    prices[ia] = pa;
    for (let i = ia + 1; i < ib; i++) {
      const p = pa + ((pb - pa) * (i - ia)) / (ib - ia);
      prices[i] = Math.min(c.high, Math.max(c.low, roundTo(Math.round(p / priceTick) * priceTick, dec)));
    }
  }
  prices[last] = c.close;

  const qty = Math.max(0, roundTo(c.volume / n, 8));
  out.length = Math.min(out.length, n);
  let prevSide: 'buy' | 'sell' = c.close >= c.open ? 'buy' : 'sell';
  for (let i = 0; i < n; i++) {
    const p = prices[i]!;
    const prev = i > 0 ? prices[i - 1]! : p;
    // Rising prints lift the ask, falling ones hit the bid; a flat print keeps the previous aggressor.
    let side: 'buy' | 'sell' = p > prev ? 'buy' : p < prev ? 'sell' : prevSide;
    if (side === 'buy' && roundTo(p - priceTick, dec) <= 0) side = 'sell'; // keep the bid above zero
    prevSide = side;
    const bid = side === 'buy' ? roundTo(p - priceTick, dec) : p;
    const ask = side === 'buy' ? p : roundTo(p + priceTick, dec);
    const ts = c.ts + Math.floor(((i + 1) * MINUTE) / (n + 1));
    const mid = roundTo((bid + ask) / 2, dec + 1);
    const t = out[i];
    if (t === undefined) out.push({ ts, mid, bid, ask, last: p, qty, side });
    else {
      t.ts = ts;
      t.mid = mid;
      t.bid = bid;
      t.ask = ask;
      t.last = p;
      t.qty = qty;
      t.side = side;
    }
  }
  return out;
}
