// Journal events (SPEC §5). Broker events change state and are replayed by `applyEvent`;
// the others are facts about the session. Every journal line is `{seq, ts, event, ...payload}`.
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
export interface OrderRejectedEvent {
  event: 'OrderRejected';
  orderId: string;
  reason: string;
  at: number;
}
export interface WorkingOrderPlacedEvent {
  event: 'WorkingOrderPlaced';
  order: WorkingOrder;
  at: number;
}
export interface WorkingOrderCancelledEvent {
  event: 'WorkingOrderCancelled';
  id: string;
  reason: 'shutdown' | 'expired' | 'position_closed' | 'breaker';
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

/** Session facts: never replayed into broker state. */
export interface SessionEvent {
  event:
    | 'SessionStart'
    | 'SessionEnd'
    | 'StateLoaded'
    | 'StateQuarantined'
    | 'OrderQueued'
    | 'OrderDropped'
    | 'WsConnected'
    | 'WsDisconnected'
    | 'WsFatal'
    | 'StaleData'
    | 'GapBackfilled'
    | 'BadFrames'
    | 'StrategyError'
    | 'BlindSpan'
    | 'TradingState';
  [field: string]: unknown;
}

export type EngineEvent = BrokerEvent | SessionEvent;

/** A line of events.jsonl. `ts` is wall-clock ms when the event was recorded. */
export type JournalEntry = EngineEvent & { seq: number; ts: number };

export const BROKER_EVENT_NAMES: ReadonlySet<string> = new Set([
  'Fill',
  'Exit',
  'OrderRejected',
  'WorkingOrderPlaced',
  'WorkingOrderCancelled',
  'StopMoved',
  'FundingApplied',
  'FundingDue',
  'BreakerTripped',
  'BreakerReset',
  'BreakerPeak',
]);

export function isBrokerEvent(e: { event: string }): e is BrokerEvent {
  return BROKER_EVENT_NAMES.has(e.event);
}
