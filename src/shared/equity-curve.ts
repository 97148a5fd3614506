// The session's equity on the market's clock: the broker state at the start, the run's broker events
// folded in market-time order, marked to market at every candle close (the close price). Built from
// the journal and the candles at the end of the session, so nothing on the tick path samples it and a
// replay of December 2024 gets a curve in December 2024.
import { applyEvent } from './broker-state.js';
import { isBrokerEvent, type BrokerEvent, type JournalEntry } from './events.js';
import { grossPnl } from './pricing.js';
import type { BrokerState, Candle, ContractKind } from './types.js';

export interface EquityPoint {
  /** Market time (epoch ms): a candle's close, or the last event after it. */
  ts: number;
  /** Realized equity plus the open position marked at the candle close. */
  equity: number;
}

export function markToMarketCurve(a: {
  start: BrokerState;
  entries: readonly JournalEntry[];
  /** Closed candles, oldest first. */
  candles: readonly Candle[];
  intervalMs: number;
  kind: ContractKind;
}): EquityPoint[] {
  const events: BrokerEvent[] = a.entries.filter((e): e is JournalEntry & BrokerEvent => isBrokerEvent(e));
  let state = a.start;
  let next = 0;
  const mark = (price: number): number => {
    const p = state.position;
    return state.equity + (p && price > 0 ? grossPnl(a.kind, p.side, p.entry, price, p.qty) : 0);
  };
  const curve: EquityPoint[] = [];
  let lastClose = 0;
  let lastTs = -Infinity;
  for (const c of a.candles) {
    const closeTs = c.ts + a.intervalMs;
    while (next < events.length && events[next]!.at <= closeTs) state = applyEvent(state, events[next++]!);
    if (closeTs <= lastTs) continue; // a backfilled duplicate
    curve.push({ ts: closeTs, equity: mark(c.close) });
    lastClose = c.close;
    lastTs = closeTs;
  }
  // events after the last close (a forced close at shutdown): the end state, at its own time
  if (next < events.length) {
    const lastAt = events[events.length - 1]!.at;
    while (next < events.length) state = applyEvent(state, events[next++]!);
    curve.push({ ts: Math.max(lastAt, lastTs + 1), equity: mark(lastClose) });
  }
  return curve;
}
