// The tick path, without I/O: decoded frames in; ticks into the ring and through the broker; klines into
// candles; closed candles through the strategy into orders; quotes back into the broker. Everything
// the core decides leaves through its sink (journal, execution queue, backfill, stop), so the session
// owns sockets, timers and files while this stays testable frame by frame. Orders wait out their latency in an
// Executor (worker pool or market time); the core does not know which.
import type { Frame } from '../../shared/bitunix/index.js';
import { BlindSpanTracker, SeenPrices, unseenRange, type BlindCause, type BlindSpan } from '../../shared/blind-spans.js';
import { orderDueAt, type PaperBroker } from '../../shared/broker.js';
import type { CandleBuilder } from '../../shared/candle-builder.js';
import type { BadFrameCause, BrokerEvent, EngineEvent } from '../../shared/events.js';
import { LatencyHistogram } from '../latency-histogram.js';
import type { Strategy } from '../../shared/strategy.js';
import type { TickRing } from '../../shared/tick-ring.js';
import type { Rng } from '../../shared/rng.js';
import type { Candle, ContractKind, FillQuote, Order, Tick } from '../../shared/types.js';
import { validateCandles, type CandleRejection } from '../../shared/candle-validator.js';
import { priceBoundFor, type PriceBound } from '../../shared/price-bound.js';
import { PriceGuard } from '../../shared/price-guard.js';
import { SessionRecord } from '../../shared/session-record.js';
import { brokerEventLog } from './broker-event-log.js';
import { entryFor, type EntryDeps } from './entry-signal.js';
import type { Executor } from './executor.js';

/** Ticks going back further than this (market time) are bad frames (docs/reliability.md §5). */
const TS_BACKWARDS_LIMIT_MS = 5_000;

export interface CoreSink {
  /** Journal an event (broker events change state and are replayed on restart); returns its seq. */
  record(e: EngineEvent): number | undefined;
  /** Broker state changed: a snapshot is due. */
  changed(): void;
  /** Closed candles are missing between two closes: fetch them. */
  gap(fromTs: number, toTs: number): void;
  /** A blind span closed (or was found): journal it and fetch its candles for `recoverSpans`. */
  blindSpan(span: BlindSpan): void;
  /** The breaker tripped: flatten and end the session. */
  breakerTripped(): void;
  /** A session error (strategy threw, invalid signal): counted and logged once. */
  error(message: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface CoreConfig {
  /**
   * Exchange latency in market ms (--latency-ms), sampled from the seeded RNG when an order is queued
   * and carried with it (journaled in OrderQueued), so a fill can be checked against it. Absent: 0.
   */
  latency?: { min: number; max: number; rng: Rng } | null;
  symbol: string;
  kind: ContractKind;
  intervalMs: number;
  riskPct: number;
  stopBps: number;
  tpR: number;
  /** Market ms the feed can advance per wall ms (PriceGuardConfig.marketSpeed); default 1, live. */
  marketSpeed?: number;
  /** Default: priceBoundFor(symbol). */
  priceBound?: PriceBound;
  /** A replay: no execution workers read the tick ring, and tick age (exchange ts → wall clock) means nothing on a tape. */
  replay?: boolean;
}

export class TradingCore {
  /** The current tick: updated in place by every book or trade frame. */
  readonly tick: Tick = { ts: 0, bid: 0, ask: 0, last: 0 };
  private _haveBook = false;
  /** Latest market time seen on any frame. */
  private _lastMarketTs = 0;
  /** Wall time of the last tick. */
  private _lastTickWall = 0;
  private _ticks = 0;
  /** True while no tick arrived for --stale-timeout: no new entries, the position is still managed. */
  private _stale = false;
  /** Why new entries are refused (stopping, kill switch, state unsaved, reconnect storm), or null. */
  private _entriesBlocked: string | null = null;
  /**
   * Set when state can no longer be saved (disk error, lock lost): a quote still in flight is discarded
   * rather than opening a position that could never be persisted. A normal stop leaves it null so
   * in-flight orders still fill while the queue drains.
   */
  private _fillsBlocked: string | null = null;
  private _barIndex = 0;
  /** Frame received → stop/target/trailing decided, for every tick while a position is open. */
  readonly stopDecision = new LatencyHistogram();
  /** Exchange ts → processed (wall clock), for every tick; meaningful only when both clocks agree (live). */
  readonly tickAge = new LatencyHistogram();
  /** Market stretches not seen tick by tick, and what was seen of recent minutes (to judge the rest). */
  private readonly spans = new BlindSpanTracker();
  private readonly seenPrices = new SeenPrices();
  /** Market time of the last trusted tick. */
  private lastTickTs = 0;
  /** Every candle closed this session (live or backfilled), for candles.csv and the reports. */
  readonly record: SessionRecord;
  private readonly _badFrames = new Map<BadFrameCause, number>();
  private _badFramesTotal = 0;
  /** Judges every market frame before it may move money (only trusted ticks reach the ring and the broker). */
  readonly guard: PriceGuard;
  private readonly priceBound: PriceBound;
  private readonly entry: EntryDeps;

  constructor(
    private readonly cfg: CoreConfig,
    readonly broker: PaperBroker,
    readonly builder: CandleBuilder,
    private readonly ring: TickRing,
    strategy: Strategy,
    private readonly sink: CoreSink,
    private readonly executor: Executor,
    /** The session's (fed the journal's entries too); by default one of the core's own. */
    record?: SessionRecord,
  ) {
    this.record = record ?? new SessionRecord(broker.state, cfg.intervalMs, cfg.kind);
    executor.deliverTo((order, quote) => this.onQuote(order, quote));
    this.entry = { cfg, broker, builder, strategy, sink };
    this.priceBound = cfg.priceBound ?? priceBoundFor(cfg.symbol);
    this.guard = new PriceGuard({ symbol: cfg.symbol, bound: this.priceBound, marketSpeed: cfg.marketSpeed ?? 1 });
    const pos = broker.state.position;
    if (pos) this.guard.anchor(pos.entry, pos.openedAt);
  }

  /**
   * `recv` is the wall time the frame arrived; `recvHr` its performance.now(), from which the stop
   * decision latency is measured (omitted in tests that do not measure).
   */
  onFrame(frame: Frame, recv: number, recvHr = -1): void {
    // ── the guard: no single frame moves money ──
    const verdict = this.guard.screen(frame, recv);
    const unconfirmed = this.guard.takeUnconfirmed();
    if (unconfirmed > 0) this.countBad('implausible_price', unconfirmed);
    if (verdict === 'suspect') return;
    if (verdict === 'confirmed') {
      for (const held of this.guard.takeConfirmed()) this.dispatch(held.frame, held.recv, recvHr);
    } else if (verdict !== 'trusted') {
      this.countBad(verdict);
      return;
    }
    this.dispatch(frame, recv, recvHr);
  }

  private dispatch(frame: Frame, recv: number, recvHr: number): void {
    switch (frame.type) {
      case 'book':
        this.tick.bid = frame.bid;
        this.tick.ask = frame.ask;
        if (!this._haveBook && this.tick.last === 0) this.tick.last = (frame.bid + frame.ask) / 2;
        this._haveBook = true;
        this.onTick(frame.ts, recv, recvHr);
        return;
      case 'trade':
        this.tick.last = frame.price;
        if (this._haveBook) this.onTick(frame.ts, recv, recvHr);
        return;
      case 'kline':
        this.onKline(frame);
        return;
      case 'price':
        this.onPrice(frame);
        return;
      case 'bad':
        this.countBad(frame.reason);
        return;
      default:
        return; // connect, pong, acks
    }
  }

  private onTick(ts: number, recv: number, recvHr: number): void {
    if (ts < this._lastMarketTs - TS_BACKWARDS_LIMIT_MS) {
      this.countBad('ts_backwards');
      return;
    }
    this.tick.ts = ts;
    if (ts > this._lastMarketTs) this._lastMarketTs = ts;
    if (ts > this.lastTickTs) this.lastTickTs = ts;
    if (this.cfg.replay !== true) {
      this.ring.write(ts, this.tick.bid, this.tick.ask, this.tick.last, recv);
      this.tickAge.recordMs(recv - ts);
    }
    this.seenPrices.observeTick(this.tick);
    if (this.spans.isOpen) {
      const span = this.spans.resume(ts);
      if (span) this.sink.blindSpan(span);
    }
    this._ticks++;
    this._lastTickWall = recv;
    if (this._stale) {
      this._stale = false;
      this.sink.info({}, 'ticks flowing again');
    }
    const events = this.broker.onTick(this.tick, this.spans.blind);
    // Decided: exit or hold. Measured before the events go to the journal (that is bookkeeping).
    if (recvHr >= 0 && (this.broker.state.position !== null || events.length > 0)) this.stopDecision.recordMs(performance.now() - recvHr);
    if (events.length > 0) this.applyBroker(events);
    this.executor.onTick(this.tick);
  }

  /** Orders handed to the executor and not yet quoted. */
  get pendingOrders(): number {
    return this.executor.pending;
  }

  /** The order with its latency sampled, or null when the executor is full. */
  private submit(built: Order): Order | null {
    const order: Order = { ...built, latencyMs: this.sampleLatency() };
    return this.executor.submit(order) ? order : null;
  }

  private sampleLatency(): number {
    const l = this.cfg.latency;
    if (!l) return 0;
    return l.max > l.min ? l.rng.int(l.min, l.max) : l.min;
  }

  private onKline(k: Extract<Frame, { type: 'kline' }>): void {
    if (k.ts > this._lastMarketTs) this._lastMarketTs = k.ts;
    this.onCandleUpdate(this.builder.onKline(k));
  }

  /** Close the forming candle once its bucket end plus grace has passed in market time (or at `at`). */
  onMarketTime(at = this._lastMarketTs): void {
    this.onCandleUpdate(this.builder.onTime(at));
  }

  /**
   * Missing candles are one kind of blind span: their minutes are judged like any other span's (ticks seen in
   * them, if any, already were), and the strategy waits until they are. The builder's history is backfilled too.
   */
  private onCandleUpdate(r: ReturnType<CandleBuilder['onTime']>): void {
    if (r.gap) {
      this.sink.gap(r.gap.fromTs, r.gap.toTs);
      const span = this.broker.state.position ? this.spans.add({ fromTs: r.gap.fromTs, toTs: r.gap.toTs + this.cfg.intervalMs, causes: ['gap'] }) : null;
      if (span) this.sink.blindSpan(span);
    }
    for (const c of r.closed) this.onClosedCandle(c);
  }

  /**
   * Blindness began (disconnect, stale data, suspension): from the last tick seen until the next one, nothing is
   * decided on candles and the position is judged on the span's candles once it ends. `sinceTs` overrides the
   * start (the market time a saved state reached, for the time the engine was not running).
   */
  blind(cause: BlindCause, sinceTs = this.lastTickTs): void {
    this.spans.begin(cause, sinceTs);
  }

  /** The newest minute's seen price range (saved with snapshots), and seeding it back after a restart. */
  get seenMinute(): { ts: number; high: number; low: number } | null {
    return this.seenPrices.newest();
  }

  restoreSeenMinute(m: { ts: number; high: number; low: number }): void {
    this.seenPrices.restore(m);
  }

  /** Market time of the last trusted tick (0 before the first). */
  get lastTickMarketTs(): number {
    return this.lastTickTs;
  }

  /** True from the start of blindness until its candles are judged: no entries meanwhile. */
  get recovering(): boolean {
    return this.spans.blind;
  }

  /** Spans closed but not yet judged, oldest first. */
  get pendingSpans(): readonly BlindSpan[] {
    return this.spans.pending;
  }

  /**
   * Judge the position on the candles fetched for these spans (1-minute, the forming one included, already
   * validated): only what the engine did not see of each minute counts. Events carry `recovered: true`.
   */
  recoverSpans(spans: readonly BlindSpan[], candles: readonly Candle[]): void {
    const sorted = [...candles].sort((a, b) => a.ts - b.ts);
    for (const span of spans) {
      if (!this.broker.state.position) break;
      const ranges = sorted.flatMap((c) => unseenRange(c, span, this.seenPrices.minute(c.ts)) ?? []);
      this.applyBroker(this.broker.onBlindSpan(ranges, span));
    }
    this.spans.recovered(spans);
  }

  private onPrice(p: Extract<Frame, { type: 'price' }>): void {
    // `fr` on the price channel is the rate settled at `ft`: the broker pays what was owed at that
    // settlement (noted on the first tick after it, even if the position closed since), once.
    this.applyBroker(this.broker.applyFunding(p.fundingRate, p.fundingTime, p.markPrice));
  }

  /**
   * Whole candles the engine did not see at all: a span covering them, judged at once (tests and tools; the
   * session goes through `blind`/`recoverSpans`).
   */
  checkMissed(candles: Candle[]): void {
    if (candles.length === 0) return;
    const first = candles.reduce((a, c) => (c.ts < a.ts ? c : a));
    const last = candles.reduce((a, c) => (c.ts > a.ts ? c : a));
    const span: BlindSpan = { fromTs: first.ts - 1, toTs: last.ts + this.cfg.intervalMs - 1, causes: ['gap'] };
    this.recoverSpans([span], candles);
  }

  /** Backfilled candles join the session's record in time order (and the newest sets the liquidity). */
  recordBackfilled(candles: Candle[]): void {
    if (candles.length === 0) return;
    for (const c of candles) this.broker.noteClosedCandle(c);
    this.record.backfilled(candles);
  }

  /** The history seeded from REST: the strategy's warm-up, and the liquidity of its newest candle. */
  seed(candles: Candle[]): void {
    this.builder.seed(candles);
    for (const c of candles) this.broker.noteClosedCandle(c);
  }

  private onClosedCandle(c: Candle): void {
    this._barIndex++;
    this.broker.noteClosedCandle(c);
    this.applyBroker(this.broker.persistPeak(c.ts + this.cfg.intervalMs));
    this.record.closed(c);
    if (this._entriesBlocked !== null || this._stale || this.spans.blind) return;
    const st = this.broker.state;
    if (st.breaker.tripped || st.position) return;
    const order = entryFor(this.entry, c, this._barIndex, Math.max(this._lastMarketTs, c.ts + this.cfg.intervalMs));
    if (order === null) return;
    const queued = this.submit(order);
    if (queued) {
      this.sink.record({
        event: 'OrderQueued',
        orderId: queued.id,
        side: queued.side,
        qty: queued.qty,
        sl: queued.sl,
        tp: queued.tp,
        refPrice: queued.refPrice,
        at: queued.createdAt,
        latencyMs: queued.latencyMs,
      });
    } else {
      const depth = this.executor.depth;
      this.sink.record({ event: 'OrderDropped', orderId: order.id, reason: 'queue_full', depth });
      this.sink.warn({ orderId: order.id, depth }, 'execution queue full: order dropped');
    }
  }

  onQuote(order: Order, quote: FillQuote): void {
    if (this._fillsBlocked !== null) {
      this.sink.warn({ orderId: order.id, reason: this._fillsBlocked }, 'fill discarded: state cannot be saved');
      return;
    }
    // The worker's wait ended but the ring's newest tick is older than the order plus its latency
    // (a quiet book, or a market clock running faster than the wall): fill at the first tick that is not.
    if (Number.isFinite(quote.ts) && quote.ts < orderDueAt(order) && !quote.synthetic) {
      this.executor.hold(order);
      return;
    }
    this.applyBroker(this.broker.applyQuote(order, quote));
  }

  /** Journal broker events and react to the ones that end the session. */
  applyBroker(events: readonly BrokerEvent[]): void {
    if (events.length === 0) return;
    let tripped = false;
    for (const e of events) {
      const line = brokerEventLog(e, this.sink.record(e));
      if (line) this.sink[line.level](line.obj, line.msg);
      if (e.event === 'BreakerTripped') tripped = true;
    }
    this.sink.changed();
    if (tripped) this.sink.breakerTripped();
  }

  countBad(reason: BadFrameCause, n = 1): void {
    this._badFrames.set(reason, (this._badFrames.get(reason) ?? 0) + n);
    this._badFramesTotal += n;
  }

  /**
   * Candles fetched from REST, checked before they may seed history or close a position (validateCandles,
   * against the guard's trusted price); rejections are counted as bad frames `rest_<reason>`.
   */
  screenCandles(candles: Candle[], intervalMs = this.cfg.intervalMs): Candle[] {
    const { accepted, rejected } = validateCandles(candles, { intervalMs, bound: this.priceBound, reference: this.guard.reference });
    for (const [reason, n] of Object.entries(rejected) as [CandleRejection, number][]) this.countBad(`rest_${reason}`, n);
    return accepted;
  }

  /** Unrealized PnL at the current tick (0 before the first book). */
  unrealized(): number {
    return this._haveBook ? this.broker.unrealized(this.tick) : 0;
  }

  // ── what the session decides, and what it reads ──

  /** Refuse new entries for `reason` (null: allow them again). Open positions are still managed. */
  blockEntries(reason: string | null): void {
    this._entriesBlocked = reason;
  }

  /** From now on discard quotes (state can no longer be saved); the first reason given is kept. */
  blockFills(reason: string): void {
    this._fillsBlocked ??= reason;
  }

  /** No tick for the stale timeout: no entries until the next tick (which says so in the log). */
  markStale(): void {
    this._stale = true;
  }

  get haveBook(): boolean {
    return this._haveBook;
  }
  get lastMarketTs(): number {
    return this._lastMarketTs;
  }
  /** Wall time the last tick arrived (0 before the first). */
  get lastTickWall(): number {
    return this._lastTickWall;
  }
  get ticks(): number {
    return this._ticks;
  }
  get stale(): boolean {
    return this._stale;
  }
  get entriesBlocked(): string | null {
    return this._entriesBlocked;
  }
  get fillsBlocked(): string | null {
    return this._fillsBlocked;
  }
  /** Candles closed this session. */
  get barIndex(): number {
    return this._barIndex;
  }
  get badFrames(): ReadonlyMap<BadFrameCause, number> {
    return this._badFrames;
  }
  get badFramesTotal(): number {
    return this._badFramesTotal;
  }
}
