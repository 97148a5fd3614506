// A token bucket for repeated warnings: a burst goes out whole, a flood is cut to a steady rate, and
// what was held back is counted so the next warning (or a last summary) says how many were not logged.
export class WarningBudget {
  private tokens: number;
  private lastMs: number | null = null;
  /** Warnings held back since the last one that went out. */
  suppressed = 0;

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {
    this.tokens = burst;
  }

  /** True when a warning may be logged at `nowMs`; otherwise it is counted in `suppressed`. */
  take(nowMs: number): boolean {
    if (this.lastMs !== null) this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.perSecond);
    this.lastMs = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.suppressed++;
    return false;
  }

  /** The count held back so far, reset: to be reported with the warning that goes out. */
  takeSuppressed(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
