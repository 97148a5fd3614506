// Journal events for tests that need a well-formed one whose details do not matter to them.
import type { OrderQueuedEvent, SessionStartEvent } from '../../src/shared/events.js';

export function sessionStart(over: Partial<SessionStartEvent> = {}): SessionStartEvent {
  return {
    event: 'SessionStart',
    pid: 1,
    version: '0.0.0',
    balance: 10_000,
    feed: 'replay',
    strategy: 'default',
    interval: '1m',
    dryRun: false,
    at: 0,
    ...over,
  };
}

export function orderQueued(over: Partial<OrderQueuedEvent> = {}): OrderQueuedEvent {
  return { event: 'OrderQueued', orderId: 'o1', side: 'LONG', qty: 0.01, sl: 49_500, tp: 50_500, refPrice: 50_000, at: 0, latencyMs: 0, ...over };
}
