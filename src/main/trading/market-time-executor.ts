// Replays execute in market time, on the tick path: an order fills at the first tick at or after createdAt +
// latency. A replay's market clock runs at whatever speed the frames arrive (thousands of candles a second at
// --speed max), so a wall-clock wait in a worker would fill minutes of market time late, differently on every run.
import type { Order, Tick } from '../../shared/types.js';
import { DueOrders } from './due-orders.js';
import type { Executor, QuoteHandler } from './executor.js';

export class MarketTimeExecutor implements Executor {
  private readonly due = new DueOrders();
  private onQuote: QuoteHandler = () => {
    throw new Error('MarketTimeExecutor: no quote handler (deliverTo was not called)');
  };

  constructor(private readonly capacity: number) {}

  deliverTo(onQuote: QuoteHandler): void {
    this.onQuote = onQuote;
  }

  submit(order: Order): boolean {
    if (this.due.size >= this.capacity) return false;
    this.due.add(order);
    return true;
  }

  get depth(): number {
    return this.due.size;
  }

  get pending(): number {
    return this.due.size;
  }

  hold(order: Order): void {
    this.due.add(order);
  }

  onTick(tick: Readonly<Tick>): void {
    this.due.release(tick, this.onQuote);
  }

  /** Orders still waiting for their market time at the end of a replay are left unfilled, as the tape ended first. */
  async close(): Promise<Order[]> {
    return [];
  }
}
