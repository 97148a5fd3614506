// Broker settings, validated once by the CLI. Defaults reproduce the original system's numbers
// (docs/original-system.md §2-§3): fees 2/6 bps, hard limits, 10 orders/min, 24 h working-order expiry.
import type { ContractKind } from './types.js';

export interface BrokerConfig {
  symbol: string;
  kind: ContractKind;
  makerBps: number;
  takerBps: number;
  /** Adverse slippage on every fill; exits draw a factor in [0.5, 1.5) from the RNG. */
  slipBps: number;
  /** Extra adverse price impact per 1,000,000 of notional, in bps. */
  impactBpsPerMillion: number;
  /** Max share of the last closed candle's volume one fill may take; the rest becomes a working order. */
  liquidityFraction: number;
  /** Seconds between entries (--min-trade-interval). */
  minTradeIntervalMs: number;
  maxOrdersPerMinute: number;
  maxNotional: number;
  maxLeverage: number;
  /** Entries are refused once the day's realized loss reaches this share of the day's starting equity. */
  maxDailyLossPct: number;
  workingOrderTtlMs: number;
  /** The trailing stop arms once price has moved this many R in favour... */
  trailActivateR: number;
  /** ...and then trails this many R behind the best price. */
  trailDistanceR: number;
  /** Circuit breaker (docs/paper-broker.md §3). */
  maxDrawdownPct: number;
  maxLosses: number;
  /** How many processed client order ids to remember for idempotency. */
  processedIdsCap: number;
  /** Funding settles every this many ms from 00:00 UTC (8 h: 00:00, 08:00, 16:00). */
  fundingIntervalMs: number;
}

export const DEFAULT_BROKER_CONFIG: BrokerConfig = {
  symbol: 'BTCUSDT',
  kind: 'linear',
  makerBps: 2,
  takerBps: 6,
  slipBps: 0.5,
  impactBpsPerMillion: 1,
  liquidityFraction: 0.25,
  minTradeIntervalMs: 60_000,
  maxOrdersPerMinute: 10,
  maxNotional: 200_000,
  maxLeverage: 20,
  maxDailyLossPct: 5,
  workingOrderTtlMs: 24 * 3600_000,
  trailActivateR: 1,
  trailDistanceR: 1,
  maxDrawdownPct: 5,
  maxLosses: 5,
  processedIdsCap: 1000,
  fundingIntervalMs: 8 * 3600_000,
};

/** `BTCUSD`-style symbols (USD, not USDT/USDC) are inverse contracts. */
export function contractKind(symbol: string): ContractKind {
  return /USD$/.test(symbol) ? 'inverse' : 'linear';
}
