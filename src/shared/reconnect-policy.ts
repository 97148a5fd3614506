// Reconnect policy as a small pure object (after NautilusTrader's ExponentialBackoff): the first retry
// may be immediate, then base × factor^n capped at max, with jitter so many clients do not reconnect in step.
// It counts consecutive failures; the caller resets it on the first data frame and gives up at maxFailures.
import type { Rng } from './rng.js';

export interface ReconnectPolicyOptions {
  baseMs: number;
  maxMs: number;
  factor?: number;
  /** Fraction of the delay drawn at random and taken off (0.2 = up to -20 %), so the cap is never exceeded. */
  jitter?: number;
  immediateFirst?: boolean;
  /** Consecutive failures after which the caller should give up. */
  maxFailures: number;
}

export class ReconnectPolicy {
  private failures = 0;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly immediateFirst: boolean;

  constructor(
    private readonly opts: ReconnectPolicyOptions,
    private readonly rng: Rng,
  ) {
    this.factor = opts.factor ?? 2;
    this.jitter = opts.jitter ?? 0.2;
    this.immediateFirst = opts.immediateFirst ?? true;
  }

  /** Consecutive failures since the last reset. */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** True once maxFailures consecutive failures have been recorded. */
  get exhausted(): boolean {
    return this.failures >= this.opts.maxFailures;
  }

  /** Record a failure and return how long to wait before the next attempt. */
  onFailure(): number {
    this.failures++;
    if (this.immediateFirst && this.failures === 1) return 0;
    const n = this.immediateFirst ? this.failures - 2 : this.failures - 1;
    const raw = Math.min(this.opts.baseMs * this.factor ** n, this.opts.maxMs);
    return Math.round(raw * (1 - this.jitter * this.rng.next()));
  }

  /** Data flows again: the next failure starts from the beginning. */
  reset(): void {
    this.failures = 0;
  }
}
