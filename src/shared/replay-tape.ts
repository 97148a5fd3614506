// A candle CSV as the market-data stream a replay serves: the closed history before the stream, then each
// candle's synthesised ticks with their book, trade, kline and price pushes, encoded by the shared codec.
// The simulator's replay puts these frames on its socket; the in-process transport of `--speed max` hands
// the same frames to the engine's decoder without one, written in place into its frame ring (TapeFrames
// makes a frame as text or as bytes, from one step). Both read them here, so both deliver the same bytes
// in the same order, and the replay's market clock (first streamed candle, last frame) is known up front.
// Pure and deterministic.
import { channelKind, encodeBook, encodeKline, encodePrice, encodeTrade, klineChannelMs, type PricePush } from './bitunix/index.js';
import { bookQty } from './book-qty.js';
import type { PriceTick } from './price-process.js';
import { CandleColumns, GapFreeColumns } from './candle-pack.js';
import { inferPriceTick, synthTicks, synthTicksInto } from './tick-synth.js';
import type { Candle } from './types.js';

export { bookQty };

const MINUTE = 60_000;
const FUNDING_PERIOD_MS = 8 * 3_600_000;
/** The forming candle is pushed after every this-many ticks (plus its final push). */
const KLINE_EVERY = 4;
const DEFAULT_TICKS_PER_CANDLE = 12;
const DEFAULT_HISTORY = 200;

/** A subscription as the tape serves it (the simulator's own subscriptions have this shape too). */
export interface TapeSub {
  kind: 'book' | 'trade' | 'kline' | 'price';
  /** The kline channel's name for the tape's interval (from the codec's channel table). */
  ch: string;
  /** Kline bucket length; 0 for the others. */
  intervalMs: number;
}

export interface TapeOptions {
  /** Ticks synthesised inside each candle (default 12). */
  ticksPerCandle?: number;
  /** Leading candles served only as closed history (default 200, so the engine can seed). */
  historyCandles?: number;
  /**
   * Reuse the tick objects of the candle before last for the next candle (default false): for a player that
   * keeps no tick (`tick`) beyond the candle after it, e.g. the replay's encoding thread.
   */
  reuseTicks?: boolean;
}

/** `bucket` is set for kline frames (so a fault can withhold them), -1 otherwise. */
export type TapeEmit<C, F = string> = (client: C, sub: TapeSub, frame: F, bucket: number) => void;

/**
 * How the tape's frames are made, in the codec's terms: as text (the simulator's socket), or written in
 * place into the bytes that carry them (the frame ring of `--speed max`), the same bytes either way.
 */
export interface TapeFrames<F> {
  book(symbol: string, ts: number, bid: number, ask: number, bidQty: number, askQty: number): F;
  trade(symbol: string, ts: number, price: number, qty: number, side: 'buy' | 'sell'): F;
  kline(symbol: string, channel: string, ts: number, c: Candle): F;
  price(symbol: string, ts: number, p: PricePush): F;
}

/** The tape's frames as the codec's text. */
export const TEXT_FRAMES: TapeFrames<string> = {
  book: encodeBook,
  trade: encodeTrade,
  kline: encodeKline,
  price: encodePrice,
};

/** The subscriptions a channel list makes, in the order the simulator serves them. */
export function tapeSubs(channels: readonly string[]): TapeSub[] {
  return channels.map((ch) => {
    const kind = channelKind(ch);
    if (kind === null) throw new Error(`replay: channel ${ch} is not on the tape`);
    return { kind, ch, intervalMs: kind === 'kline' ? klineChannelMs(ch)! : 0 };
  });
}

/**
 * The candle of `intervalMs` opening at `bucket`, aggregated from its 1-minute candles in order up to the
 * first one `minuteAt` does not have; null if it has none. The result is `into` when given (overwritten), else
 * a fresh object.
 */
export function candleOfMinutes(minuteAt: (ts: number) => Candle | null, intervalMs: number, bucket: number, into?: Candle): Candle | null {
  let out: Candle | null = null;
  for (let m = bucket; m < bucket + intervalMs; m += MINUTE) {
    const c = minuteAt(m);
    if (c === null) break;
    if (out === null) out = into === undefined ? { ...c } : copyCandle(c, into);
    else {
      if (c.high > out.high) out.high = c.high;
      if (c.low < out.low) out.low = c.low;
      out.close = c.close;
      out.volume = Math.round((out.volume + c.volume) * 1e4) / 1e4;
    }
  }
  return out;
}

function copyCandle(c: Candle, into: Candle): Candle {
  into.ts = c.ts;
  into.open = c.open;
  into.high = c.high;
  into.low = c.low;
  into.close = c.close;
  into.volume = c.volume;
  return into;
}

/** Missing minutes become flat candles at the previous close, as an exchange serves minutes without trades. */
export function gapFree(candles: readonly Candle[]): CandleColumns {
  const out = new GapFreeColumns(candles.length);
  for (const c of candles) out.push(c);
  return out.columns();
}

export class ReplayTape {
  /** Gap-free 1-minute candles; [0, liveFrom) are closed history only, [liveFrom, next) have been streamed. */
  readonly candles: CandleColumns;
  readonly liveFrom: number;
  private nextIndex: number;
  private ticks: PriceTick[];
  private j = 0;
  /** The last quote: before the stream, the last one of the last history candle. */
  private tickValue: PriceTick;
  /** The candle being streamed, as traded so far; null between a candle's close and its successor's first tick. */
  private formingValue: Candle | null = null;
  /** Market time of the last frame served (the end of history before the start). */
  private nowValue: number;
  private readonly ticksPerCandle: number;
  /** With reuseTicks: two tick arrays by candle parity, so the current quote outlives the next synthesis. */
  private readonly tickBuffers: [PriceTick[], PriceTick[]] | null;
  private readonly priceTick: number;

  /** `candles` as columns are another tape's (already gap-free), e.g. shared with the thread that plays them. */
  constructor(
    readonly symbol: string,
    candles: readonly Candle[] | CandleColumns,
    opts: TapeOptions = {},
  ) {
    this.candles = candles instanceof CandleColumns ? candles : gapFree(candles);
    if (this.candles.length < 2) throw new Error('replay: needs at least 2 candles');
    const liveFrom = Math.min(opts.historyCandles ?? DEFAULT_HISTORY, this.candles.length - 1);
    if (!Number.isInteger(liveFrom) || liveFrom < 1) throw new Error('replay: historyCandles must be an integer >= 1');
    this.liveFrom = liveFrom;
    this.nextIndex = liveFrom;
    this.ticksPerCandle = opts.ticksPerCandle ?? DEFAULT_TICKS_PER_CANDLE;
    this.priceTick = inferPriceTick(this.candles);
    // This also validates the options.
    const before = synthTicks(this.candles.at(liveFrom - 1), this.ticksPerCandle, this.priceTick);
    this.tickValue = before[before.length - 1]!;
    this.tickBuffers = opts.reuseTicks === true ? [[], []] : null;
    this.ticks = this.synth(liveFrom);
    this.nowValue = this.candles.ts(liveFrom) - 1;
  }

  /** Open time of the first streamed candle: the seed is the history closed before it. */
  get firstLiveTs(): number {
    return this.candles.ts(this.liveFrom);
  }

  /** Market time of the tape's last frame: the final push of the last candle, at its last millisecond. */
  get endTs(): number {
    return this.candles.ts(this.candles.length - 1) + MINUTE - 1;
  }

  /** Candles streamed live (the history excluded). */
  get liveCandles(): number {
    return this.candles.length - this.liveFrom;
  }

  /** Index of the candle being streamed (= candles.length once done). */
  get next(): number {
    return this.nextIndex;
  }

  get done(): boolean {
    return this.nextIndex >= this.candles.length;
  }

  get now(): number {
    return this.nowValue;
  }

  get tick(): PriceTick {
    return this.tickValue;
  }

  get forming(): Candle | null {
    return this.formingValue;
  }

  /** Market time of the next tick to be served (pacing). */
  get nextTickTs(): number {
    return this.ticks[this.j]!.ts;
  }

  /** What a new subscription gets at once: the current quote (a kline subscription waits for the stream). */
  openingFrame(sub: TapeSub): string | null {
    return this.opening(sub, TEXT_FRAMES);
  }

  /** `openingFrame`, made by `frames`. */
  opening<F>(sub: TapeSub, frames: TapeFrames<F>): F | null {
    return sub.kind === 'kline' ? null : this.tickFrame(frames, sub, this.tickValue);
  }

  /**
   * Serve one tick of the current candle to every client's subscriptions, in order; after a candle's last
   * tick, its final kline pushes (and at the very end, the forming candle of every longer interval, so the
   * last frame is always at `endTs`). Returns the candle that closed, if any.
   */
  step<C>(clients: Iterable<C>, subsOf: (client: C) => Iterable<TapeSub>, emit: TapeEmit<C>): Candle | null {
    return this.stepWith(TEXT_FRAMES, clients, subsOf, emit);
  }

  /** `step`, its frames made by `frames` (which may write them where they go, and leave `emit` nothing to do). */
  stepWith<C, F>(frames: TapeFrames<F>, clients: Iterable<C>, subsOf: (client: C) => Iterable<TapeSub>, emit: TapeEmit<C, F>): Candle | null {
    const t = this.ticks[this.j]!;
    this.nowValue = t.ts;
    this.trade(t);
    const klineNow = this.j % KLINE_EVERY === 0;
    const first = this.j === 0;
    for (const c of clients) {
      for (const s of subsOf(c)) {
        if (s.kind === 'kline') {
          if (!klineNow) continue;
          const bucket = Math.floor(t.ts / s.intervalMs) * s.intervalMs;
          const f = this.klineFrame(frames, s, bucket, t.ts);
          if (f !== null) emit(c, s, f, bucket);
        } else if (s.kind !== 'price' || first) {
          emit(c, s, this.tickFrame(frames, s, t), -1);
        }
      }
    }
    if (++this.j < this.ticks.length) return null;
    const candle = this.candles.at(this.nextIndex);
    this.formingValue = null;
    this.nextIndex++;
    this.j = 0;
    const end = candle.ts + MINUTE;
    this.nowValue = end - 1;
    const last = this.done;
    // Final pushes, stamped at the candle's last millisecond, for every interval that ends here.
    for (const c of clients) {
      for (const s of subsOf(c)) {
        if (s.kind !== 'kline' || (end % s.intervalMs !== 0 && !last)) continue;
        const bucket = Math.floor((end - 1) / s.intervalMs) * s.intervalMs;
        const f = this.klineFrame(frames, s, bucket, end - 1);
        if (f !== null) emit(c, s, f, bucket);
      }
    }
    if (!last) this.ticks = this.synth(this.nextIndex);
    return candle;
  }

  /** The ticks of candle `i`. */
  private synth(i: number): PriceTick[] {
    const c = this.candles.into(i, this.synthScratch);
    const b = this.tickBuffers;
    return b === null ? synthTicks(c, this.ticksPerCandle, this.priceTick) : synthTicksInto(c, this.ticksPerCandle, this.priceTick, b[i & 1]);
  }

  /** The candle of `intervalMs` opening at `bucket`, aggregated from the 1-minute candles served so far. */
  candleAt(intervalMs: number, bucket: number): Candle | null {
    const k = this.candleInto(intervalMs, bucket, this.klineScratch);
    return k === null ? null : { ...k };
  }

  /** `candleAt` into `into` (the kline pushes reuse one object: a frame is made of it at once). */
  private candleInto(intervalMs: number, bucket: number, into: Candle): Candle | null {
    const first = this.candles.ts(0);
    if (bucket < first) return null;
    return candleOfMinutes(this.minuteAt, intervalMs, bucket, into);
  }

  private readonly klineScratch: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  private readonly minuteScratch: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  private readonly synthScratch: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };

  /** The served minute at `m`, valid until the next call (candleOfMinutes copies what it keeps). */
  private readonly minuteAt = (m: number): Candle | null => {
    const idx = (m - this.candles.ts(0)) / MINUTE;
    return idx < this.nextIndex ? this.candles.into(idx, this.minuteScratch) : m === this.formingValue?.ts ? this.formingValue : null;
  };

  private trade(t: PriceTick): void {
    this.tickValue = t;
    const f = this.formingValue;
    if (f === null) {
      this.formingValue = { ts: Math.floor(t.ts / MINUTE) * MINUTE, open: t.last, high: t.last, low: t.last, close: t.last, volume: t.qty };
      return;
    }
    if (t.last > f.high) f.high = t.last;
    if (t.last < f.low) f.low = t.last;
    f.close = t.last;
    f.volume = Math.round((f.volume + t.qty) * 1e8) / 1e8;
  }

  private tickFrame<F>(frames: TapeFrames<F>, s: TapeSub, t: PriceTick): F {
    switch (s.kind) {
      case 'book':
        return frames.book(this.symbol, t.ts, t.bid, t.ask, bookQty(t.ts, 0), bookQty(t.ts, 1));
      case 'trade':
        return frames.trade(this.symbol, t.ts, t.last, t.qty, t.side);
      default: {
        // A recorded candle carries no funding: the rate is 0, mark and index are the last trade.
        const k = Math.floor(t.ts / FUNDING_PERIOD_MS);
        return frames.price(this.symbol, t.ts, {
          markPrice: t.last,
          indexPrice: t.last,
          fundingRate: 0,
          fundingTime: k * FUNDING_PERIOD_MS,
          nextFundingTime: (k + 1) * FUNDING_PERIOD_MS,
        });
      }
    }
  }

  private klineFrame<F>(frames: TapeFrames<F>, s: TapeSub, bucket: number, ts: number): F | null {
    const k = this.candleInto(s.intervalMs, bucket, this.klineScratch);
    return k === null ? null : frames.kline(this.symbol, s.ch, ts, k);
  }
}
