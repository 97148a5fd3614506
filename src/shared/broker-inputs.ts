// What the broker accepts from outside: a book, a tick, a candle or an order with finite, positive
// numbers in a sane order. Anything else is refused before it can touch the state.
import { isFinitePositive } from './pricing.js';
import type { Candle, Order, Tick } from './types.js';

export function validBook(bid: number, ask: number): boolean {
  return isFinitePositive(bid) && isFinitePositive(ask) && bid <= ask;
}

export function validTick(t: Tick | null | undefined): t is Tick {
  return !!t && Number.isFinite(t.ts) && validBook(t.bid, t.ask);
}

export function validCandle(c: Candle | null | undefined): c is Candle {
  return (
    !!c && Number.isFinite(c.ts) && [c.open, c.high, c.low, c.close].every(isFinitePositive) && c.low <= c.high && Number.isFinite(c.volume) && c.volume >= 0
  );
}

export function validOrder(o: Order): boolean {
  return (
    typeof o.id === 'string' &&
    o.id.length > 0 &&
    (o.side === 'LONG' || o.side === 'SHORT') &&
    isFinitePositive(o.qty) &&
    isFinitePositive(o.sl) &&
    isFinitePositive(o.tp) &&
    Number.isFinite(o.createdAt) &&
    (o.latencyMs === undefined || (Number.isFinite(o.latencyMs) && o.latencyMs >= 0))
  );
}

/** The first market time an order may be priced at: its time plus its sampled latency. */
export function orderDueAt(o: Order): number {
  return o.createdAt + (o.latencyMs ?? 0);
}

export const mid = (bid: number, ask: number): number => (bid + ask) / 2;

/** Turns -0 into 0 so events survive a JSON round trip unchanged. */
export const plain = (x: number): number => x + 0;
