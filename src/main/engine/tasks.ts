// The session's lifecycle tasks, each a {start, stop} over an injected clock and scheduler, so a test can drive
// them by hand. Every task's work runs through `guarded`: a throw is a counted session error, never a dead timer.
import type { Clock } from '../../shared/clock.js';

export interface Task {
  start(): void;
  stop(): void;
}

/** setInterval and clearInterval, injectable. */
export interface Scheduler {
  every(ms: number, fn: () => void): unknown;
  cancel(handle: unknown): void;
}

export const systemScheduler: Scheduler = {
  every: (ms, fn) => setInterval(fn, ms),
  cancel: (handle) => clearInterval(handle as NodeJS.Timeout),
};

/** Run `fn` every `ms` until stopped; a throw goes to `onError` with its stack. */
export function periodic(ms: number, fn: () => void, onError: (message: string) => void, scheduler: Scheduler = systemScheduler): Task {
  let handle: unknown = null;
  return {
    start() {
      if (handle !== null) return;
      handle = scheduler.every(ms, () => {
        try {
          fn();
        } catch (err) {
          onError(`lifecycle task failed: ${(err as Error).stack ?? String(err)}`);
        }
      });
    },
    stop() {
      if (handle === null) return;
      scheduler.cancel(handle);
      handle = null;
    },
  };
}

/** Run `fn` once, `ms` after the start, unless stopped before. */
export function after(ms: number, fn: () => void): Task {
  let handle: NodeJS.Timeout | null = null;
  return {
    start() {
      handle ??= setTimeout(fn, ms);
    },
    stop() {
      if (handle !== null) clearTimeout(handle);
      handle = null;
    },
  };
}

/** Several tasks started in order and stopped together. */
export function allOf(tasks: readonly Task[]): Task {
  return {
    start: () => {
      for (const t of tasks) t.start();
    },
    stop: () => {
      for (const t of tasks) t.stop();
    },
  };
}

export interface StaleWatchDeps {
  clock: Clock;
  timeoutMs: number;
  /** Wall time the last tick arrived. */
  lastTickWall(): number;
  /** False while the watch does not apply (not yet ready, stopping, a replay's own pace). */
  watching(): boolean;
  /** No tick for `ageMs` (since the last tick, or since the previous alarm). */
  onStale(ageMs: number): void;
}

/**
 * Stale data: no tick for the timeout. After an alarm the next one is due a full timeout later, timed from the
 * alarm (its own state: the last tick's time stays what it was, for /health and the next tick).
 */
export class StaleWatch {
  private alarmedAt = 0;

  constructor(private readonly deps: StaleWatchDeps) {}

  check(): void {
    if (!this.deps.watching()) return;
    const now = this.deps.clock.now();
    const age = now - Math.max(this.deps.lastTickWall(), this.alarmedAt);
    if (age < this.deps.timeoutMs) return;
    this.alarmedAt = now;
    this.deps.onStale(age);
  }
}

/**
 * Heartbeats are 1 s apart; a longer silence means the whole process was suspended (a laptop that slept,
 * SIGSTOP, a frozen loop): whatever the market did meanwhile was not seen.
 */
export class SuspendWatch {
  private lastBeat = 0;

  constructor(
    private readonly clock: Clock,
    private readonly suspendedAfterMs: number,
    private readonly onSuspended: (pausedMs: number) => void,
  ) {}

  beat(): void {
    const now = this.clock.now();
    if (this.lastBeat > 0 && now - this.lastBeat > this.suspendedAfterMs) this.onSuspended(now - this.lastBeat);
    this.lastBeat = now;
  }
}

const BAD_FRAME_REPORT_MS = 10_000;

/** Bad frames are counted on the tick path and journaled here: at most every 10 s, and once at the end. */
export class BadFrameReport {
  private reported = 0;
  private lastReportWall = 0;

  constructor(
    private readonly clock: Clock,
    private readonly report: (total: number, byReason: Record<string, number>) => void,
  ) {}

  check(counts: { badFramesTotal: number; badFrames: ReadonlyMap<string, number> }, force = false): void {
    const now = this.clock.now();
    const total = counts.badFramesTotal;
    if (total === this.reported) return;
    if (!force && now - this.lastReportWall < BAD_FRAME_REPORT_MS) return;
    this.report(total, Object.fromEntries(counts.badFrames));
    this.reported = total;
    this.lastReportWall = now;
  }
}

/** --max-rss-mb: over the cap, the session ends (exit 1) before the operating system ends it less politely. */
export function memoryCapExceeded(rssMb: number, maxRssMb: number): string | null {
  return rssMb > maxRssMb ? `memory cap reached: RSS ${rssMb.toFixed(0)} MB > --max-rss-mb ${maxRssMb}` : null;
}
