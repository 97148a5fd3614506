// Orders waiting for market time to reach createdAt + latency, sorted by due time; released at the first tick
// at or after it, priced at that tick.
import { orderDueAt } from '../../shared/broker.js';
import type { FillQuote, Order, Tick } from '../../shared/types.js';

export class DueOrders {
  private readonly waiting: Array<{ order: Order; due: number }> = [];

  get size(): number {
    return this.waiting.length;
  }

  add(order: Order): void {
    const due = orderDueAt(order);
    let i = this.waiting.length;
    while (i > 0 && this.waiting[i - 1]!.due > due) i--;
    this.waiting.splice(i, 0, { order, due });
  }

  /** Quote, in due order, every order due at the tick's market time. */
  release(t: Readonly<Tick>, onQuote: (order: Order, quote: FillQuote) => void): void {
    while (this.waiting.length > 0 && this.waiting[0]!.due <= t.ts) {
      const { order } = this.waiting.shift()!;
      onQuote(order, { orderId: order.id, ts: t.ts, bid: t.bid, ask: t.ask, last: t.last, latencyMs: order.latencyMs ?? 0, synthetic: false });
    }
  }
}
