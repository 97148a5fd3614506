// The price guard: what a market frame must satisfy before it may move money, so that no single frame can.
// A frame for another symbol is bad, and so is one stamped far ahead of the market clock. A book or trade
// price implausibly far from the last trusted price (PriceBound) is held as suspect: it is acted on only once
// a frame later in market time or the mark price confirms it (frames stamped alike are one event: they are
// held together, they do not confirm each other), and dropped unconfirmed when a trusted price or a
// contradicting suspect comes first. A kline whose prices are out of bounds is dropped; so is a mark price
// out of bounds (it prices funding) and a funding rate no exchange settles. With no reference at all (a fresh
// start with nothing open) the first price is taken as it comes: there is nothing to judge it by and nothing
// it could close; a restart with a position open anchors the guard at the position's entry instead.
// Pure: no I/O and no clock of its own; the caller passes each frame's wall-clock receive time. A frame is read
// only during the call, except one it holds, which it copies: a replay's feed reuses one Frame per kind.
import type { Frame } from './bitunix/index.js';
import { withinBound, type PriceBound, type TrustedPrice } from './price-bound.js';

export type GuardRejection = 'wrong_symbol' | 'future_ts' | 'implausible_price' | 'implausible_mark' | 'implausible_funding';

/**
 * - `trusted`: act on the frame.
 * - `suspect`: the frame is held; there is nothing to act on yet.
 * - `confirmed`: the frame confirms the held ones: act on `takeConfirmed()` first, then on this frame.
 * - a rejection: drop the frame and count it.
 */
export type GuardVerdict = 'trusted' | 'suspect' | 'confirmed' | GuardRejection;

export interface PriceGuardConfig {
  symbol: string;
  bound: PriceBound;
  /**
   * How many market ms the feed can advance per wall ms: 1 live, N for an accelerated simulator or a replay
   * paced at N, Infinity for a replay at full speed (its market clock is then checked by nothing but itself).
   */
  marketSpeed: number;
  /** Largest settled funding rate believed, as a fraction (default 3 %, ten times the exchange's cap). */
  maxFundingRate?: number;
}

type Quote = Extract<Frame, { type: 'book' | 'trade' }>;

/** A frame the guard held or confirmed, with the wall time it was received. */
export interface HeldQuote {
  frame: Quote;
  recv: number;
}

/** Market ms a frame may be ahead of the market clock, plus this many wall ms at the feed's speed. */
const CLOCK_SLACK_MS = 60_000;
const CLOCK_SLACK_WALL_MS = 2_000;
/**
 * Frames ahead of the market clock for this long (wall), with none agreeing with it in between, mean the
 * wall clock itself was stepped back: the market clock is re-anchored rather than every frame dropped.
 */
const CLOCK_REANCHOR_WALL_MS = 10_000;
const DEFAULT_MAX_FUNDING_RATE = 0.03;
/** Frames of one instant held at most (a book and a trade, usually); more are dropped as unconfirmed. */
const MAX_HELD = 16;

export class PriceGuard {
  private trustedPx = 0;
  private trustedTs = 0;
  private markPx = 0;
  private markTs = 0;
  /** Suspect frames of one market instant, consistent with the first, whose price and ts they are judged by. */
  private held: HeldQuote[] = [];
  private heldPx = 0;
  private heldTs = 0;
  private confirmed: HeldQuote[] = [];
  /** Suspects dropped unconfirmed since the caller last took the count. */
  private unconfirmedCount = 0;
  /** Max over accepted frames of ts − recv × speed: where the market clock stands against the wall clock. */
  private clockLead = -Infinity;
  /** Wall time since which every frame has been ahead of the market clock (0 = the last one agreed). */
  private aheadSince = 0;
  private readonly hi1s: number;
  private readonly lo1s: number;
  private readonly maxFundingRate: number;

  constructor(private readonly cfg: PriceGuardConfig) {
    this.hi1s = 1 + cfg.bound.perSecond;
    this.lo1s = 1 / this.hi1s;
    this.maxFundingRate = cfg.maxFundingRate ?? DEFAULT_MAX_FUNDING_RATE;
  }

  /** The last trusted price (book mid or trade), else the last plausible mark price; null before either. */
  get reference(): TrustedPrice | null {
    if (this.trustedPx > 0) return { price: this.trustedPx, ts: this.trustedTs };
    if (this.markPx > 0) return { price: this.markPx, ts: this.markTs };
    return null;
  }

  /** A price known before any frame (an open position's entry after a restart): the first frames are judged by it. */
  anchor(price: number, ts: number): void {
    if (this.trustedPx > 0 || !(price > 0)) return;
    this.trustedPx = price;
    this.trustedTs = ts;
  }

  /** `recv` is the wall time the frame arrived. Frames that carry no market data pass as `trusted`. */
  screen(f: Frame, recv: number): GuardVerdict {
    switch (f.type) {
      case 'book':
      case 'trade':
        return this.screenQuote(f, recv);
      case 'kline': {
        const v = this.screenClock(f.symbol, f.ts, recv);
        if (v !== null) return v;
        // A candle's prices span its whole interval: judged against the ceiling, not the one-second bound.
        if (this.trustedPx > 0 && !withinBound(this.cfg.bound, this.trustedPx, Math.min(f.open, f.low), Math.max(f.open, f.high), Infinity)) {
          return 'implausible_price';
        }
        this.accept(f.ts, recv);
        return 'trusted';
      }
      case 'price':
        return this.screenMark(f, recv);
      default:
        return 'trusted';
    }
  }

  /** The frames a `confirmed` verdict confirmed, in arrival order (empty otherwise). */
  takeConfirmed(): HeldQuote[] {
    const frames = this.confirmed;
    if (frames.length > 0) this.confirmed = [];
    return frames;
  }

  /** Suspects dropped without confirmation since the last call. */
  takeUnconfirmed(): number {
    const n = this.unconfirmedCount;
    this.unconfirmedCount = 0;
    return n;
  }

  /** A book (its bid to its ask, judged at its mid) or a trade (its price). The prices are read here, not passed: a double passed to a call is a number allocated per frame. */
  private screenQuote(f: Quote, recv: number): GuardVerdict {
    const v = this.screenClock(f.symbol, f.ts, recv);
    if (v !== null) return v;
    const book = f.type === 'book';
    const lo = book ? f.bid : f.price;
    const hi = book ? f.ask : f.price;
    const px = book ? (f.bid + f.ask) / 2 : f.price;
    const holding = this.held.length > 0;
    let verdict: GuardVerdict;
    if (this.trustedPx === 0 && this.markPx === 0) verdict = 'trusted';
    else if (this.trustedPx > 0 && this.near(this.trustedPx, this.trustedTs, lo, hi, f.ts)) verdict = 'trusted';
    else if (holding && this.near(this.heldPx, this.heldTs, lo, hi, f.ts)) {
      if (f.ts <= this.heldTs) return this.hold(f, recv);
      this.confirmHeld();
      verdict = 'confirmed';
    } else if (this.markPx > 0 && f.ts > this.markTs && this.near(this.markPx, this.markTs, lo, hi, f.ts)) verdict = 'trusted';
    else {
      this.dropHeld();
      this.heldPx = px;
      this.heldTs = f.ts;
      return this.hold(f, recv);
    }
    this.dropHeld();
    this.trustedPx = px;
    this.trustedTs = f.ts;
    this.accept(f.ts, recv);
    return verdict;
  }

  private hold(f: Quote, recv: number): 'suspect' {
    if (this.held.length < MAX_HELD) this.held.push({ frame: { ...f }, recv });
    else this.unconfirmedCount++;
    return 'suspect';
  }

  private screenMark(f: Extract<Frame, { type: 'price' }>, recv: number): GuardVerdict {
    const v = this.screenClock(f.symbol, f.ts, recv);
    if (v !== null) return v;
    if (!(Math.abs(f.fundingRate) <= this.maxFundingRate)) return 'implausible_funding';
    const mp = f.markPrice;
    let verdict: GuardVerdict;
    if (this.held.length > 0 && f.ts > this.heldTs && this.near(this.heldPx, this.heldTs, mp, mp, f.ts)) {
      this.trustedPx = this.heldPx;
      this.trustedTs = this.heldTs;
      this.confirmHeld();
      verdict = 'confirmed';
    } else if (this.trustedPx === 0 || this.near(this.trustedPx, this.trustedTs, mp, mp, f.ts)) {
      verdict = 'trusted';
    } else {
      return 'implausible_mark';
    }
    this.markPx = mp;
    this.markTs = f.ts;
    this.accept(f.ts, recv);
    return verdict;
  }

  /** A rejection for the symbol or the market clock, or null when the frame passes both. */
  private screenClock(symbol: string, ts: number, recv: number): GuardRejection | null {
    if (symbol !== this.cfg.symbol) return 'wrong_symbol';
    const speed = this.cfg.marketSpeed;
    if (!Number.isFinite(speed) || this.clockLead === -Infinity) return null;
    if (ts <= recv * speed + this.clockLead + CLOCK_SLACK_MS + CLOCK_SLACK_WALL_MS * speed) {
      this.aheadSince = 0;
      return null;
    }
    if (this.aheadSince === 0) this.aheadSince = recv;
    if (recv - this.aheadSince < CLOCK_REANCHOR_WALL_MS) return 'future_ts';
    this.clockLead = ts - recv * speed;
    this.aheadSince = 0;
    return null;
  }

  private near(ref: number, refTs: number, lo: number, hi: number, ts: number): boolean {
    const dt = ts - refTs;
    // The common case (frames within a second of each other) without a log or an exp.
    if (dt <= 1000 && dt >= -1000) return lo >= ref * this.lo1s && hi <= ref * this.hi1s;
    return withinBound(this.cfg.bound, ref, lo, hi, dt);
  }

  private confirmHeld(): void {
    this.confirmed = this.held;
    this.held = [];
    for (const h of this.confirmed) this.accept(h.frame.ts, h.recv);
  }

  private dropHeld(): void {
    if (this.held.length === 0) return;
    this.unconfirmedCount += this.held.length;
    this.held.length = 0;
  }

  private accept(ts: number, recv: number): void {
    const speed = this.cfg.marketSpeed;
    if (!Number.isFinite(speed)) return;
    const lead = ts - recv * speed;
    if (lead > this.clockLead) this.clockLead = lead;
  }
}
