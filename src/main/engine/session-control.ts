// What the session's parts may ask of the session: its clock and log, the core once the state is loaded, and the
// few actions that change the run. One shape, so each part names only what it adds.
import type { Clock } from '../../shared/clock.js';
import type { EngineEvent, StopReason } from '../../shared/events.js';
import type { Logger } from '../logger.js';
import type { TradingCore } from '../trading/trading-core.js';

export interface SessionControl {
  clock: Clock;
  log: Logger;
  /** The core (throws before the state was loaded). */
  core(): TradingCore;
  /** Journal an event; returns its seq. */
  record(e: EngineEvent): number;
  /** Recompute the trading state (journaled when it changes). */
  refreshTradingState(): void;
  /** Count a session error (the budget ends the session). */
  fail(message: string): void;
  /** End the session (the first reason wins). */
  stop(reason: StopReason, exitCode: number): void;
  /** True once the session began to stop. */
  stopping(): boolean;
  /** State could not be saved: no new positions until it can. */
  persistError(err: Error): void;
}
