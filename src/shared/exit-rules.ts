// Where a position's bracket is crossed: on a tick (the touch it would close at), on a whole candle
// (its high and low, stop first), and on what a blind span did not show (a candle's unseen range).
// A candle opening beyond a level fills at the open (gap-through). Pure: the broker applies slippage.
import type { UnseenRange } from './blind-spans.js';
import type { BrokerConfig } from './broker-config.js';
import { sideSign, touchPrice } from './pricing.js';
import type { Candle, ExitReason, Position, Tick } from './types.js';

/** StopMoved is emitted only for moves of at least this share of R (bounds journal volume). */
export const STOP_STEP_R = 0.1;

export interface ExitDecision {
  reason: ExitReason;
  /** Price before exit slippage. */
  price: number;
}

/** The stop a stretch of market time is judged against, and whether a trail had moved it there. */
export interface StopInForce {
  sl: number;
  trailed: boolean;
}

export function tickExit(pos: Position, tick: Tick): ExitDecision | null {
  if (pos.side === 'LONG') {
    if (tick.bid <= pos.sl) return { reason: pos.trailActive ? 'TRAIL' : 'SL', price: tick.bid };
    if (tick.bid >= pos.tp) return { reason: 'TP', price: tick.bid };
  } else {
    if (tick.ask >= pos.sl) return { reason: pos.trailActive ? 'TRAIL' : 'SL', price: tick.ask };
    if (tick.ask <= pos.tp) return { reason: 'TP', price: tick.ask };
  }
  return null;
}

/** Stop-first when both are touched. */
export function candleExit(pos: Position, c: Candle, stop: StopInForce): ExitDecision | null {
  const { sl } = stop;
  const stopReason: ExitReason = stop.trailed ? 'TRAIL' : 'SL';
  if (pos.side === 'LONG') {
    if (c.low <= sl) return { reason: stopReason, price: Math.min(sl, c.open) };
    if (c.high >= pos.tp) return { reason: 'TP', price: Math.max(pos.tp, c.open) };
  } else {
    if (c.high >= sl) return { reason: stopReason, price: Math.max(sl, c.open) };
    if (c.low <= pos.tp) return { reason: 'TP', price: Math.min(pos.tp, c.open) };
  }
  return null;
}

/**
 * A candle's range the engine did not see: a level crossed inside it exits at the level, or at the candle's
 * open when that open was unseen too and lies beyond the level. The stop before the target.
 */
export function unseenExit(pos: Position, r: UnseenRange, stop: StopInForce): ExitDecision | null {
  const { sl } = stop;
  const stopReason: ExitReason = stop.trailed ? 'TRAIL' : 'SL';
  const open = r.open;
  if (pos.side === 'LONG') {
    if (r.low !== null && r.low <= sl) return { reason: stopReason, price: open !== null ? Math.min(sl, open) : sl };
    if (r.high !== null && r.high >= pos.tp) return { reason: 'TP', price: open !== null ? Math.max(pos.tp, open) : pos.tp };
  } else {
    if (r.high !== null && r.high >= sl) return { reason: stopReason, price: open !== null ? Math.max(sl, open) : sl };
    if (r.low !== null && r.low <= pos.tp) return { reason: 'TP', price: open !== null ? Math.min(pos.tp, open) : pos.tp };
  }
  return null;
}

/**
 * The trailed stop once price is trailActivateR in favour (marked where the position would close), or null
 * when it would not move, or move by less than STOP_STEP_R.
 */
export function trailedStop(pos: Position, tick: Tick, cfg: Pick<BrokerConfig, 'trailActivateR' | 'trailDistanceR'>): { sl: number; best: number } | null {
  const r = pos.riskDistance;
  if (!(r > 0)) return null;
  const sign = sideSign(pos.side);
  const mark = touchPrice(pos.side === 'SHORT', tick.bid, tick.ask);
  const best = sign > 0 ? Math.max(pos.best, mark) : Math.min(pos.best, mark);
  if (sign * (best - pos.entry) < cfg.trailActivateR * r) return null;
  const sl = best - sign * cfg.trailDistanceR * r;
  if (sign * (sl - pos.sl) < STOP_STEP_R * r * (1 - 1e-9)) return null;
  return { sl, best };
}

/**
 * The stops in force for the open position since each market time, so a whole candle is judged against the
 * one in force at its open. Stops only tighten, so a low (LONG) below it crossed whatever stop was in force
 * at that moment, while a low between it and a stop trailed later in the candle may have happened before
 * the trail (ticks decide those). Unknown after a restart: then the position's own stop is used.
 */
export class StopHistory {
  private stops: { at: number; sl: number }[] | null = null;

  opened(at: number, sl: number): void {
    this.stops = [{ at, sl }];
  }

  moved(at: number, sl: number): void {
    this.stops?.push({ at, sl });
  }

  closed(): void {
    this.stops = null;
  }

  at(pos: Position, ts: number): StopInForce {
    if (!this.stops || this.stops.length === 0) return { sl: pos.sl, trailed: pos.trailActive };
    let i = 0;
    for (let k = 1; k < this.stops.length; k++) if (this.stops[k]!.at <= ts) i = k;
    return { sl: this.stops[i]!.sl, trailed: i > 0 };
  }
}
