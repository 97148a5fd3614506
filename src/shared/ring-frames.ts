// A replay tape's frames written as bytes by the byte-level codec, the same bytes the text codec would give,
// without building strings: into a shared frame ring in place (`ringRoom`), or into any buffer a `FrameRoom`
// hands out (the encoding thread's scratch, which it decodes). While the ring is full, `ringRoom` waits for
// the reader, so it belongs on a worker thread (or behind a reader that drains it between steps).
import type { PricePush } from './bitunix/index.js';
import { maxPushBytes, writeBook, writeKline, writePrice, writeTrade } from './bitunix/encode-bytes.js';
import type { FrameRingWriter } from './frame-ring.js';
import type { TapeFrames } from './replay-tape.js';
import type { Candle } from './types.js';

/**
 * Where a frame's bytes go: room for up to `maxLen` bytes at `buffer[at]`, then how many were written. `buffer`
 * is read after `room` (which may choose it for the frame).
 */
export interface FrameRoom {
  readonly buffer: Uint8Array;
  /** The offset to write at. */
  room(maxLen: number): number;
  written(len: number): void;
}

/** Waits up to this long at a time for the reader to free room. */
const WAIT_MS = 100;

/** Frames written in place into `ring`, waiting for the reader while it is full. */
export function ringRoom(ring: FrameRingWriter): FrameRoom {
  return {
    buffer: ring.buffer,
    room(maxLen: number): number {
      for (;;) {
        const at = ring.reserve(maxLen);
        if (at >= 0) return at;
        ring.publish();
        ring.waitForReader(WAIT_MS);
      }
    },
    written: (len: number): void => ring.commit(len),
  };
}

/** An upper bound on the bytes of any frame a tape of `symbol` serves on `channels`. */
export function maxTapeFrameBytes(symbol: string, channels: readonly string[]): number {
  return Math.max(...channels.map((ch) => maxPushBytes(symbol, ch)));
}

/** The tape's frames written as bytes where `to` says; `max` bounds a frame (maxTapeFrameBytes). */
export class ByteFrames implements TapeFrames<void> {
  constructor(
    private readonly to: FrameRoom,
    private readonly max: number,
  ) {}

  book(symbol: string, ts: number, bid: number, ask: number, bidQty: number, askQty: number): void {
    const at = this.to.room(this.max);
    this.to.written(writeBook(this.to.buffer, at, symbol, ts, bid, ask, bidQty, askQty));
  }

  trade(symbol: string, ts: number, price: number, qty: number, side: 'buy' | 'sell'): void {
    const at = this.to.room(this.max);
    this.to.written(writeTrade(this.to.buffer, at, symbol, ts, price, qty, side));
  }

  kline(symbol: string, channel: string, ts: number, c: Candle): void {
    const at = this.to.room(this.max);
    this.to.written(writeKline(this.to.buffer, at, symbol, channel, ts, c));
  }

  price(symbol: string, ts: number, p: PricePush): void {
    const at = this.to.room(this.max);
    this.to.written(writePrice(this.to.buffer, at, symbol, ts, p));
  }
}
