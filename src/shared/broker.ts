// The paper broker (SPEC §4): decides fills, exits, funding and breaker trips for one symbol and
// returns them as BrokerEvents. Every state change goes through the reducer (broker-state.ts), so the
// journal of returned events replays to exactly `broker.state`. No I/O, no wall clock (all times are
// market ms passed in), randomness only from the injected Rng (exit slippage).
//
// Kept outside BrokerState on purpose, as session-local refinements no event needs to carry: the
// latest closed candle's volume and what is left of its liquidity (refreshed by every close the
// engine sees: live, seeded or backfilled), the tick-level peak of equity including unrealized PnL
// until it is journaled at the next candle close (BreakerPeak), and the history of trailed stops used to
// judge candles.
import {
  breakerAt,
  dailyLossPct,
  dayRolled,
  drawdownTrip,
  lossStreakTrip,
  utcDay,
  type BreakerTrip,
} from './breaker.js';
import type { UnseenRange } from './blind-spans.js';
import type { BrokerConfig } from './broker-config.js';
import { ORDER_RATE_WINDOW_MS, reducerFor, type BrokerReducer } from './broker-state.js';
import type { BrokerEvent } from './events.js';
import {
  adverse,
  baseQty,
  fee,
  fundingAmount,
  grossPnl,
  impactBps,
  isFinitePositive,
  notional,
  qtyFromBase,
  sideSign,
  touchPrice,
} from './pricing.js';
import type { Rng } from './rng.js';
import type { BrokerState, Candle, ExitReason, FillQuote, Order, Position, Tick, WorkingOrder } from './types.js';

/** A working order's worst acceptable price: the parent fill price this many bps worse. */
export const WORKING_ORDER_TOLERANCE_BPS = 10;
/** StopMoved is emitted only for moves of at least this share of R (bounds journal volume). */
export const STOP_STEP_R = 0.1;
/** Most funding settlements noted at once (a position restored after a long downtime). */
const MAX_SETTLEMENTS_AT_ONCE = 1000;

type WorkingCancelReason = 'shutdown' | 'expired' | 'position_closed' | 'breaker';

interface ExitDecision {
  reason: ExitReason;
  /** Price before exit slippage. */
  price: number;
}

function validBook(bid: number, ask: number): boolean {
  return isFinitePositive(bid) && isFinitePositive(ask) && bid <= ask;
}

function validTick(t: Tick | null | undefined): t is Tick {
  return !!t && Number.isFinite(t.ts) && validBook(t.bid, t.ask);
}

function validCandle(c: Candle | null | undefined): c is Candle {
  return (
    !!c &&
    Number.isFinite(c.ts) &&
    [c.open, c.high, c.low, c.close].every(isFinitePositive) &&
    c.low <= c.high &&
    Number.isFinite(c.volume) &&
    c.volume >= 0
  );
}

function validOrder(o: Order): boolean {
  return (
    typeof o.id === 'string' &&
    o.id.length > 0 &&
    (o.side === 'LONG' || o.side === 'SHORT') &&
    isFinitePositive(o.qty) &&
    isFinitePositive(o.sl) &&
    isFinitePositive(o.tp) &&
    Number.isFinite(o.createdAt) &&
    (o.latencyMs === undefined || (Number.isFinite(o.latencyMs) && o.latencyMs >= 0))
  );
}

/** The first market time an order may be priced at: its time plus its sampled latency. */
export function orderDueAt(o: Order): number {
  return o.createdAt + (o.latencyMs ?? 0);
}

const mid = (bid: number, ask: number): number => (bid + ask) / 2;

/** `${parent}#rest`, then `#rest2`, `#rest3`... for what is left after each partial fill. */
function nextRestId(w: WorkingOrder): string {
  const m = /#rest(\d*)$/.exec(w.id);
  const n = m ? (m[1] === '' ? 1 : Number(m[1])) : 0;
  return `${w.parentId}#rest${n + 1}`;
}

/** Turns -0 into 0 so events survive a JSON round trip unchanged. */
const plain = (x: number): number => x + 0;

export class PaperBroker {
  private s: BrokerState;
  private readonly reduce: BrokerReducer;
  /** Volume (base coin) of the newest closed candle seen; null until one arrives. */
  private lastVolume: number | null = null;
  private lastVolumeTs = -Infinity;
  /** Base coin still available until the next close: what fills took since then is gone. */
  private liquidityLeft = Infinity;
  /** Today's peak equity including unrealized PnL at tick resolution. */
  private livePeak: number;
  /** Stops in force for the open position since each market time; null when unknown (after a restart). */
  private stops: { at: number; sl: number }[] | null = null;
  /** Latest valid market time seen, for stamping rejections of inputs that carry no usable time. */
  private lastAt = 0;

  constructor(
    readonly cfg: BrokerConfig,
    private readonly rng: Rng,
    state: BrokerState,
  ) {
    this.s = state;
    this.reduce = reducerFor(cfg.processedIdsCap);
    this.livePeak = state.breaker.peakEquity;
  }

  get state(): BrokerState {
    return this.s;
  }

  // ---------------------------------------------------------------- entries

  checkEntry(order: Order, at: number, refPrice: number): string | null {
    if (!validOrder(order) || !Number.isFinite(at) || !isFinitePositive(refPrice)) return 'invalid_order';
    return this.entryReject(order, at, refPrice);
  }

  applyQuote(order: Order, quote: FillQuote): BrokerEvent[] {
    const out: BrokerEvent[] = [];
    const at = Number.isFinite(quote.ts) ? quote.ts : Number.isFinite(order.createdAt) ? order.createdAt : this.lastAt;
    const reject = (reason: string): BrokerEvent[] => {
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
    const touch = touchPrice(buying, quote.bid, quote.ask);
    const fillQty = this.liquidityCap(order.qty, touch);
    const bps = this.takerSlipBps(fillQty, touch);
    const price = adverse(touch, buying, bps);

    const reason = this.entryReject(order, at, price);
    if (reason) return reject(reason);
    // The book moved past the bracket during the latency: the stop or target would already be crossed.
    const inside = buying ? order.sl < price && price < order.tp : order.tp < price && price < order.sl;
    if (!inside) return reject('bracket_crossed');

    this.emit(out, {
      event: 'Fill',
      orderId: order.id,
      side: order.side,
      price,
      qty: fillQty,
      fee: fee(notional(this.cfg.kind, fillQty, price), this.cfg.takerBps),
      liquidity: 'taker',
      sl: order.sl,
      tp: order.tp,
      at,
      orderAt: order.createdAt,
      latencyMs: order.latencyMs ?? 0,
      priceBeforeSlippage: touch,
      slipBps: bps,
    });
    this.useLiquidity(fillQty, touch);
    this.stops = [{ at, sl: order.sl }];
    const remainder = order.qty - fillQty;
    if (remainder > order.qty * 1e-9) {
      this.emit(out, {
        event: 'WorkingOrderPlaced',
        order: {
          id: `${order.id}#rest`,
          parentId: order.id,
          side: order.side,
          qty: remainder,
          limitPrice: adverse(price, buying, WORKING_ORDER_TOLERANCE_BPS),
          createdAt: at,
        },
        at,
      });
    }
    return out;
  }

  // ---------------------------------------------------------------- market data

  /**
   * `stopsOnly` while a blind span is being recovered: the stop is still honoured at once, but a target exit, a
   * trailing move or a remainder fill waits until the span's candles have said whether the stop was crossed
   * while the engine could not see (a position stopped out in the span must not take profit afterwards).
   */
  onTick(tick: Tick, stopsOnly = false): BrokerEvent[] {
    if (!validTick(tick)) return [];
    const out: BrokerEvent[] = [];
    const at = tick.ts;
    this.seen(at);
    this.rollDay(at, this.equityWith(tick), out);
    const pos = this.s.position;
    const hit = pos ? this.tickExit(pos, tick) : null;
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
    return out;
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
      const hit = this.candleExit(pos, candle);
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
    const { sl, trailed } = this.stopAt(first, span.fromTs);
    const stopReason: ExitReason = trailed ? 'TRAIL' : 'SL';
    for (const r of [...ranges].sort((a, b) => a.ts - b.ts)) {
      // Still held when this candle opened: it owes any settlement up to then (a candle opening inside the
      // span has a known open; one that began before the span adds no settlement the ticks did not see).
      this.noteFundingDue(r.ts, r.open ?? first.entry, out);
      const pos: Position | null = this.s.position;
      if (!pos || pos !== first) break;
      const at = Math.max(pos.openedAt, Math.min(r.ts + intervalMs, span.toTs));
      let d: ExitDecision | null = null;
      const long = pos.side === 'LONG';
      const open = r.open;
      if (long) {
        if (r.low !== null && r.low <= sl) d = { reason: stopReason, price: open !== null ? Math.min(sl, open) : sl };
        else if (r.high !== null && r.high >= pos.tp) d = { reason: 'TP', price: open !== null ? Math.max(pos.tp, open) : pos.tp };
      } else {
        if (r.high !== null && r.high >= sl) d = { reason: stopReason, price: open !== null ? Math.max(sl, open) : sl };
        else if (r.low !== null && r.low <= pos.tp) d = { reason: 'TP', price: open !== null ? Math.min(pos.tp, open) : pos.tp };
      }
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
    if (!validCandle(candle) || !(candle.ts > this.lastVolumeTs)) return;
    this.lastVolumeTs = candle.ts;
    this.lastVolume = candle.volume;
    this.liquidityLeft = candle.volume > 0 ? this.cfg.liquidityFraction * candle.volume : Infinity;
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

  private entryReject(order: Order, at: number, price: number): string | null {
    const s = this.s;
    const cfg = this.cfg;
    if (s.processedOrderIds.includes(order.id)) return 'duplicate_order_id';
    if (s.position) return 'position_open';
    const b = breakerAt(s.breaker, at, s.equity);
    if (b.tripped) return 'breaker_tripped';
    if (s.lastEntryAt !== null && at - s.lastEntryAt < cfg.minTradeIntervalMs) return 'throttled';
    const inWindow = s.recentOrderTimes.filter((t) => t > at - ORDER_RATE_WINDOW_MS && t <= at).length;
    if (inWindow >= cfg.maxOrdersPerMinute) return 'rate_limit_exceeded';
    if (dailyLossPct(b, s.equity) >= cfg.maxDailyLossPct) return 'daily_loss_exceeded';
    const n = notional(cfg.kind, order.qty, price);
    if (n > cfg.maxNotional) return 'notional_exceeded';
    if (!(s.equity > 0) || n / s.equity > cfg.maxLeverage) return 'leverage_exceeded';
    return null;
  }

  /** One entry takes at most liquidityFraction × the latest closed candle's volume; no known volume, no cap. */
  private liquidityCap(qty: number, price: number): number {
    if (this.lastVolume === null || !(this.lastVolume > 0)) return qty;
    const maxBase = this.cfg.liquidityFraction * this.lastVolume;
    if (baseQty(this.cfg.kind, qty, price) <= maxBase) return qty;
    return qtyFromBase(this.cfg.kind, maxBase, price);
  }

  /** What fills took from the latest candle's liquidity: a remainder waits for the next close. */
  private useLiquidity(qty: number, price: number): void {
    this.liquidityLeft = Math.max(0, this.liquidityLeft - baseQty(this.cfg.kind, qty, price));
  }

  /** A taker's adverse move: the configured slippage plus the impact of this fill's notional. */
  private takerSlipBps(qty: number, touch: number): number {
    return this.cfg.slipBps + impactBps(notional(this.cfg.kind, qty, touch), this.cfg.impactBpsPerMillion);
  }

  /** Latest settlement noted or applied (-Infinity when none). */
  private fundingAccountedTo(): number {
    const due = this.s.fundingDue;
    const last = this.s.lastFundingTime ?? -Infinity;
    return due && due.length > 0 ? Math.max(last, due[due.length - 1]!.fundingTime) : last;
  }

  /**
   * Notes FundingDue for each settlement in (already accounted, at] that the open position was held
   * through (opened at or before it). On the tick path this is a division and two comparisons.
   */
  private noteFundingDue(at: number, markPrice: number, out: BrokerEvent[]): void {
    const pos = this.s.position;
    if (!pos || !isFinitePositive(markPrice)) return;
    const step = this.cfg.fundingIntervalMs;
    const latest = Math.floor(at / step) * step;
    if (latest < pos.openedAt) return;
    const accounted = this.fundingAccountedTo();
    if (latest <= accounted) return;
    const first = Math.max(Math.ceil(pos.openedAt / step) * step, Math.floor(accounted / step) * step + step);
    const from = Math.max(first, latest - (MAX_SETTLEMENTS_AT_ONCE - 1) * step);
    for (let ft = from; ft <= latest; ft += step) {
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

  /** A new UTC day starts from `equityNow`: equity including the open position's unrealized PnL. */
  private rollDay(at: number, equityNow: number, out: BrokerEvent[]): void {
    if (this.s.breaker.day !== this.dayEndOf) {
      this.dayEndOf = this.s.breaker.day;
      this.dayEnd = Date.parse(this.dayEndOf) + 86_400_000; // NaN for an odd day string: falls through below
    }
    if (at < this.dayEnd) return; // same UTC day: no date string on the tick path (it was 15-25 % of it)
    if (!dayRolled(this.s.breaker, at)) return;
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

  private tickExit(pos: Position, tick: Tick): ExitDecision | null {
    if (pos.side === 'LONG') {
      if (tick.bid <= pos.sl) return { reason: pos.trailActive ? 'TRAIL' : 'SL', price: tick.bid };
      if (tick.bid >= pos.tp) return { reason: 'TP', price: tick.bid };
    } else {
      if (tick.ask >= pos.sl) return { reason: pos.trailActive ? 'TRAIL' : 'SL', price: tick.ask };
      if (tick.ask <= pos.tp) return { reason: 'TP', price: tick.ask };
    }
    return null;
  }

  /**
   * The stop a whole candle can be judged against: the one in force at its open. Stops only tighten,
   * so a low (LONG) below it crossed whatever stop was in force at that moment, while a low between it
   * and a stop trailed later in the candle may have happened before the trail (ticks decide those).
   */
  private stopAt(pos: Position, ts: number): { sl: number; trailed: boolean } {
    if (!this.stops || this.stops.length === 0) return { sl: pos.sl, trailed: pos.trailActive };
    let i = 0;
    for (let k = 1; k < this.stops.length; k++) if (this.stops[k]!.at <= ts) i = k;
    return { sl: this.stops[i]!.sl, trailed: i > 0 };
  }

  /** Stop-first when both are touched; a candle opening beyond a level fills at the open (gap-through). */
  private candleExit(pos: Position, c: Candle): ExitDecision | null {
    const { sl, trailed } = this.stopAt(pos, c.ts);
    const stopReason: ExitReason = trailed ? 'TRAIL' : 'SL';
    if (pos.side === 'LONG') {
      if (c.low <= sl) return { reason: stopReason, price: Math.min(sl, c.open) };
      if (c.high >= pos.tp) return { reason: 'TP', price: Math.max(pos.tp, c.open) };
    } else {
      if (c.high >= sl) return { reason: stopReason, price: Math.max(sl, c.open) };
      if (c.low <= pos.tp) return { reason: 'TP', price: Math.min(pos.tp, c.open) };
    }
    return null;
  }

  private exit(
    d: ExitDecision,
    source: 'tick' | 'candle' | 'forced',
    at: number,
    out: BrokerEvent[],
    span?: { fromTs: number; toTs: number },
  ): void {
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
    this.stops = null;
    this.cancelAll('position_closed', at, out);
    this.trip(lossStreakTrip(this.s.breaker, this.cfg), at, out);
    this.checkDrawdown(this.s.equity, at, out);
  }

  /** Trails the stop once price is trailActivateR in favour; emits only moves of at least STOP_STEP_R. */
  private trail(pos: Position, tick: Tick, out: BrokerEvent[]): void {
    const r = pos.riskDistance;
    if (!(r > 0)) return;
    const sign = sideSign(pos.side);
    const mark = touchPrice(pos.side === 'SHORT', tick.bid, tick.ask);
    const best = sign > 0 ? Math.max(pos.best, mark) : Math.min(pos.best, mark);
    if (sign * (best - pos.entry) < this.cfg.trailActivateR * r) return;
    const sl = best - sign * this.cfg.trailDistanceR * r;
    if (sign * (sl - pos.sl) < STOP_STEP_R * r * (1 - 1e-9)) return;
    this.emit(out, { event: 'StopMoved', orderId: pos.orderId, sl, best, at: tick.ts });
    this.stops?.push({ at: tick.ts, sl });
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
      // Never on the tick it was placed on; and only against a known candle's liquidity (after a
      // restart, not before the seeded history says what the market trades).
      if (!(tick.ts > w.createdAt) || this.lastVolume === null || !(this.liquidityLeft > 0)) continue;
      const buying = w.side === 'LONG';
      const touch = touchPrice(buying, tick.bid, tick.ask);
      const room = qtyFromBase(this.cfg.kind, this.liquidityLeft, touch);
      const qty = room >= w.qty * (1 - 1e-9) ? w.qty : room;
      const bps = this.takerSlipBps(qty, touch);
      const price = adverse(touch, buying, bps);
      if (buying ? price > w.limitPrice : price < w.limitPrice) continue;
      this.emit(out, {
        event: 'Fill',
        orderId: w.id,
        side: w.side,
        price,
        qty,
        fee: fee(notional(this.cfg.kind, qty, price), this.cfg.takerBps),
        liquidity: 'taker',
        sl: pos.sl,
        tp: pos.tp,
        at: tick.ts,
        orderAt: w.createdAt,
        latencyMs: 0,
        priceBeforeSlippage: touch,
        slipBps: bps,
      });
      this.useLiquidity(qty, touch);
      if (qty < w.qty) {
        this.emit(out, { event: 'WorkingOrderPlaced', order: { ...w, id: nextRestId(w), qty: w.qty - qty }, at: tick.ts });
      }
    }
  }

  private cancelAll(reason: WorkingCancelReason, at: number, out: BrokerEvent[]): void {
    for (const w of this.s.workingOrders) {
      this.emit(out, { event: 'WorkingOrderCancelled', id: w.id, reason, at });
    }
  }
}
