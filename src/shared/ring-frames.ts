// A replay tape's frames written straight into a shared frame ring by the byte-level codec, the same bytes
// the text codec would give, without building strings. While the ring is full it waits for the reader, so
// it belongs on a worker thread (or behind a reader that drains it between steps).
import { maxPushBytes, writeBook, writeKline, writePrice, writeTrade } from './bitunix/encode-bytes.js';
import type { FrameRingWriter } from './frame-ring.js';
import type { PricePush } from './bitunix/index.js';
import type { TapeFrames } from './replay-tape.js';
import type { Candle } from './types.js';

/** Waits up to this long at a time for the reader to free room. */
const WAIT_MS = 100;

export class RingFrames implements TapeFrames<void> {
  private readonly max: number;

  constructor(
    private readonly ring: FrameRingWriter,
    symbol: string,
    channels: readonly string[],
  ) {
    this.max = Math.max(...channels.map((ch) => maxPushBytes(symbol, ch)));
  }

  private room(): number {
    for (;;) {
      const at = this.ring.reserve(this.max);
      if (at >= 0) return at;
      this.ring.publish();
      this.ring.waitForReader(WAIT_MS);
    }
  }

  book(symbol: string, ts: number, bid: number, ask: number, bidQty: number, askQty: number): void {
    this.ring.commit(writeBook(this.ring.buffer, this.room(), symbol, ts, bid, ask, bidQty, askQty));
  }

  trade(symbol: string, ts: number, price: number, qty: number, side: 'buy' | 'sell'): void {
    this.ring.commit(writeTrade(this.ring.buffer, this.room(), symbol, ts, price, qty, side));
  }

  kline(symbol: string, channel: string, ts: number, c: Candle): void {
    this.ring.commit(writeKline(this.ring.buffer, this.room(), symbol, channel, ts, c));
  }

  price(symbol: string, ts: number, p: PricePush): void {
    this.ring.commit(writePrice(this.ring.buffer, this.room(), symbol, ts, p));
  }
}
