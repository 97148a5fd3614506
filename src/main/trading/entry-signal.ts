// From a closed candle to the order it asks for: the strategy is called on the history, its answer validated,
// sized into an order and checked by the broker. Everything that stops on the way is said once through the
// sink (a throw or an invalid signal is a session error; an untradable signal or a refused entry a log line).
import type { PaperBroker } from '../../shared/broker.js';
import type { CandleBuilder } from '../../shared/candle-builder.js';
import { buildOrder } from '../../shared/order-builder.js';
import { validateSignal, type Strategy } from '../../shared/strategy.js';
import type { Candle, Order } from '../../shared/types.js';
import type { CoreConfig, CoreSink } from './trading-core.js';

export const STRATEGY_HISTORY = 200;

export interface EntryDeps {
  cfg: CoreConfig;
  broker: PaperBroker;
  builder: CandleBuilder;
  strategy: Strategy;
  sink: CoreSink;
}

/** The order the strategy asks for on candle `c` (closed at market time `at`), or null. The caller is flat. */
export function entryFor(d: EntryDeps, c: Candle, barIndex: number, at: number): Order | null {
  const { cfg, broker, strategy, sink } = d;
  const st = broker.state;
  let raw: unknown;
  try {
    raw = strategy.onCandle(d.builder.history(STRATEGY_HISTORY), {
      symbol: cfg.symbol,
      equity: st.equity,
      position: st.position,
      intervalMs: cfg.intervalMs,
      barIndex,
    });
  } catch (err) {
    const message = (err as Error)?.message ?? String(err);
    sink.record({ event: 'StrategyError', strategy: strategy.name, candleTs: c.ts, message });
    sink.error(`strategy ${strategy.name} threw on candle ${c.ts}: ${message}`);
    return null;
  }
  const checked = validateSignal(raw);
  if (!checked.ok) {
    sink.error(`strategy ${strategy.name} returned an invalid signal: ${checked.reason}`);
    return null;
  }
  const signal = checked.value;
  if (signal === null) return null;
  const built = buildOrder(signal, {
    // One order per candle and side: the id is the idempotency key, stable across restarts.
    id: `${cfg.symbol}-${c.ts}-${signal.side}`,
    refPrice: c.close,
    equity: st.equity,
    riskPct: cfg.riskPct,
    stopBps: cfg.stopBps,
    tpR: cfg.tpR,
    kind: cfg.kind,
    at,
    maxNotional: broker.cfg.maxNotional,
    maxLeverage: broker.cfg.maxLeverage,
  });
  if (!built.ok) {
    sink.warn({ signal, reason: built.reason }, 'signal not tradable');
    return null;
  }
  const refused = broker.checkEntry(built.value, at, c.close);
  if (refused) {
    sink.info({ orderId: built.value.id, reason: refused }, 'entry refused before queueing');
    return null;
  }
  return built.value;
}
