// The equity circuit breaker (docs/paper-broker.md §3) as pure functions over BreakerState. Decisions (should it trip,
// should the day roll) are asked by the broker, which turns them into events; the state changes
// themselves (`onExit`, `onTripped`, `onReset`) run only inside the broker-state reducer.
// Fixes the original's bugs 13, 15, 16 (docs/original-system.md §9): drawdown is measured from the day's peak equity including
// unrealized PnL, every kind of exit counts toward the loss streak, the day rolls on UTC market time,
// and nothing is reset or guessed at startup.
import type { BrokerConfig } from './broker-config.js';
import type { BreakerState } from './types.js';

export type BreakerLimits = Pick<BrokerConfig, 'maxDrawdownPct' | 'maxLosses'>;

export interface BreakerTrip {
  reason: 'max_drawdown' | 'max_losses';
  detail: string;
}

const DAY_MS = 86_400_000;
/** The last day utcDay() wrote, as [start, start + 1 day): asked on every tick, it changes once a day. */
let dayStart = NaN;
let dayText = '';

/** UTC calendar day (YYYY-MM-DD) of a market time. */
export function utcDay(at: number): string {
  if (at >= dayStart && at < dayStart + DAY_MS) return dayText;
  dayText = new Date(at).toISOString().slice(0, 10);
  dayStart = Math.floor(at / DAY_MS) * DAY_MS;
  return dayText;
}

export function freshBreaker(equity: number, at: number): BreakerState {
  return onReset(utcDay(at), equity);
}

/** True when `at` falls on a later UTC day than the breaker's counters (never rolls backwards). */
export function dayRolled(b: BreakerState, at: number): boolean {
  return utcDay(at) > b.day;
}

/** The breaker as it will be at `at`: a fresh day when the UTC day has rolled. Used for read-only checks. */
export function breakerAt(b: BreakerState, at: number, equity: number): BreakerState {
  return dayRolled(b, at) ? freshBreaker(equity, at) : b;
}

/** Drawdown from `peak` to `equity`, in percent of the peak (0 when at or above the peak). */
export function drawdownPct(peak: number, equity: number): number {
  if (!(peak > 0) || equity >= peak) return 0;
  return ((peak - equity) / peak) * 100;
}

/** The day's realized loss in percent of the day's starting equity (0 when up on the day). */
export function dailyLossPct(b: BreakerState, equity: number): number {
  return drawdownPct(b.dayStartEquity, equity);
}

/** Trip on drawdown from the day's peak (`peak` includes unrealized PnL). Null when already tripped. */
export function drawdownTrip(b: BreakerState, peak: number, equity: number, limits: BreakerLimits): BreakerTrip | null {
  if (b.tripped) return null;
  const dd = drawdownPct(peak, equity);
  if (dd < limits.maxDrawdownPct) return null;
  return {
    reason: 'max_drawdown',
    detail: `drawdown ${dd.toFixed(2)}% from peak ${peak.toFixed(2)} to ${equity.toFixed(2)} (limit ${limits.maxDrawdownPct}%)`,
  };
}

/** Trip on the losing streak. Null when already tripped. */
export function lossStreakTrip(b: BreakerState, limits: BreakerLimits): BreakerTrip | null {
  if (b.tripped || b.consecutiveLosses < limits.maxLosses) return null;
  return { reason: 'max_losses', detail: `${b.consecutiveLosses} consecutive losing exits (limit ${limits.maxLosses})` };
}

// ---- state changes: called only by the reducer (broker-state.ts) ----

/** An exit closed with net PnL `net`: a loss extends the streak, anything else resets it. */
export function onExit(b: BreakerState, net: number, equityAfter: number): BreakerState {
  return {
    ...b,
    consecutiveLosses: net < 0 ? b.consecutiveLosses + 1 : 0,
    peakEquity: Math.max(b.peakEquity, equityAfter),
  };
}

/** Realized equity changed without an exit (funding): the peak can only rise. */
export function onEquity(b: BreakerState, equity: number): BreakerState {
  return equity > b.peakEquity ? { ...b, peakEquity: equity } : b;
}

/** The day's peak including unrealized PnL, persisted: it can only rise within a day. */
export function onPeak(b: BreakerState, peak: number): BreakerState {
  return peak > b.peakEquity ? { ...b, peakEquity: peak } : b;
}

export function onTripped(b: BreakerState, reason: string, detail: string, at: number): BreakerState {
  return { ...b, tripped: true, reason: `${reason}: ${detail}`, trippedAt: at };
}

export function onReset(day: string, dayStartEquity: number): BreakerState {
  return {
    day,
    dayStartEquity,
    peakEquity: dayStartEquity,
    consecutiveLosses: 0,
    tripped: false,
    reason: null,
    trippedAt: null,
  };
}
