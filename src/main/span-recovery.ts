// Recovers blind spans once data resumes (docs/reliability.md): fetches the 1-minute candles overlapping every
// pending span, the forming one included (a gap's backfill shares the fetch), and hands them to the core, which
// judges the position on what it did not see. One fetch at a time; a failed fetch is retried with a capped
// backoff until it succeeds or the session stops, and entries stay blocked meanwhile (the core stays
// `recovering`). Nothing here runs on the tick path.
import type { BlindSpan } from '../shared/blind-spans.js';
import { minuteOf } from '../shared/blind-spans.js';
import type { Candle } from '../shared/types.js';
import type { Logger } from './logger.js';

export interface SpanRecoveryDeps {
  /** The spans closed but not yet judged. */
  pending(): readonly BlindSpan[];
  /** 1-minute candles with open time in [fromTs, toTs], forming one included, validated. */
  fetch(fromTs: number, toTs: number): Promise<Candle[]>;
  /** Judge the position on them; the spans stop blocking entries. */
  recover(spans: readonly BlindSpan[], candles: Candle[]): void;
  /** A recovery attempt finished (the trading state may change). */
  settled(): void;
  /** A bug while judging (never a network fault): counted as a session error. */
  error(message: string): void;
  log: Logger;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

export class SpanRecovery {
  private running = false;
  private again = false;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(private readonly deps: SpanRecoveryDeps) {}

  /** Consecutive failed fetches of the current attempt (0 once it succeeds). */
  get failuresInARow(): number {
    return this.failures;
  }

  /** Something is pending: recover it now, or right after the fetch in flight. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.retryTimer) return; // a retry is already scheduled
    this.run().catch((err: unknown) => this.deps.error(`blind span recovery failed: ${(err as Error)?.stack ?? String(err)}`));
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      let spans: BlindSpan[] = [];
      do {
        this.again = false;
        spans = [...this.deps.pending()];
        if (spans.length === 0) break;
        const fromTs = minuteOf(Math.min(...spans.map((s) => s.fromTs)));
        const toTs = Math.max(...spans.map((s) => s.toTs));
        let candles: Candle[];
        try {
          candles = await this.deps.fetch(fromTs, toTs);
        } catch (err) {
          this.failures++;
          const retryMs = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** (this.failures - 1));
          this.deps.log.warn(
            { fromTs, toTs, failures: this.failures, retryMs, err: (err as Error).message },
            'blind span: candle fetch failed; retrying (no new entries until the span is judged)',
          );
          if (!this.stopped) {
            this.retryTimer = setTimeout(() => {
              this.retryTimer = null;
              this.kick();
            }, retryMs);
          }
          return;
        }
        if (this.stopped) return;
        this.failures = 0;
        this.deps.recover(spans, candles);
        this.deps.log.info({ spans: spans.length, fromTs, toTs, candles: candles.length }, 'blind span judged on its candles');
        // Spans that arrived or grew during the fetch are fetched again; the judged ones are gone from pending.
      } while (this.again || this.deps.pending().some((p) => !spans.some((s) => s.fromTs === p.fromTs && s.toTs === p.toTs)));
    } finally {
      this.running = false;
      this.deps.settled();
    }
  }
}
