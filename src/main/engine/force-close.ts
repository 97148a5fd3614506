// Closing the position at once (the breaker, a stop that flattens): at the book when the feed gave one, else at
// the last closed candle's close, stamped at its end; with neither there is no price to close at.
import type { TradingCore } from '../trading/trading-core.js';

/** Close the open position at the best price known; false when no price is known (the position is kept). */
export function forceClose(core: TradingCore, reason: 'FORCE_CLOSE' | 'BREAKER', intervalMs: number): boolean {
  const c = core.builder.lastClosed;
  const t = core.haveBook ? { ...core.tick } : c ? { ts: c.ts + intervalMs, bid: c.close, ask: c.close, last: c.close } : null;
  if (!t) return false;
  core.applyBroker(core.broker.forceClose(t, reason));
  return true;
}
