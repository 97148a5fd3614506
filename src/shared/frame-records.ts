// Decoded market frames as compact binary records, for the in-process replay (docs/architecture.md, "Replay at
// --speed max"): the encoding thread runs each frame it encodes through the codec's decoder (the FrameReader the
// socket path runs) and hands the decoded frame to the main thread as a record of numbers, which the main thread
// turns back into the same Frame. Decoding then overlaps trading instead of queueing in front of it. A record is
// never JSON text, so it is told apart from a frame's raw text (which starts with `{`) by its first byte:
//   [kind u8][symbol u8][channel u8][0 u8] then float64 values: ts and the frame's numbers, in Frame order.
// A symbol or channel is sent once as a name record ([NAME][index][0][0] + its ASCII bytes) before its first use.
// The ring places a record's bytes 4 bytes past an 8-byte boundary (frame-ring.ts), so its numbers are read in
// place through a Float64Array.
import type { Frame } from './bitunix/frame.js';

const BOOK = 1;
const TRADE = 2;
const KLINE = 3;
const PRICE = 4;
const NAME = 5;
/** Names a reader keeps (a replay has one symbol and a few kline channels). */
const MAX_NAMES = 255;
const HEAD = 4;
const MAX_NAME_BYTES = 200;

type HotFrame = Extract<Frame, { type: 'book' | 'trade' | 'kline' | 'price' }>;

/** The encoding thread's half: `put` receives each record's bytes (valid only during the call). */
export class FrameRecordWriter {
  private readonly names = new Map<string, number>();
  private lastName = '';
  private lastIndex = -1;
  /** A record is built here: its head in bytes 4-7, so its numbers land on the float64 slots from 1 on. */
  private readonly nums = new Float64Array(32);
  private readonly bytes = Buffer.from(this.nums.buffer);
  /** The record from its head on, one view made once (a view per record was most of the writer's garbage). */
  private readonly record = this.bytes.subarray(4);

  constructor(private readonly put: (bytes: Buffer, length: number) => void) {}

  /** Put `f` as a record; false when it has no record form (the caller sends its text instead). */
  write(f: Frame): boolean {
    const kind = f.type === 'book' ? BOOK : f.type === 'trade' ? TRADE : f.type === 'kline' ? KLINE : f.type === 'price' ? PRICE : 0;
    if (kind === 0) return false;
    const h = f as HotFrame;
    const symbol = this.nameIndex(h.symbol);
    const channel = h.type === 'kline' ? this.nameIndex(h.channel) : 0;
    if (symbol < 0 || channel < 0) return false;
    const b = this.bytes;
    const v = this.nums;
    b[4] = kind;
    b[5] = symbol;
    b[6] = channel;
    b[7] = 0;
    v[1] = h.ts;
    let n: number;
    switch (h.type) {
      case 'book':
        v[2] = h.bid;
        v[3] = h.ask;
        v[4] = h.bidQty;
        v[5] = h.askQty;
        n = 6;
        break;
      case 'trade':
        v[2] = h.price;
        v[3] = h.qty;
        n = 4;
        break;
      case 'kline':
        v[2] = h.open;
        v[3] = h.high;
        v[4] = h.low;
        v[5] = h.close;
        v[6] = h.volume;
        n = 7;
        break;
      default:
        v[2] = h.markPrice;
        v[3] = h.indexPrice;
        v[4] = h.fundingRate;
        v[5] = h.fundingTime;
        v[6] = h.nextFundingTime;
        n = 7;
    }
    this.put(this.record, n * 8 - 4);
    return true;
  }

  /** The index of a name, put as a name record the first time; -1 once the table is full or the name is not ASCII. */
  private nameIndex(name: string): number {
    if (name === this.lastName) return this.lastIndex;
    let idx = this.names.get(name);
    if (idx === undefined) {
      idx = this.names.size;
      if (idx >= MAX_NAMES || name.length > MAX_NAME_BYTES || !/^[\x20-\x7e]*$/.test(name)) return -1;
      const b = Buffer.alloc(HEAD + name.length);
      b[0] = NAME;
      b[1] = idx;
      b.write(name, HEAD, 'latin1');
      this.names.set(name, idx);
      this.put(b, b.length);
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
    switch (kind) {
      case BOOK:
        return { type: 'book', symbol, ts, bid: v[i + 1]!, ask: v[i + 2]!, bidQty: v[i + 3]!, askQty: v[i + 4]! };
      case TRADE:
        return { type: 'trade', symbol, ts, price: v[i + 1]!, qty: v[i + 2]! };
      case KLINE:
        return {
          type: 'kline',
          symbol,
          ts,
          channel: this.name(b[start + 2]!),
          open: v[i + 1]!,
          high: v[i + 2]!,
          low: v[i + 3]!,
          close: v[i + 4]!,
          volume: v[i + 5]!,
        };
      case PRICE:
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
