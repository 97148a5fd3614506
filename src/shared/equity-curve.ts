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
  const fold = new CurveFold(a.start, a.intervalMs, a.kind);
  for (const e of a.entries) if (isBrokerEvent(e)) fold.event(e);
  const curve: EquityPoint[] = [];
  for (const c of a.candles) {
    const p = fold.close(c);
    if (p !== null) curve.push(p);
  }
  const last = fold.end();
  if (last !== null) curve.push(last);
  return curve;
}

/**
 * markToMarketCurve one step at a time, for a session of any length: broker events are handed over as they are
 * journaled and wait until a candle closes after them; each candle close (oldest first) folds the events up to
 * it and gives its point. What it holds is the folded state and the events not yet folded.
 */
export class CurveFold {
  private state: BrokerState;
  private readonly waiting: BrokerEvent[] = [];
  private next = 0;
  private lastClose = 0;
  private lastTs = -Infinity;

  constructor(
    start: BrokerState,
    private readonly intervalMs: number,
    private readonly kind: ContractKind,
  ) {
    this.state = start;
  }

  /** A broker event of the run, in journal order. */
  event(e: BrokerEvent): void {
    this.waiting.push(e);
  }

  /** The point at this candle's close, or null for a candle closing no later than the last point (a backfilled duplicate). */
  close(c: Candle): EquityPoint | null {
    const closeTs = c.ts + this.intervalMs;
    this.foldThrough(closeTs);
    if (closeTs <= this.lastTs) return null;
    this.lastClose = c.close;
    this.lastTs = closeTs;
    return { ts: closeTs, equity: this.mark(c.close) };
  }

  /** Events after the last close (a forced close at shutdown): the end state at its own time, or null without any. */
  end(): EquityPoint | null {
    if (this.next >= this.waiting.length) return null;
    const lastAt = this.waiting[this.waiting.length - 1]!.at;
    this.foldThrough(Infinity);
    return { ts: Math.max(lastAt, this.lastTs + 1), equity: this.mark(this.lastClose) };
  }

  private foldThrough(ts: number): void {
    const w = this.waiting;
    while (this.next < w.length && w[this.next]!.at <= ts) this.state = applyEvent(this.state, w[this.next++]!);
    // What is folded is let go of, in batches (a splice per event would be quadratic).
    if (this.next > 1024 && this.next * 2 > w.length) {
      w.splice(0, this.next);
      this.next = 0;
    }
  }

  private mark(price: number): number {
    const p = this.state.position;
    return this.state.equity + (p && price > 0 ? grossPnl(this.kind, p.side, p.entry, price, p.qty) : 0);
  }
}
