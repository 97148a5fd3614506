// The last `capacity` rows of a fixed set of numeric columns, stored column-wise in typed arrays: a sample costs
// its columns' bytes (no object, no boxed numbers), and the whole ring never holds more than `capacity` rows.
// The newest row overwrites the oldest once the ring is full.

export type ColumnKind = 'f64' | 'f32' | 'u32' | 'u8';

type ColumnArray = Float64Array | Float32Array | Uint32Array | Uint8Array;

const make: Record<ColumnKind, (n: number) => ColumnArray> = {
  f64: (n) => new Float64Array(n),
  f32: (n) => new Float32Array(n),
  u32: (n) => new Uint32Array(n),
  u8: (n) => new Uint8Array(n),
};

export class ColumnRing<K extends string> {
  private readonly cols: Record<K, ColumnArray>;
  /** Index the next row is written at. */
  private next = 0;
  private count = 0;

  constructor(
    readonly capacity: number,
    kinds: Record<K, ColumnKind>,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`column ring capacity must be a positive integer, got ${capacity}`);
    const cols = {} as Record<K, ColumnArray>;
    for (const k of Object.keys(kinds) as K[]) cols[k] = make[kinds[k]](capacity);
    this.cols = cols;
  }

  push(row: Readonly<Record<K, number>>): void {
    for (const k in this.cols) this.cols[k][this.next] = row[k];
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** Column `col` of row `i`, 0 being the oldest row kept. */
  get(i: number, col: K): number {
    if (i < 0 || i >= this.count) throw new RangeError(`row ${i} outside 0..${this.count - 1}`);
    return this.cols[col][(this.next - this.count + i + this.capacity) % this.capacity] as number;
  }

  /** Bytes the columns take, full or not (fixed at construction). */
  get bytes(): number {
    let n = 0;
    for (const k in this.cols) n += this.cols[k].byteLength;
    return n;
  }
}

/** Small codes for the few distinct strings a column stands for (a status, a side). */
export class StringCodes {
  private readonly strings: string[] = [];
  private readonly codes = new Map<string, number>();

  constructor(private readonly max = 255) {}

  codeOf(s: string): number {
    let c = this.codes.get(s);
    if (c === undefined) {
      if (this.strings.length >= this.max) throw new RangeError(`more than ${this.max} distinct values for a coded column (new: ${JSON.stringify(s)})`);
      c = this.strings.length;
      this.strings.push(s);
      this.codes.set(s, c);
    }
    return c;
  }

  stringOf(code: number): string {
    const s = this.strings[code];
    if (s === undefined) throw new RangeError(`no string for code ${code}`);
    return s;
  }
}
