// Domain types shared by every thread. Prices are numbers (decoded once at the codec), times are epoch ms.

export type Side = 'LONG' | 'SHORT';

/** Best bid/ask and last trade, updated by every depth or trade frame. `ts` is exchange (market) time. */
export interface Tick {
  ts: number;
  bid: number;
  ask: number;
  last: number;
}

/** A candle; `ts` is its open time (epoch ms). Volume is in the base coin. */
export interface Candle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** What a strategy returns on a closed candle (docs/strategies.md). */
export interface Signal {
  side: Side;
  sl?: number;
  tp?: number;
}

/** Linear contracts (BTCUSDT) settle PnL in the quote coin; inverse (BTCUSD) size in USD contracts. */
export type ContractKind = 'linear' | 'inverse';

/** An entry order as the engine builds it from a signal. `id` is the idempotent client order id. */
export interface Order {
  id: string;
  side: Side;
  /** Base coin for linear, USD contracts for inverse. */
  qty: number;
  /** The price the strategy saw (the candle close). */
  refPrice: number;
  sl: number;
  tp: number;
  /** Market time the order was created. */
  createdAt: number;
  /**
   * Simulated exchange latency in market ms, sampled when the order is queued. No fill may be priced
   * from a tick older than createdAt + latencyMs. Absent means 0 (an order priced at once).
   */
  latencyMs?: number;
}

/** What an execution worker returns after the simulated latency: the book at that moment. */
export interface FillQuote {
  orderId: string;
  /** Market time of the tick the quote was priced from (or the order's time plus its latency when synthetic). */
  ts: number;
  bid: number;
  ask: number;
  last: number;
  latencyMs: number;
  /** True when the ring held no tick and a synthetic spread around the order's refPrice was used. */
  synthetic: boolean;
}

export type ExitReason = 'SL' | 'TP' | 'TRAIL' | 'FORCE_CLOSE' | 'BREAKER';

export interface Position {
  orderId: string;
  side: Side;
  /** Average entry price. */
  entry: number;
  qty: number;
  sl: number;
  tp: number;
  openedAt: number;
  /** Entry fees paid so far (already taken from equity). */
  entryFee: number;
  /** Initial |entry - sl|, the "R" used by the trailing stop. */
  riskDistance: number;
  /** Best price seen since entry (highest for LONG, lowest for SHORT). */
  best: number;
  trailActive: boolean;
}

/** The unfilled remainder of an entry that hit the liquidity cap; it fills on later ticks. */
export interface WorkingOrder {
  id: string;
  parentId: string;
  side: Side;
  qty: number;
  /** Worst acceptable price (the parent fill price plus a tolerance). */
  limitPrice: number;
  createdAt: number;
}

/** What a position owes at a funding settlement, noted at the settlement instant until its rate arrives. */
export interface FundingDue {
  fundingTime: number;
  side: Side;
  qty: number;
  /** Mark price at the settlement (the book's mid at the first tick at or after it). */
  markPrice: number;
}

export interface BreakerState {
  /** UTC day (YYYY-MM-DD, market time) the counters belong to. */
  day: string;
  dayStartEquity: number;
  /** Highest equity (including unrealized PnL) seen this day. */
  peakEquity: number;
  consecutiveLosses: number;
  tripped: boolean;
  reason: string | null;
  trippedAt: number | null;
}

/** Everything the broker owns; persisted inside state.json and rebuilt by folding the journal. */
export interface BrokerState {
  /** Realized equity in the quote coin (USDT): balance + realized PnL - fees + funding. */
  equity: number;
  startingEquity: number;
  position: Position | null;
  workingOrders: WorkingOrder[];
  /** Client order ids already filled or rejected (bounded, newest last). */
  processedOrderIds: string[];
  /** Market time of the last entry fill (min-trade-interval). */
  lastEntryAt: number | null;
  /** Market times of recent accepted orders (orders-per-minute window). */
  recentOrderTimes: number[];
  breaker: BreakerState;
  /** Next funding settlement already applied up to (market ms), to apply each settlement once. */
  lastFundingTime: number | null;
  /**
   * Settlements the open position was held through whose rate has not arrived yet (oldest first);
   * absent when none. Owed even if the position closes before the rate is known.
   */
  fundingDue?: FundingDue[];
  stats: { trades: number; wins: number; fees: number; realizedPnl: number; funding: number };
}

/**
 * Where the journal line of a snapshot's `seq` lies in events.jsonl, so a restart reads only what follows
 * it: the line starts at byte `offset`, is `bytes` long without its newline, and hashes to `sha256`.
 */
export interface JournalPosition {
  offset: number;
  bytes: number;
  sha256: string;
}

/** state.json. `seq` is the last journal event the snapshot includes. */
export interface StateSnapshot extends BrokerState {
  version: 1;
  symbol: string;
  seq: number;
  savedAt: number;
  /** Market time of the last tick seen when saved: where a restart's blind span begins (absent in older files). */
  marketTs?: number;
  /** The price range seen in the minute of `marketTs`, so a restart does not judge again what was seen. */
  seenMinute?: { ts: number; high: number; low: number };
  /** Set by the persistence worker when it writes the snapshot; absent when the line's place is unknown. */
  journalAt?: JournalPosition;
  checksum: string;
}
