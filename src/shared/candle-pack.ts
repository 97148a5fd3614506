// Candles as columns of one flat Float64Array (ts, open, high, low, close, volume per candle) in a
// SharedArrayBuffer: a month of candles is 2 MB of numbers, read by the main thread and the replay's
// encoding thread alike, instead of 41,000 objects with six boxed numbers each in every heap that holds
// them. A candle is made as an object only when asked for. Pure; the numbers come back bit for bit.
import type { Candle } from './types.js';

const FIELDS = 6;
const MINUTE = 60_000;

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

/**
 * Gap-free 1-minute candles built one at a time, straight into columns (no array of objects, however long the
 * file): a missing minute becomes a flat candle at the previous close, as an exchange serves minutes without
 * trades. The numbers grow in a private buffer and are copied once into shared memory by `columns()`.
 */
export class GapFreeColumns {
  private data: Float64Array;
  private n = 0;

  /** `expected`: candles to make room for at first (it grows past that as needed). */
  constructor(expected = 1024) {
    this.data = new Float64Array(Math.max(16, Math.ceil(expected)) * FIELDS);
  }

  get length(): number {
    return this.n;
  }

  /** Appends `c` after flat candles for any minutes missing before it; throws unless it follows on the minute grid. */
  push(c: Candle): void {
    const last = this.n > 0 ? this.data[(this.n - 1) * FIELDS]! : Number.NaN;
    if (c.ts % MINUTE !== 0 || c.ts <= last) throw new Error(`replay: candles must be ascending 1-minute candles (at ${c.ts})`);
    if (this.n > 0) {
      const p = this.data[(this.n - 1) * FIELDS + 4]!;
      for (let t = last + MINUTE; t < c.ts; t += MINUTE) this.put(t, p, p, p, p, 0);
    }
    this.put(c.ts, c.open, c.high, c.low, c.close, c.volume);
  }

  /** The candles so far, in shared memory (exactly their size). */
  columns(): CandleColumns {
    const out = new Float64Array(new SharedArrayBuffer(this.n * FIELDS * 8));
    out.set(this.data.subarray(0, this.n * FIELDS));
    return new CandleColumns(out);
  }

  private put(ts: number, open: number, high: number, low: number, close: number, volume: number): void {
    let k = this.n * FIELDS;
    if (k + FIELDS > this.data.length) {
      const grown = new Float64Array(Math.ceil((this.data.length * 1.5) / FIELDS) * FIELDS + FIELDS);
      grown.set(this.data);
      this.data = grown;
    }
    const d = this.data;
    d[k++] = ts;
    d[k++] = open;
    d[k++] = high;
    d[k++] = low;
    d[k++] = close;
    d[k] = volume;
    this.n++;
  }
}
