// An executor for tests that drive the core by hand: submitted orders land in `submitted` (the test quotes them
// with core.onQuote when it likes); an order held for market time is quoted at its due tick, as in a replay.
import { MarketTimeExecutor } from '../../src/main/trading/market-time-executor.js';
import type { Order } from '../../src/shared/types.js';

export class RecordingExecutor extends MarketTimeExecutor {
  /** `accept`: false refuses every order, as a full queue does. */
  constructor(
    readonly submitted: Order[] = [],
    private readonly accept = true,
  ) {
    super(Infinity);
  }

  override submit(order: Order): boolean {
    if (this.accept) this.submitted.push(order);
    return this.accept;
  }

  override get depth(): number {
    return this.submitted.length;
  }

  override get pending(): number {
    return this.submitted.length + super.pending;
  }
}
