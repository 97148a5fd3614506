// An executor for tests that drive the core by hand: submitted orders land in `submitted` (the test quotes them
// with core.onQuote when it likes); an order held for market time is quoted at its due tick, as in the engine.
import { DueOrders } from '../../src/main/trading/due-orders.js';
import type { Executor, QuoteHandler } from '../../src/main/trading/executor.js';
import type { Order, Tick } from '../../src/shared/types.js';

export class RecordingExecutor implements Executor {
  private readonly due = new DueOrders();
  private onQuote: QuoteHandler = () => {};

  /** `accept`: false refuses every order, as a full queue does. */
  constructor(readonly submitted: Order[] = [], private readonly accept = true) {}

  deliverTo(onQuote: QuoteHandler): void {
    this.onQuote = onQuote;
  }

  submit(order: Order): boolean {
    if (this.accept) this.submitted.push(order);
    return this.accept;
  }

  get depth(): number {
    return this.submitted.length;
  }

  get pending(): number {
    return this.submitted.length + this.due.size;
  }

  hold(order: Order): void {
    this.due.add(order);
  }

  onTick(tick: Readonly<Tick>): void {
    this.due.release(tick, this.onQuote);
  }

  async close(): Promise<Order[]> {
    return [];
  }
}
