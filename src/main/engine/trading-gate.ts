// The trading state (ACTIVE, or HALTED/DEGRADED with a reason), recomputed from its conditions whenever one may
// have changed; a change is journaled. Entries are gated here on what the core cannot see itself (stopping, the
// kill switch, unsaved state, a reconnect storm); the core gates blind spans, stale data and the breaker at the tick.
import { breakerAt } from '../../shared/breaker.js';
import type { Clock } from '../../shared/clock.js';
import type { EngineEvent } from '../../shared/events.js';
import { ReconnectStorm, sameTradingState, tradingStateOf, type TradingState } from '../../shared/trading-state.js';
import type { Logger } from '../logger.js';
import type { TradingCore } from '../trading/trading-core.js';

export interface TradingGateDeps {
  clock: Clock;
  log: Logger;
  record(e: EngineEvent): void;
  stopping(): boolean;
  killSwitch(): boolean;
  /** Why state cannot be saved, or null. */
  persistFault(): string | null;
}

export class TradingGate {
  private state: TradingState = { state: 'ACTIVE', reason: null };
  private readonly storm = new ReconnectStorm();

  constructor(private readonly deps: TradingGateDeps) {}

  get current(): TradingState {
    return { ...this.state };
  }

  /** The feed reconnected (after the first connection): counts toward a reconnect storm. */
  onReconnect(): void {
    this.storm.onReconnect(this.deps.clock.now());
  }

  refresh(core: TradingCore): void {
    const d = this.deps;
    const st = core.broker.state;
    const at = core.lastMarketTs || d.clock.now();
    const stormy = this.storm.active(d.clock.now());
    const unsaved = d.persistFault() !== null;
    const next = tradingStateOf({
      killSwitch: d.killSwitch(),
      breakerTripped: breakerAt(st.breaker, at, st.equity).tripped,
      stateUnsaved: unsaved,
      blindSpan: core.recovering,
      stale: core.stale,
      reconnectStorm: stormy,
    });
    core.blockEntries(d.stopping() ? 'stopping' : d.killSwitch() ? 'kill_switch' : unsaved ? 'state cannot be saved' : stormy ? 'reconnect_storm' : null);
    if (sameTradingState(next, this.state)) return;
    const prev = this.state;
    this.state = next;
    d.record({ event: 'TradingState', state: next.state, reason: next.reason, previous: prev.state });
    const line = `trading state ${next.state}${next.reason ? ` (${next.reason})` : ''}`;
    if (next.state === 'ACTIVE') d.log.info({ tradingState: next }, line);
    else d.log.warn({ tradingState: next }, line);
  }
}
