// Decoded market frames as compact binary records, for the in-process replay (docs/architecture.md, Threads:
// the replay encoder): the encoding thread runs a frame it encodes through the codec's decoder (the FrameReader
// the socket path runs) and hands the decoded frame to the main thread as a record of numbers, which the main
// thread turns back into the same Frame. Decoding then overlaps trading instead of queueing in front of it. A record is
// never JSON text, so it is told apart from a frame's raw text (which starts with `{`) by its first byte:
//   [kind u8][symbol u8][channel u8][0 u8] then float64 values: ts and the frame's numbers, in Frame order.
// A symbol or channel is sent once as a name record ([NAME][index][0][0] + its ASCII bytes) before its first use.
// The ring places a record's bytes 4 bytes past an 8-byte boundary (frame-ring.ts), so its numbers are written
// and read in place through a Float64Array.
import type { Frame } from './bitunix/frame.js';
import type { FrameSlots } from './bitunix/frame-reader.js';
import type { FrameRoom } from './ring-frames.js';

const BOOK = 1;
const TRADE = 2;
const KLINE = 3;
const PRICE = 4;
const NAME = 5;
/** Names a reader keeps (a replay has one symbol and a few kline channels). */
const MAX_NAMES = 255;
const HEAD = 4;
const MAX_NAME_BYTES = 200;

/** The longest record: a kline's or a price's ts and five values. */
const MAX_RECORD_BYTES = HEAD + 8 * 6;

/**
 * The encoding thread's half: each record is written in place where `to` gives room (the frame ring, through
 * `ringRoom`), which must put a record's bytes 4 bytes past an 8-byte boundary of its memory, as the ring does.
 */
export class FrameRecordWriter {
  private readonly names = new Map<string, number>();
  private lastName = '';
  private lastIndex = -1;
  private viewed: Uint8Array | null = null;
  private nums: Float64Array<ArrayBufferLike> = new Float64Array(0);

  constructor(private readonly to: FrameRoom) {}

  /** Write `f` as a record; false when it has no record form (the caller sends its text instead). */
  write(f: Frame): boolean {
    // One case per frame kind, so each reads its own fields (one object shape) on this hot path.
    let i: number;
    switch (f.type) {
      case 'book':
        i = this.begin(BOOK, f.symbol, '', f.ts);
        if (i < 0) return false;
        this.nums[i + 1] = f.bid;
        this.nums[i + 2] = f.ask;
        this.nums[i + 3] = f.bidQty;
        this.nums[i + 4] = f.askQty;
        this.to.written(HEAD + 5 * 8);
        return true;
      case 'trade':
        i = this.begin(TRADE, f.symbol, '', f.ts);
        if (i < 0) return false;
        this.nums[i + 1] = f.price;
        this.nums[i + 2] = f.qty;
        this.to.written(HEAD + 3 * 8);
        return true;
      case 'kline':
        i = this.begin(KLINE, f.symbol, f.channel, f.ts);
        if (i < 0) return false;
        this.nums[i + 1] = f.open;
        this.nums[i + 2] = f.high;
        this.nums[i + 3] = f.low;
        this.nums[i + 4] = f.close;
        this.nums[i + 5] = f.volume;
        this.to.written(HEAD + 6 * 8);
        return true;
      case 'price':
        i = this.begin(PRICE, f.symbol, '', f.ts);
        if (i < 0) return false;
        this.nums[i + 1] = f.markPrice;
        this.nums[i + 2] = f.indexPrice;
        this.nums[i + 3] = f.fundingRate;
        this.nums[i + 4] = f.fundingTime;
        this.nums[i + 5] = f.nextFundingTime;
        this.to.written(HEAD + 6 * 8);
        return true;
      default:
        return false;
    }
  }

  /** Room taken, a record's head and ts written: the float64 index of its ts; -1 when its names have no index. */
  private begin(kind: number, symbol: string, channel: string, ts: number): number {
    const s = this.nameIndex(symbol);
    const c = channel === '' ? 0 : this.nameIndex(channel);
    if (s < 0 || c < 0) return -1;
    const at = this.to.room(MAX_RECORD_BYTES);
    const b = this.to.buffer;
    if (b !== this.viewed) {
      this.viewed = b;
      this.nums = new Float64Array(b.buffer, 0, b.buffer.byteLength >> 3);
    }
    const first = b.byteOffset + at + HEAD;
    if ((first & 7) !== 0) throw new Error('frame records: a record must start 4 bytes past an 8-byte boundary');
    b[at] = kind;
    b[at + 1] = s;
    b[at + 2] = c;
    b[at + 3] = 0;
    this.nums[first >> 3] = ts;
    return first >> 3;
  }

  /** The index of a name, written as a name record the first time; -1 once the table is full or the name is not ASCII. */
  private nameIndex(name: string): number {
    if (name === this.lastName) return this.lastIndex;
    let idx = this.names.get(name);
    if (idx === undefined) {
      idx = this.names.size;
      if (idx >= MAX_NAMES || name.length > MAX_NAME_BYTES || !/^[\x20-\x7e]*$/.test(name)) return -1;
      const at = this.to.room(HEAD + name.length);
      const b = this.to.buffer;
      b[at] = NAME;
      b[at + 1] = idx;
      b[at + 2] = 0;
      b[at + 3] = 0;
      for (let j = 0; j < name.length; j++) b[at + HEAD + j] = name.charCodeAt(j);
      this.to.written(HEAD + name.length);
      this.names.set(name, idx);
    }
    this.lastName = name;
    this.lastIndex = idx;
    return idx;
  }
}

/** True when b[start] begins a record rather than a frame's raw text. */
export function isFrameRecord(b: Uint8Array, start: number): boolean {
  return b[start] !== 0x7b; // {
}

/** The main thread's half. */
export class FrameRecordReader {
  private readonly names: string[] = [];
  private view: Buffer | null = null;
  private nums: Float64Array<ArrayBufferLike> = new Float64Array(0);
  /** A record not 8-byte aligned in its memory (not from the ring) is copied here first. */
  private readonly aligned = Buffer.from(new Float64Array(32).buffer);

  /** `slots`: each record read into them, valid until the next read (as FrameReader's); by default a new Frame each. */
  constructor(private readonly slots: FrameSlots | null = null) {}

  /** The frame of the record b[start, end); null for a name record (kept for the records after it). */
  read(b: Buffer, start: number, end: number): Frame | null {
    const kind = b[start]!;
    if (kind === NAME) {
      this.names[b[start + 1]!] = b.toString('latin1', start + HEAD, end);
      return null;
    }
    if (((b.byteOffset + start + HEAD) & 7) !== 0) {
      b.copy(this.aligned, 4, start, end);
      return this.read(this.aligned, 4, 4 + end - start);
    }
    if (b !== this.view) this.viewOf(b);
    const symbol = this.name(b[start + 1]!);
    const v = this.nums;
    const i = (b.byteOffset + start + HEAD) >> 3;
    const ts = v[i]!;
    const slots = this.slots;
    switch (kind) {
      case BOOK: {
        if (slots === null) return { type: 'book', symbol, ts, bid: v[i + 1]!, ask: v[i + 2]!, bidQty: v[i + 3]!, askQty: v[i + 4]! };
        const f = slots.book;
        f.symbol = symbol;
        f.ts = ts;
        f.bid = v[i + 1]!;
        f.ask = v[i + 2]!;
        f.bidQty = v[i + 3]!;
        f.askQty = v[i + 4]!;
        return f;
      }
      case TRADE: {
        if (slots === null) return { type: 'trade', symbol, ts, price: v[i + 1]!, qty: v[i + 2]! };
        const f = slots.trade;
        f.symbol = symbol;
        f.ts = ts;
        f.price = v[i + 1]!;
        f.qty = v[i + 2]!;
        return f;
      }
      case KLINE: {
        const channel = this.name(b[start + 2]!);
        if (slots === null)
          return { type: 'kline', symbol, ts, channel, open: v[i + 1]!, high: v[i + 2]!, low: v[i + 3]!, close: v[i + 4]!, volume: v[i + 5]! };
        const f = slots.kline;
        f.symbol = symbol;
        f.ts = ts;
        f.channel = channel;
        f.open = v[i + 1]!;
        f.high = v[i + 2]!;
        f.low = v[i + 3]!;
        f.close = v[i + 4]!;
        f.volume = v[i + 5]!;
        return f;
      }
      case PRICE: {
        if (slots === null) {
          return {
            type: 'price',
            symbol,
            ts,
            markPrice: v[i + 1]!,
            indexPrice: v[i + 2]!,
            fundingRate: v[i + 3]!,
            fundingTime: v[i + 4]!,
            nextFundingTime: v[i + 5]!,
          };
        }
        const f = slots.price;
        f.symbol = symbol;
        f.ts = ts;
        f.markPrice = v[i + 1]!;
        f.indexPrice = v[i + 2]!;
        f.fundingRate = v[i + 3]!;
        f.fundingTime = v[i + 4]!;
        f.nextFundingTime = v[i + 5]!;
        return f;
      }
      default:
        throw new Error(`frame records: unknown record kind ${kind}`);
    }
  }

  /** The float64s of b's memory (a record's numbers are 8-byte aligned in it). */
  private viewOf(b: Buffer): void {
    this.view = b;
    this.nums = new Float64Array(b.buffer, 0, b.buffer.byteLength >> 3);
  }

  private name(idx: number): string {
    const s = this.names[idx];
    if (s === undefined) throw new Error(`frame records: name ${idx} used before it was sent`);
    return s;
  }
}
