// The session's error budget: every error is counted and logged once with its context; the twentieth ends the
// session (exit 1), since an engine that keeps failing is no longer trading on what it sees.
import type { Logger } from '../logger.js';

const ERROR_BUDGET = 20;

export class ErrorBudget {
  /** Errors counted this run (the report's and /status's figure). */
  count = 0;
  last: string | null = null;

  constructor(
    private readonly log: Logger,
    /** The budget is spent: the session stops. */
    private readonly spent: () => void,
  ) {}

  fail(message: string): void {
    this.count++;
    this.last = message;
    this.log.error({ errors: this.count }, message);
    if (this.count >= ERROR_BUDGET) this.spent();
  }
}
