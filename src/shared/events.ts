// Journal events. Broker events change state and are replayed by `applyEvent`; the others are facts
// about the session. Every journal line is `{seq, ts, event, ...payload}`, its fields in the order the
// recorder wrote them: these types describe the lines, they do not shape them.
import type { BadFrameReason, KlineInterval } from './bitunix/index.js';
import type { BlindCause } from './blind-spans.js';
import type { CandleRejection } from './candle-validator.js';
import type { LoadResult } from './persistence-api.js';
import type { GuardRejection } from './price-guard.js';
import type { TradingStateName, TradingStateReason } from './trading-state.js';
import type { ExitReason, FundingDue, Side, WorkingOrder } from './types.js';

// Fill and Exit carry what a reader needs to recheck the price from the journal alone:
// price = priceBeforeSlippage moved adversely by slipBps, and a Fill is never earlier than
// orderAt + latencyMs. The broker always writes them; journals from before they existed lack them.
export interface FillEvent {
  event: 'Fill';
  orderId: string;
  side: Side;
  price: number;
  qty: number;
  fee: number;
  liquidity: 'taker' | 'maker';
  sl: number;
  tp: number;
  /** Market time of the fill (the quote's tick). */
  at: number;
  /** Market time the order was created (a working remainder: when it was placed). */
  orderAt?: number;
  /** Exchange latency sampled for the order when it was queued (0 for a working remainder). */
  latencyMs?: number;
  /** The touch the fill was priced from: the ask for a buy, the bid for a sell. */
  priceBeforeSlippage?: number;
  /** Adverse slippage plus impact applied to it, in bps. */
  slipBps?: number;
}
export interface ExitEvent {
  event: 'Exit';
  orderId: string;
  reason: ExitReason;
  price: number;
  qty: number;
  /** Gross PnL in the quote coin (fees are separate). */
  pnl: number;
  fee: number;
  /** 'tick' when decided on a tick, 'candle' when from candle high/low (gaps, downtime), 'forced' otherwise. */
  source: 'tick' | 'candle' | 'forced';
  at: number;
  /** The level or touch the exit was decided at (a gap-through: the open). */
  priceBeforeSlippage?: number;
  /** Adverse exit slippage applied to it, in bps. */
  slipBps?: number;
  /** Decided after the fact, on candles fetched for a blind span (docs/reliability.md). */
  recovered?: true;
  span?: { fromTs: number; toTs: number };
}
/** Why the broker refuses an entry it could otherwise fill (also answered before queueing, by checkEntry). */
export type EntryRefusal =
  | 'invalid_order'
  | 'duplicate_order_id'
  | 'position_open'
  | 'breaker_tripped'
  | 'throttled'
  | 'rate_limit_exceeded'
  | 'daily_loss_exceeded'
  | 'notional_exceeded'
  | 'leverage_exceeded';
/** Why a quoted order did not fill: a refused entry, or a quote it cannot be priced from. */
export type OrderRejectReason = EntryRefusal | 'invalid_quote' | 'quote_before_latency' | 'bracket_crossed';
export interface OrderRejectedEvent {
  event: 'OrderRejected';
  orderId: string;
  reason: OrderRejectReason;
  at: number;
}
export type WorkingCancelReason = 'shutdown' | 'expired' | 'position_closed' | 'breaker';
export interface WorkingOrderPlacedEvent {
  event: 'WorkingOrderPlaced';
  order: WorkingOrder;
  at: number;
}
export interface WorkingOrderCancelledEvent {
  event: 'WorkingOrderCancelled';
  id: string;
  reason: WorkingCancelReason;
  at: number;
}
export interface StopMovedEvent {
  event: 'StopMoved';
  orderId: string;
  sl: number;
  best: number;
  at: number;
}
export interface FundingAppliedEvent {
  event: 'FundingApplied';
  /** Fraction (the exchange's percent / 100). */
  rate: number;
  /** Signed change of equity: negative when the position pays. */
  amount: number;
  fundingTime: number;
  side: Side;
  at: number;
  /** Set when the rate used is the one settled at a later time (the settlement's own was never published). */
  rateTime?: number;
}
/** The position was held through a settlement: what it owes is fixed now, the rate comes later. */
export interface FundingDueEvent extends FundingDue {
  event: 'FundingDue';
  at: number;
}
export interface BreakerTrippedEvent {
  event: 'BreakerTripped';
  reason: 'max_drawdown' | 'max_losses';
  detail: string;
  at: number;
}
export interface BreakerResetEvent {
  event: 'BreakerReset';
  day: string;
  /** Equity including unrealized PnL at the first market event of the day. */
  dayStartEquity: number;
  at: number;
}
/** The day's peak equity including unrealized PnL rose: persisted so a restart measures drawdown from it. */
export interface BreakerPeakEvent {
  event: 'BreakerPeak';
  peakEquity: number;
  at: number;
}

/** Events that change BrokerState. */
export type BrokerEvent =
  | FillEvent
  | ExitEvent
  | OrderRejectedEvent
  | WorkingOrderPlacedEvent
  | WorkingOrderCancelledEvent
  | StopMovedEvent
  | FundingAppliedEvent
  | FundingDueEvent
  | BreakerTrippedEvent
  | BreakerResetEvent
  | BreakerPeakEvent;
export type BrokerEventName = BrokerEvent['event'];

// ── session facts: never replayed into broker state ──

/** Why a session ended: SessionEnd's reason and the session's stop(). */
export type StopReason = 'signal' | 'duration' | 'kill_file' | 'breaker' | 'ws_fatal' | 'error_budget' | 'memory' | 'lock_compromised' | 'replay_end' | 'fatal';
export type FeedKind = 'bitunix' | 'sim' | 'replay';
/** A dropped frame's reason: the codec's, the price guard's, a tick older than the book, or a REST candle's. */
export type BadFrameCause = BadFrameReason | GuardRejection | 'ts_backwards' | `rest_${CandleRejection}`;

export interface SessionStartEvent {
  event: 'SessionStart';
  pid: number;
  version: string;
  balance: number;
  feed: FeedKind;
  strategy: string;
  interval: KlineInterval;
  dryRun: boolean;
  /** Wall-clock ms the session started. */
  at: number;
}
export interface SessionEndEvent {
  event: 'SessionEnd';
  reason: StopReason;
  exitCode: number;
  errors: number;
}
export interface StateLoadedEvent {
  event: 'StateLoaded';
  source: LoadResult['source'];
  snapshotSeq: number;
  lastSeq: number;
  replayed: number;
  journalRead: LoadResult['journalRead'];
}
/** A state file that failed its checks and was set aside. */
export interface StateQuarantinedEvent {
  event: 'StateQuarantined';
  file: string;
}
export interface OrderQueuedEvent {
  event: 'OrderQueued';
  orderId: string;
  side: Side;
  qty: number;
  sl: number;
  tp: number;
  refPrice: number;
  at: number;
  latencyMs?: number;
}
export interface OrderDroppedEvent {
  event: 'OrderDropped';
  orderId: string;
  reason: 'queue_full';
  depth: number;
}
export interface WsConnectedEvent {
  event: 'WsConnected';
  reconnects: number;
}
export interface WsDisconnectedEvent {
  event: 'WsDisconnected';
  /** What the socket said or did (free text: a close code, an error message). */
  reason: string;
  retryInMs: number;
  consecutiveFailures: number;
}
export interface WsFatalEvent {
  event: 'WsFatal';
  reason: string;
}
export interface StaleDataEvent {
  event: 'StaleData';
  lastTickAgeSec: number;
}
export interface GapBackfilledEvent {
  event: 'GapBackfilled';
  fromTs: number;
  toTs: number;
  candles: number;
}
/** Frames dropped so far this session, in total and by reason. */
export interface BadFramesEvent {
  event: 'BadFrames';
  total: number;
  byReason: Partial<Record<BadFrameCause, number>>;
}
export interface StrategyErrorEvent {
  event: 'StrategyError';
  strategy: string;
  candleTs: number;
  message: string;
}
export interface BlindSpanEvent {
  event: 'BlindSpan';
  fromTs: number;
  toTs: number;
  /** The first of `causes`. */
  cause: BlindCause;
  causes: BlindCause[];
  seconds: number;
}
export interface TradingStateEvent {
  event: 'TradingState';
  state: TradingStateName;
  reason: TradingStateReason | null;
  previous: TradingStateName;
}

/** Session facts: never replayed into broker state. */
export type SessionEvent =
  | SessionStartEvent
  | SessionEndEvent
  | StateLoadedEvent
  | StateQuarantinedEvent
  | OrderQueuedEvent
  | OrderDroppedEvent
  | WsConnectedEvent
  | WsDisconnectedEvent
  | WsFatalEvent
  | StaleDataEvent
  | GapBackfilledEvent
  | BadFramesEvent
  | StrategyErrorEvent
  | BlindSpanEvent
  | TradingStateEvent;
export type SessionEventName = SessionEvent['event'];

export type EngineEvent = BrokerEvent | SessionEvent;
export type EngineEventName = EngineEvent['event'];
/** The event of one kind: `EventOf<'Fill'>` is FillEvent. */
export type EventOf<K extends EngineEventName> = Extract<EngineEvent, { event: K }>;

/** A line of events.jsonl. `ts` is wall-clock ms when the event was recorded. */
export type JournalEntry = EngineEvent & { seq: number; ts: number };

// The union's kinds at run time: `satisfies` makes a kind missing here, or one the union lacks, a compile error.
const BROKER_KINDS = {
  Fill: true,
  Exit: true,
  OrderRejected: true,
  WorkingOrderPlaced: true,
  WorkingOrderCancelled: true,
  StopMoved: true,
  FundingApplied: true,
  FundingDue: true,
  BreakerTripped: true,
  BreakerReset: true,
  BreakerPeak: true,
} as const satisfies Record<BrokerEventName, true>;

export const BROKER_EVENT_NAMES: ReadonlySet<string> = new Set(Object.keys(BROKER_KINDS) as BrokerEventName[]);

export function isBrokerEvent(e: { event: string }): e is BrokerEvent {
  return BROKER_EVENT_NAMES.has(e.event);
}
