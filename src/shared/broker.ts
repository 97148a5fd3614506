// The paper broker: decides fills, exits, funding and breaker trips for one symbol and returns them
// as BrokerEvents. Every state change goes through the reducer (broker-state.ts), so the
// journal of returned events replays to exactly `broker.state`. No I/O, no wall clock (all times are
// market ms passed in), randomness only from the injected Rng (exit slippage).
//
// Kept outside BrokerState on purpose, as session-local refinements no event needs to carry: the
// latest closed candle's volume and what is left of its liquidity (refreshed by every close the
// engine sees: live, seeded or backfilled), the tick-level peak of equity including unrealized PnL
// until it is journaled at the next candle close (BreakerPeak), and the history of trailed stops used to
// judge candles. The rules themselves live in their own modules (entry-rules, exit-rules, taker-fill,
// candle-liquidity, working-orders, funding-schedule); this class orders them and emits what they decide.
import { dayRolled, drawdownTrip, lossStreakTrip, utcDay, type BreakerTrip } from './breaker.js';
import type { UnseenRange } from './blind-spans.js';
import type { BrokerConfig } from './broker-config.js';
import { mid, orderDueAt, plain, validBook, validCandle, validOrder, validTick } from './broker-inputs.js';
import { reducerFor, shaped, type BrokerReducer } from './broker-state.js';
import { CandleLiquidity } from './candle-liquidity.js';
import { entryRefusal } from './entry-rules.js';
import type { BrokerEvent, EntryRefusal, OrderRejectReason, WorkingCancelReason } from './events.js';
import { candleExit, StopHistory, tickExit, trailedStop, unseenExit, type ExitDecision } from './exit-rules.js';
import { settlementsDue } from './funding-schedule.js';
import { adverse, fee, fundingAmount, grossPnl, isFinitePositive, notional, touchPrice } from './pricing.js';
import { takerFillEvent, takerPrice, takerTouch } from './taker-fill.js';
import { entryRemainder, workingRemainder } from './working-orders.js';
import type { Rng } from './rng.js';
import type { BrokerState, Candle, FillQuote, Order, Position, Tick } from './types.js';

export { orderDueAt } from './broker-inputs.js';
export { STOP_STEP_R } from './exit-rules.js';
export { WORKING_ORDER_TOLERANCE_BPS } from './working-orders.js';

/** What a tick that decides nothing returns (frozen: a caller that adds to it fails loudly). */
const NO_EVENTS: readonly BrokerEvent[] = Object.freeze([]);

export class PaperBroker {
  private s: BrokerState;
  private readonly reduce: BrokerReducer;
  private readonly liquidity: CandleLiquidity;
  /** Today's peak equity including unrealized PnL at tick resolution. */
  private livePeak: number;
  private readonly stops = new StopHistory();
  /** Latest valid market time seen, for stamping rejections of inputs that carry no usable time. */
  private lastAt = 0;
  /** onTick's events while it decides (see there). */
  private readonly tickEvents: BrokerEvent[] = [];

  constructor(
    readonly cfg: BrokerConfig,
    private readonly rng: Rng,
    state: BrokerState,
  ) {
    this.s = shaped(state);
    this.reduce = reducerFor(cfg.processedIdsCap);
    this.liquidity = new CandleLiquidity(cfg);
    this.livePeak = state.breaker.peakEquity;
  }

  get state(): BrokerState {
    return this.s;
  }

  // ---------------------------------------------------------------- entries

  /** Why the entry would be refused at `refPrice`, or null when the broker would take it. */
  checkEntry(order: Order, at: number, refPrice: number): EntryRefusal | null {
    if (!validOrder(order) || !Number.isFinite(at) || !isFinitePositive(refPrice)) return 'invalid_order';
    return entryRefusal(this.s, this.cfg, order, at, refPrice);
  }

  applyQuote(order: Order, quote: FillQuote): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    const at = Number.isFinite(quote.ts) ? quote.ts : Number.isFinite(order.createdAt) ? order.createdAt : this.lastAt;
    const reject = (reason: OrderRejectReason): BrokerEvent[] => {
      this.emit(out, { event: 'OrderRejected', orderId: String(order.id), reason, at });
      return out;
    };
    if (this.s.processedOrderIds.includes(order.id)) return reject('duplicate_order_id');
    if (!validOrder(order)) return reject('invalid_order');
    if (!validBook(quote.bid, quote.ask) || !Number.isFinite(quote.ts)) return reject('invalid_quote');
    // No look-ahead, whoever the caller is: the book must be at least as new as the order plus its latency.
    if (quote.ts < orderDueAt(order)) return reject('quote_before_latency');
    this.seen(at);
    this.rollDay(at, this.markEquity(mid(quote.bid, quote.ask)), out);

    const buying = order.side === 'LONG';
    const touch = takerTouch(order.side, quote.bid, quote.ask);
    const fillQty = this.liquidity.cap(order.qty, touch);
    const taken = takerPrice(this.cfg, order.side, fillQty, touch);
    const price = taken.price;

    const reason = entryRefusal(this.s, this.cfg, order, at, price);
    if (reason) return reject(reason);
    // The book moved past the bracket during the latency: the stop or target would already be crossed.
    const inside = buying ? order.sl < price && price < order.tp : order.tp < price && price < order.sl;
    if (!inside) return reject('bracket_crossed');

    const terms = {
      orderId: order.id,
      side: order.side,
      qty: fillQty,
      sl: order.sl,
      tp: order.tp,
      at,
      orderAt: order.createdAt,
      latencyMs: order.latencyMs ?? 0,
    };
    this.emit(out, takerFillEvent(this.cfg, terms, taken));
    this.liquidity.use(fillQty, touch);
    this.stops.opened(at, order.sl);
    const rest = entryRemainder(order, fillQty, price, at);
    if (rest) this.emit(out, { event: 'WorkingOrderPlaced', order: rest, at });
    return out;
  }

  // ---------------------------------------------------------------- market data

  /**
   * `stopsOnly` while a blind span is being recovered: the stop is still honoured at once, but a target exit, a
   * trailing move or a remainder fill waits until the span's candles have said whether the stop was crossed
   * while the engine could not see (a position stopped out in the span must not take profit afterwards).
   */
  onTick(tick: Tick, stopsOnly = false): readonly BrokerEvent[] {
    if (!validTick(tick)) return NO_EVENTS;
    // Most ticks decide nothing: their events gather in one array, copied out only when there are some.
    const out = this.tickEvents;
    if (out.length !== 0) out.length = 0; // left over only by a tick that threw (setting length is not free)
    const at = tick.ts;
    this.seen(at);
    if (this.dayMayRoll(at)) this.rollDay(at, this.equityWith(tick), out); // the equity only when it is needed
    const pos = this.s.position;
    const hit = pos ? tickExit(pos, tick) : null;
    const exiting = hit !== null && !(stopsOnly && hit.reason === 'TP');
    // Before the exit: a position that closes on this very tick was still held at the settlement. While a
    // span is recovered its candles say whether it was (onBlindSpan), unless this tick closes it anyway.
    if (!stopsOnly || exiting) this.noteFundingDue(at, mid(tick.bid, tick.ask), out);
    this.expireAt(at, out);
    if (pos) {
      if (hit && exiting) this.exit(hit, 'tick', at, out);
      else if (!stopsOnly) {
        this.trail(pos, tick, out);
        this.fillWorkingOrders(tick, out);
      }
    } else if (this.s.workingOrders.length > 0) {
      this.cancelAll('position_closed', at, out);
    }
    this.checkDrawdown(this.equityWith(tick), at, out);
    if (out.length === 0) return NO_EVENTS;
    const events = out.slice();
    out.length = 0;
    return events;
  }

  /**
   * A closed candle (live, backfilled, or missed while down). `intervalMs` dates its close; candles
   * that closed before the position opened are not judged.
   */
  onCandle(candle: Candle, intervalMs = 60_000): BrokerEvent[] {
    if (!validCandle(candle) || !isFinitePositive(intervalMs)) return [];
    this.noteClosedCandle(candle);
    const out: BrokerEvent[] = [];
    const at = candle.ts + intervalMs;
    this.seen(at);
    // A position still open when this candle opened was held through any settlement up to its open.
    this.noteFundingDue(candle.ts, candle.open, out);
    this.rollDay(at, this.markEquity(candle.close), out);
    const pos = this.s.position;
    if (pos && at > pos.openedAt) {
      const hit = candleExit(pos, candle, this.stops.at(pos, candle.ts));
      if (hit) this.exit(hit, 'candle', at, out);
    }
    return out;
  }

  /**
   * The position's exits judged on what the engine did not see during a blind span, in time order: the stop in
   * force when the span began (stops only tighten, and no tick moved it meanwhile) before the target. A level
   * crossed inside the span exits at the level, or at the candle's open when the span began before that candle
   * and it opened beyond the level (gap-through).
   */
  onBlindSpan(ranges: readonly UnseenRange[], span: { fromTs: number; toTs: number }, intervalMs = 60_000): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    const first = this.s.position;
    if (!first || first.openedAt >= span.toTs) return out;
    const stop = this.stops.at(first, span.fromTs);
    for (const r of [...ranges].sort((a, b) => a.ts - b.ts)) {
      // Still held when this candle opened: it owes any settlement up to then (a candle opening inside the
      // span has a known open; one that began before the span adds no settlement the ticks did not see).
      this.noteFundingDue(r.ts, r.open ?? first.entry, out);
      const pos: Position | null = this.s.position;
      if (!pos || pos !== first) break;
      const at = Math.max(pos.openedAt, Math.min(r.ts + intervalMs, span.toTs));
      const d = unseenExit(pos, r, stop);
      if (!d) continue;
      this.seen(at);
      this.rollDay(at, this.markEquity(d.price), out);
      this.exit(d, 'candle', at, out, { fromTs: span.fromTs, toTs: span.toTs });
    }
    return out;
  }

  /**
   * The volume of a closed candle (live, seeded, backfilled or missed): the newest one sets the
   * liquidity the next fills may take, until the next close.
   */
  noteClosedCandle(candle: Candle): void {
    if (validCandle(candle)) this.liquidity.noteClose(candle);
  }

  /**
   * The rate settled at `fundingTime` (the price channel's `fr` at `ft`). Pays what was noted due at
   * that settlement (and any older one still waiting for its rate), even if the position has closed
   * since; otherwise charges the open position if it was held through it. Each settlement once.
   */
  applyFunding(rate: number, fundingTime: number, markPrice: number): BrokerEvent[] {
    if (!Number.isFinite(rate) || !Number.isFinite(fundingTime) || !isFinitePositive(markPrice)) return [];
    const out: BrokerEvent[] = [];
    for (const d of this.s.fundingDue ?? []) {
      if (d.fundingTime > fundingTime) break;
      this.seen(d.fundingTime);
      this.rollDay(d.fundingTime, this.markEquity(markPrice), out);
      this.emit(out, {
        event: 'FundingApplied',
        rate,
        amount: plain(fundingAmount(this.cfg.kind, d.side, rate, d.qty, d.markPrice)),
        fundingTime: d.fundingTime,
        side: d.side,
        at: d.fundingTime,
        ...(d.fundingTime < fundingTime ? { rateTime: fundingTime } : {}),
      });
    }
    const last = this.s.lastFundingTime;
    if (last !== null && fundingTime <= last) return out;
    const pos = this.s.position;
    // A position opened after the settlement time did not hold through it.
    if (!pos || pos.openedAt > fundingTime) return out;
    this.seen(fundingTime);
    this.rollDay(fundingTime, this.markEquity(markPrice), out);
    this.emit(out, {
      event: 'FundingApplied',
      rate,
      amount: plain(fundingAmount(this.cfg.kind, pos.side, rate, pos.qty, markPrice)),
      fundingTime,
      side: pos.side,
      at: fundingTime,
    });
    return out;
  }

  /**
   * Notes what the open position owes for every settlement up to market time `at` it was held
   * through, at `markPrice` (the tick path does this by itself; a blind span's caller passes the span's
   * end and a price from it, before the span's candles can close the position).
   */
  settleFundingThrough(at: number, markPrice: number): BrokerEvent[] {
    if (!Number.isFinite(at) || !isFinitePositive(markPrice)) return [];
    const out: BrokerEvent[] = [];
    this.noteFundingDue(at, markPrice, out);
    return out;
  }

  // ---------------------------------------------------------------- session actions

  forceClose(tick: Tick, reason: 'FORCE_CLOSE' | 'BREAKER'): BrokerEvent[] {
    if (!validTick(tick)) return [];
    const out: BrokerEvent[] = [];
    this.seen(tick.ts);
    this.rollDay(tick.ts, this.equityWith(tick), out);
    this.noteFundingDue(tick.ts, mid(tick.bid, tick.ask), out);
    const pos = this.s.position;
    if (pos) {
      const price = touchPrice(pos.side === 'SHORT', tick.bid, tick.ask);
      this.exit({ reason, price }, 'forced', tick.ts, out);
    }
    this.cancelAll(reason === 'BREAKER' ? 'breaker' : 'position_closed', tick.ts, out);
    return out;
  }

  /**
   * Journals the day's peak equity including unrealized PnL when it rose above the persisted one.
   * Called on market time (each candle close), not per tick: at most one line a candle, the same
   * lines on every replay, and a restart measures drawdown from a peak at most one candle old.
   */
  persistPeak(at: number): BrokerEvent[] {
    if (!Number.isFinite(at) || !(this.livePeak > this.s.breaker.peakEquity)) return [];
    // A close stamped on the next day belongs to the old day's peak, which that day's first tick discards.
    if (dayRolled(this.s.breaker, at)) return [];
    const out: BrokerEvent[] = [];
    this.emit(out, { event: 'BreakerPeak', peakEquity: this.livePeak, at });
    return out;
  }

  cancelWorkingOrders(reason: WorkingCancelReason, at: number): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    // Market time only: the latest the broker has seen when the caller has none (no tick this run).
    this.cancelAll(reason, Math.max(Number.isFinite(at) ? at : 0, this.lastAt), out);
    return out;
  }

  /** Working orders older than the TTL at market time `at` expire (every tick does this by itself). */
  expireWorkingOrders(at: number): BrokerEvent[] {
    if (!Number.isFinite(at)) return [];
    const out: BrokerEvent[] = [];
    this.expireAt(at, out);
    return out;
  }

  // ---------------------------------------------------------------- marks

  /** Unrealized PnL marked where the position would close: bid for LONG, ask for SHORT. */
  unrealized(tick: Tick): number {
    const pos = this.s.position;
    if (!pos || !validTick(tick)) return 0;
    const mark = touchPrice(pos.side === 'SHORT', tick.bid, tick.ask);
    return grossPnl(this.cfg.kind, pos.side, pos.entry, mark, pos.qty);
  }

  equityWith(tick: Tick | null): number {
    return this.s.equity + (tick ? this.unrealized(tick) : 0);
  }

  /** Equity with the open position marked at one price (no book: a candle, a mark price). */
  private markEquity(price: number): number {
    const pos = this.s.position;
    if (!pos || !isFinitePositive(price)) return this.s.equity;
    return this.s.equity + grossPnl(this.cfg.kind, pos.side, pos.entry, price, pos.qty);
  }

  // ---------------------------------------------------------------- internals

  private emit(out: BrokerEvent[], ev: BrokerEvent): void {
    this.s = this.reduce(this.s, ev);
    out.push(ev);
  }

  private seen(at: number): void {
    if (at > this.lastAt) this.lastAt = at;
  }

  /** Notes FundingDue for each settlement up to `at` the open position was held through and owes. */
  private noteFundingDue(at: number, markPrice: number, out: BrokerEvent[]): void {
    const pos = this.s.position;
    if (!pos || !isFinitePositive(markPrice)) return;
    const step = this.cfg.fundingIntervalMs;
    const due = settlementsDue(this.s, pos.openedAt, at, step);
    if (!due) return;
    for (let ft = due.from; ft <= due.latest; ft += step) {
      this.emit(out, { event: 'FundingDue', fundingTime: ft, side: pos.side, qty: pos.qty, markPrice, at });
    }
  }

  private expireAt(at: number, out: BrokerEvent[]): void {
    for (const w of this.s.workingOrders) {
      if (at - w.createdAt >= this.cfg.workingOrderTtlMs) {
        this.emit(out, { event: 'WorkingOrderCancelled', id: w.id, reason: 'expired', at });
      }
    }
  }

  /** End (ms) of the breaker's UTC day `dayEndOf`: rollDay compares numbers on every tick. */
  private dayEnd = Number.NaN;
  private dayEndOf = '';

  /** False while `at` is inside the breaker's UTC day: compared as numbers, with no date string on the tick path. */
  private dayMayRoll(at: number): boolean {
    if (this.s.breaker.day !== this.dayEndOf) {
      this.dayEndOf = this.s.breaker.day;
      this.dayEnd = Date.parse(this.dayEndOf) + 86_400_000; // NaN for an odd day string: falls through below
    }
    return !(at < this.dayEnd);
  }

  /** A new UTC day starts from `equityNow`: equity including the open position's unrealized PnL. */
  private rollDay(at: number, equityNow: number, out: BrokerEvent[]): void {
    if (!this.dayMayRoll(at) || !dayRolled(this.s.breaker, at)) return;
    const dayStartEquity = Number.isFinite(equityNow) ? plain(equityNow) : this.s.equity;
    this.emit(out, { event: 'BreakerReset', day: utcDay(at), dayStartEquity, at });
    this.livePeak = this.s.breaker.peakEquity;
  }

  private trip(t: BreakerTrip | null, at: number, out: BrokerEvent[]): void {
    if (t) this.emit(out, { event: 'BreakerTripped', reason: t.reason, detail: t.detail, at });
  }

  private checkDrawdown(equityNow: number, at: number, out: BrokerEvent[]): void {
    this.livePeak = Math.max(this.livePeak, this.s.breaker.peakEquity, equityNow);
    this.trip(drawdownTrip(this.s.breaker, this.livePeak, equityNow, this.cfg), at, out);
  }

  private exit(d: ExitDecision, source: 'tick' | 'candle' | 'forced', at: number, out: BrokerEvent[], span?: { fromTs: number; toTs: number }): void {
    const pos = this.s.position;
    if (!pos) return;
    const slip = this.cfg.slipBps * this.rng.uniform(0.5, 1.5);
    const price = adverse(d.price, pos.side === 'SHORT', slip);
    this.emit(out, {
      event: 'Exit',
      orderId: pos.orderId,
      reason: d.reason,
      price,
      qty: pos.qty,
      pnl: plain(grossPnl(this.cfg.kind, pos.side, pos.entry, price, pos.qty)),
      fee: fee(notional(this.cfg.kind, pos.qty, price), this.cfg.takerBps),
      source,
      at,
      priceBeforeSlippage: d.price,
      slipBps: slip,
      ...(span ? { recovered: true as const, span } : {}),
    });
    this.stops.closed();
    this.cancelAll('position_closed', at, out);
    this.trip(lossStreakTrip(this.s.breaker, this.cfg), at, out);
    this.checkDrawdown(this.s.equity, at, out);
  }

  private trail(pos: Position, tick: Tick, out: BrokerEvent[]): void {
    const move = trailedStop(pos, tick, this.cfg);
    if (!move) return;
    this.emit(out, { event: 'StopMoved', orderId: pos.orderId, sl: move.sl, best: move.best, at: tick.ts });
    this.stops.moved(tick.ts, move.sl);
  }

  /**
   * A working remainder fills on a tick later than the one it was placed on, as a taker with slippage
   * and impact, as far as the latest closed candle's liquidity left allows and while the slipped price
   * is within its limit. What the liquidity cannot take rests as a new working order (same creation
   * time, so it still expires 24 h after the entry) until the next close.
   */
  private fillWorkingOrders(tick: Tick, out: BrokerEvent[]): void {
    if (this.s.breaker.tripped) return;
    for (const w of this.s.workingOrders) {
      const pos = this.s.position;
      if (!pos || pos.side !== w.side) {
        this.emit(out, { event: 'WorkingOrderCancelled', id: w.id, reason: 'position_closed', at: tick.ts });
        continue;
      }
      // Never on the tick it was placed on; and only against a known candle's liquidity.
      if (!(tick.ts > w.createdAt)) continue;
      const touch = takerTouch(w.side, tick.bid, tick.ask);
      const room = this.liquidity.room(touch);
      if (room === null) continue;
      const qty = room >= w.qty * (1 - 1e-9) ? w.qty : room;
      const taken = takerPrice(this.cfg, w.side, qty, touch);
      if (w.side === 'LONG' ? taken.price > w.limitPrice : taken.price < w.limitPrice) continue;
      const terms = { orderId: w.id, side: w.side, qty, sl: pos.sl, tp: pos.tp, at: tick.ts, orderAt: w.createdAt, latencyMs: 0 };
      this.emit(out, takerFillEvent(this.cfg, terms, taken));
      this.liquidity.use(qty, touch);
      if (qty < w.qty) {
        this.emit(out, { event: 'WorkingOrderPlaced', order: workingRemainder(w, qty), at: tick.ts });
      }
    }
  }

  private cancelAll(reason: WorkingCancelReason, at: number, out: BrokerEvent[]): void {
    for (const w of this.s.workingOrders) {
      this.emit(out, { event: 'WorkingOrderCancelled', id: w.id, reason, at });
    }
  }
}
