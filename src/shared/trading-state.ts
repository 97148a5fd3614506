// The trading state (docs/contracts.md): one answer to "may the engine open a position now, and why not".
// ACTIVE trades; REDUCING manages the open position but opens none (stale data, a blind span being judged,
// state that cannot be saved, a reconnect storm); HALTED is flat and opens nothing (the breaker until the
// next UTC day, the kill switch until the operator resumes). Pure: the session passes the conditions in.

export type TradingStateName = 'ACTIVE' | 'REDUCING' | 'HALTED';
export type TradingStateReason = 'kill_switch' | 'breaker' | 'state_unsaved' | 'blind_span' | 'stale_data' | 'reconnect_storm';

export interface TradingState {
  state: TradingStateName;
  reason: TradingStateReason | null;
}

export interface TradingConditions {
  killSwitch: boolean;
  breakerTripped: boolean;
  stateUnsaved: boolean;
  blindSpan: boolean;
  stale: boolean;
  reconnectStorm: boolean;
}

/** The most restrictive condition wins: halts before reductions, and among those the one an operator must fix. */
export function tradingStateOf(c: TradingConditions): TradingState {
  if (c.killSwitch) return { state: 'HALTED', reason: 'kill_switch' };
  if (c.breakerTripped) return { state: 'HALTED', reason: 'breaker' };
  if (c.stateUnsaved) return { state: 'REDUCING', reason: 'state_unsaved' };
  if (c.blindSpan) return { state: 'REDUCING', reason: 'blind_span' };
  if (c.stale) return { state: 'REDUCING', reason: 'stale_data' };
  if (c.reconnectStorm) return { state: 'REDUCING', reason: 'reconnect_storm' };
  return { state: 'ACTIVE', reason: null };
}

export function sameTradingState(a: TradingState, b: TradingState): boolean {
  return a.state === b.state && a.reason === b.reason;
}

/**
 * A reconnect storm: `limit` reconnects within `windowMs` (wall clock). Data that keeps dropping is not to be
 * traded on; the storm ends once `windowMs` passes without `limit` reconnects in it.
 */
export class ReconnectStorm {
  private readonly times: number[] = [];

  constructor(
    readonly limit = 3,
    readonly windowMs = 10 * 60_000,
  ) {}

  onReconnect(now: number): void {
    this.times.push(now);
    if (this.times.length > this.limit) this.times.shift();
  }

  active(now: number): boolean {
    return this.times.length >= this.limit && now - this.times[0]! < this.windowMs;
  }
}
