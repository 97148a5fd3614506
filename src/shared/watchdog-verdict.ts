// The frozen-loop watchdog's decision, as a pure step over its own readings. The watchdog thread checks
// the main thread's beat every `checkMs`. A beat that has not changed for `limitMs` of the watchdog's time
// means the main loop is stuck and the process should end (pm2 restarts it). But when the watchdog's own
// check came late by far more than its period, the whole process was not running (SIGSTOP, a laptop that
// slept, or the wall clock stepped): the main thread could not beat either, so that time is never counted
// against it; the count restarts from the wake-up.

export interface WatchdogLimits {
  /** How long the beat may stay unchanged while the watchdog runs. */
  limitMs: number;
  /** The watchdog's check period. */
  checkMs: number;
}

export interface WatchdogState {
  /** Watchdog time of the previous check. */
  checkedAt: number;
  /** The beat value seen at the previous check. */
  beat: bigint;
  /** Watchdog time from which an unchanged beat counts as frozen: its last change, or the last wake-up. */
  countFrom: number;
}

export type WatchdogVerdict =
  | { kind: 'alive' }
  /** The watchdog itself did not run for `sleptMs` (beyond its period); the count restarted. */
  | { kind: 'woke'; sleptMs: number }
  | { kind: 'frozen'; frozenMs: number };

/**
 * A check may come this much later than its period before it is taken for a suspension: enough for a
 * busy machine's scheduling delay, short next to the limit, so a suspension can never add up to a kill.
 */
export function suspensionSlackMs(l: WatchdogLimits): number {
  return Math.max(2 * l.checkMs, Math.min(2000, l.limitMs / 2));
}

export function startWatchdogState(now: number, beat: bigint): WatchdogState {
  return { checkedAt: now, beat, countFrom: now };
}

/** One check at watchdog time `now` seeing beat value `beat`: the next state and what it means. */
export function watchdogStep(s: WatchdogState, now: number, beat: bigint, l: WatchdogLimits): { state: WatchdogState; verdict: WatchdogVerdict } {
  const elapsed = now - s.checkedAt;
  // A clock that went backwards is a discontinuity too: nothing measured across it can be trusted.
  if (elapsed < 0 || elapsed - l.checkMs > suspensionSlackMs(l)) {
    return { state: { checkedAt: now, beat, countFrom: now }, verdict: { kind: 'woke', sleptMs: Math.max(0, elapsed - l.checkMs) } };
  }
  if (beat !== s.beat) return { state: { checkedAt: now, beat, countFrom: now }, verdict: { kind: 'alive' } };
  const state = { checkedAt: now, beat, countFrom: s.countFrom };
  const frozenMs = now - s.countFrom;
  return { state, verdict: frozenMs > l.limitMs ? { kind: 'frozen', frozenMs } : { kind: 'alive' } };
}
