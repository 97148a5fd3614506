// A TradingCore sink for tests and tools that drive the core directly: every callback does nothing unless the
// caller hands in its own (to collect events, spans or gaps, or to fail on a session error).
import type { CoreConfig, CoreSink } from '../../src/main/trading/trading-core.js';

export function sinkWith(own: Partial<CoreSink> = {}): CoreSink {
  return {
    record: () => undefined,
    changed: () => {},
    gap: () => {},
    blindSpan: () => {},
    breakerTripped: () => {},
    error: () => {},
    info: () => {},
    warn: () => {},
    ...own,
  };
}

/** The core configuration these tests share: BTCUSDT linear 1m, 1 % risk, a 30 bps stop, a 1.5 R target. */
export const CORE_CONFIG: CoreConfig = { symbol: 'BTCUSDT', kind: 'linear', intervalMs: 60_000, riskPct: 1, stopBps: 30, tpR: 1.5 };
