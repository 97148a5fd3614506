// Candles as columns of one flat Float64Array (ts, open, high, low, close, volume per candle) in a
// SharedArrayBuffer: a month of candles is 2 MB of numbers, read by the main thread and the replay's
// encoding thread alike, instead of 41,000 objects with six boxed numbers each in every heap that holds
// them. A candle is made as an object only when asked for. Pure; the numbers come back bit for bit.
import type { Candle } from './types.js';

const FIELDS = 6;
const MINUTE = 60_000;

/** Candle `i` of packed numbers `d` (the one layout of this file), into `out`; returns `out`. */
function readCandle(d: Float64Array, i: number, out: Candle): Candle {
  const k = i * FIELDS;
  out.ts = d[k]!;
  out.open = d[k + 1]!;
  out.high = d[k + 2]!;
  out.low = d[k + 3]!;
  out.close = d[k + 4]!;
  out.volume = d[k + 5]!;
  return out;
}

/** `c` as candle `i` of packed numbers `d`. */
function writeCandle(d: Float64Array, i: number, c: Candle): void {
  const k = i * FIELDS;
  d[k] = c.ts;
  d[k + 1] = c.open;
  d[k + 2] = c.high;
  d[k + 3] = c.low;
  d[k + 4] = c.close;
  d[k + 5] = c.volume;
}

export class CandleColumns implements Iterable<Candle> {
  constructor(readonly data: Float64Array) {
    if (data.length % FIELDS !== 0) throw new Error(`candle columns: ${data.length} numbers is not a whole number of candles`);
  }

  static of(candles: readonly Candle[]): CandleColumns {
    const data = new Float64Array(new SharedArrayBuffer(candles.length * FIELDS * 8));
    for (let i = 0; i < candles.length; i++) writeCandle(data, i, candles[i]!);
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
    return readCandle(this.data, i, out);
  }

  /** `f` folded over every candle's open, high, low and close, in that order, read in place (no candle is made). */
  foldPrices<T>(f: (acc: T, price: number) => T, init: T): T {
    const d = this.data;
    let acc = init;
    for (let k = 0; k < d.length; k += FIELDS) acc = f(f(f(f(acc, d[k + 1]!), d[k + 2]!), d[k + 3]!), d[k + 4]!);
    return acc;
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
  /** A missing minute's flat candle, written once per minute. */
  private readonly flat: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };

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
      const f = this.flat;
      f.open = f.high = f.low = f.close = this.data[(this.n - 1) * FIELDS + 4]!;
      for (let t = last + MINUTE; t < c.ts; t += MINUTE) {
        f.ts = t;
        this.put(f);
      }
    }
    this.put(c);
  }

  /** The candles so far, in shared memory (exactly their size). */
  columns(): CandleColumns {
    const out = new Float64Array(new SharedArrayBuffer(this.n * FIELDS * 8));
    out.set(this.data.subarray(0, this.n * FIELDS));
    return new CandleColumns(out);
  }

  private put(c: Candle): void {
    if ((this.n + 1) * FIELDS > this.data.length) {
      const grown = new Float64Array(Math.ceil((this.data.length * 1.5) / FIELDS) * FIELDS + FIELDS);
      grown.set(this.data);
      this.data = grown;
    }
    writeCandle(this.data, this.n++, c);
  }
}

/**
 * Up to `capacity` candles packed in shared memory, oldest first: the session's newest closed candles, 48 bytes
 * each and outside every garbage-collected heap (100,000 candle objects were 17 MB of it). The persistence
 * worker formats candles.csv from `rows()` in place. A candle is lent as one reused object to the visitor.
 */
export class CandleRows {
  private readonly data: Float64Array;
  private n = 0;
  private readonly lent: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };

  constructor(readonly capacity: number) {
    this.data = new Float64Array(new SharedArrayBuffer(Math.max(1, capacity) * FIELDS * 8));
  }

  get length(): number {
    return this.n;
  }

  push(c: Candle): void {
    if (this.n >= this.capacity) throw new Error(`candle rows: full at ${this.capacity}`);
    writeCandle(this.data, this.n++, c);
  }

  /** Takes the oldest `count` candles out, each lent to `visit` first, in order. */
  shift(count: number, visit: (c: Candle) => void): void {
    const k = Math.min(count, this.n);
    for (let i = 0; i < k; i++) visit(readCandle(this.data, i, this.lent));
    this.data.copyWithin(0, k * FIELDS, this.n * FIELDS);
    this.n -= k;
  }

  forEach(visit: (c: Candle) => void): void {
    for (let i = 0; i < this.n; i++) visit(readCandle(this.data, i, this.lent));
  }

  /** All of them in time order again, after candles were pushed out of order (a backfill: rare). */
  sort(): void {
    const all: Candle[] = [];
    this.forEach((c) => {
      all.push({ ...c });
    });
    all.sort((a, b) => a.ts - b.ts);
    for (let i = 0; i < all.length; i++) writeCandle(this.data, i, all[i]!);
  }

  /** The packed rows (ts, open, high, low, close, volume each), a view of the shared memory. */
  rows(): Float64Array {
    return this.data.subarray(0, this.n * FIELDS);
  }
}
