// Where an order waits out its exchange latency and comes back as a quote. Two kinds: the worker pool (live and
// simulated feeds, a wall-clock wait beside the tick path) and market time (replays, on the tick path). The core
// talks to this interface only and never asks which one it has.
import type { FillQuote, Order, Tick } from '../../shared/types.js';

export type QuoteHandler = (order: Order, quote: FillQuote) => void;

export interface Executor {
  /** Where quotes go (the core, once it exists). */
  deliverTo(onQuote: QuoteHandler): void;
  /** Take an order (its latency already sampled); false when full or closing: the order is gone, never half-applied. */
  submit(order: Order): boolean;
  /** Orders counted against the capacity (the depth an OrderDropped reports). */
  readonly depth: number;
  /** Every order not yet quoted: counted ones plus those waiting for the market to reach their due time. */
  readonly pending: number;
  /** Wait, in market time, for the first tick at or after the order's time plus its latency. */
  hold(order: Order): void;
  /** The market reached this tick: quote every held order now due. */
  onTick(tick: Readonly<Tick>): void;
  /** Stop intake, let in-flight orders finish within `budgetMs`; returns the orders cancelled (never applied). */
  close(budgetMs: number): Promise<Order[]>;
}
