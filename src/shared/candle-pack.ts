// Candles as columns of one flat Float64Array (ts, open, high, low, close, volume per candle) in a
// SharedArrayBuffer: a month of candles is 2 MB of numbers, read by the main thread and the replay's
// encoding thread alike, instead of 41,000 objects with six boxed numbers each in every heap that holds
// them. A candle is made as an object only when asked for. Pure; the numbers come back bit for bit.
import type { Candle } from './types.js';

const FIELDS = 6;

export class CandleColumns implements Iterable<Candle> {
  constructor(readonly data: Float64Array) {
    if (data.length % FIELDS !== 0) throw new Error(`candle columns: ${data.length} numbers is not a whole number of candles`);
  }

  static of(candles: readonly Candle[]): CandleColumns {
    const data = new Float64Array(new SharedArrayBuffer(candles.length * FIELDS * 8));
    let i = 0;
    for (const c of candles) {
      data[i++] = c.ts;
      data[i++] = c.open;
      data[i++] = c.high;
      data[i++] = c.low;
      data[i++] = c.close;
      data[i++] = c.volume;
    }
    return new CandleColumns(data);
  }

  get length(): number {
    return this.data.length / FIELDS;
  }

  /** Open time of candle `i`. */
  ts(i: number): number {
    return this.data[i * FIELDS]!;
  }

  /** Candle `i` as a fresh object (the caller may keep or change it). */
  at(i: number): Candle {
    const d = this.data;
    const k = i * FIELDS;
    return { ts: d[k]!, open: d[k + 1]!, high: d[k + 2]!, low: d[k + 3]!, close: d[k + 4]!, volume: d[k + 5]! };
  }

  /** Candle `i` written into `out` (no allocation); returns `out`. */
  into(i: number, out: Candle): Candle {
    const d = this.data;
    const k = i * FIELDS;
    out.ts = d[k]!;
    out.open = d[k + 1]!;
    out.high = d[k + 2]!;
    out.low = d[k + 3]!;
    out.close = d[k + 4]!;
    out.volume = d[k + 5]!;
    return out;
  }

  /** Candles [from, to) as fresh objects. */
  slice(from: number, to: number): Candle[] {
    const out: Candle[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.length); i++) out.push(this.at(i));
    return out;
  }

  *[Symbol.iterator](): Iterator<Candle> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }
}
