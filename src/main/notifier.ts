// Webhook notifications (`--webhook URL`, repeatable): one JSON document per Fill, Exit, TradingState
// change, BreakerTripped, WsFatal and SessionEnd, POSTed to every URL. Delivery (fetch, timeouts, retries,
// backoff, the per-receiver queues) runs in the notifier worker, so its work and its garbage never share
// the tick path's thread. Here `notify` only filters on the event name and appends the journal entry to a
// bounded buffer, posted to the worker every FLUSH_MS; the worker sends back counts for /metrics and the
// warnings this thread logs. At shutdown `close` waits a bounded time so the SessionEnd goes out.
import type { Worker } from 'node:worker_threads';
import type { EngineEvent } from '../shared/events.js';
import { WarningBudget } from '../shared/warning-budget.js';
import { NOTIFIED_EVENTS } from '../shared/webhook-document.js';
import type { NotifiedEntry, NotifierData, NotifierIn, NotifierOut, NotifierTally } from '../workers/notifier.js';
import type { Logger } from './logger.js';
import type { NotifierCounts } from './prom-metrics.js';
import { spawnWorker } from './spawn-worker.js';

export { NOTIFIED_EVENTS, notificationText, webhookDocument, type WebhookDocument } from '../shared/webhook-document.js';

export interface NotifierOptions {
  urls: readonly string[];
  symbol: string;
  log: Logger;
  /** Notifications waiting per URL; beyond it the oldest is dropped (counted). */
  capacity?: number;
  /** One attempt's limit: a receiver that hangs is abandoned after this. */
  timeoutMs?: number;
  /** Attempts per notification (the first included). */
  attempts?: number;
  /** Backoff before the second attempt, doubled per retry (with jitter), capped at 30 s. */
  backoffMs?: number;
}

/** How long entries wait here before they are posted together (SessionEnd goes at once, with `close`). */
const FLUSH_MS = 50;
/** Beyond its budget, `close` waits this long for the worker's answer before it ends the worker anyway. */
const CLOSE_GRACE_MS = 1000;
const DROP_WARN_BURST = 20;
const DROP_WARN_PER_SECOND = 2;

export class WebhookNotifier {
  private readonly worker: Worker;
  private readonly receivers: number;
  private readonly capacity: number;
  /** Entries not yet posted to the worker, oldest first. */
  private buffer: NotifiedEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private posted = 0;
  /** The worker's latest counts. */
  private tally: NotifierTally = { sent: 0, failed: 0, dropped: 0, queued: 0, accepted: 0 };
  /** Notifications dropped on this side (a full buffer, a dead worker), per receiver. */
  private droppedHere = 0;
  private readonly dropWarnings = new WarningBudget(DROP_WARN_BURST, DROP_WARN_PER_SECOND);
  private dead: string | null = null;
  private closing: Promise<void> | null = null;
  private onClosed: (() => void) | null = null;

  constructor(private readonly opts: NotifierOptions) {
    this.receivers = opts.urls.length;
    this.capacity = opts.capacity ?? 1000;
    const data: NotifierData = {
      urls: opts.urls,
      symbol: opts.symbol,
      capacity: this.capacity,
      timeoutMs: opts.timeoutMs ?? 5000,
      attempts: opts.attempts ?? 4,
      backoffMs: opts.backoffMs ?? 1000,
    };
    this.worker = spawnWorker('notifier', { workerData: data });
    this.worker.on('message', (m: NotifierOut) => this.onMessage(m));
    this.worker.on('error', (err: Error) => this.die(`webhook notifier failed: ${err.message}`));
    this.worker.on('exit', (code: number) => this.die(`webhook notifier exited with code ${code}`));
    // Delivery never keeps the process alive on its own; `close` holds it for its budget.
    this.worker.unref();
  }

  private onMessage(m: NotifierOut): void {
    if (m.type === 'counts') {
      this.tally = { sent: m.sent, failed: m.failed, dropped: m.dropped, queued: m.queued, accepted: m.accepted };
    } else if (m.type === 'warn') {
      this.opts.log.warn(m.fields, m.msg);
    } else {
      if (m.abandoned > 0) this.opts.log.warn({ abandoned: m.abandoned, budgetMs: m.budgetMs }, 'webhook notifications not delivered before shutdown');
      this.onClosed?.();
    }
  }

  /** The worker is gone (but not ended by `close`): said once, and what it held is counted as dropped. */
  private die(reason: string): void {
    if (this.dead !== null) return;
    this.dead = reason;
    const lost = this.settleAsDropped();
    this.opts.log.error({ lost }, `${reason}: webhook notifications are no longer sent`);
    this.onClosed?.();
  }

  /** Everything not delivered yet (here, on its way, in the worker) becomes dropped; returns how many. */
  private settleAsDropped(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const lost = this.tally.queued + (this.buffer.length + this.posted - this.tally.accepted) * this.receivers;
    this.tally = { ...this.tally, dropped: this.tally.dropped + lost, queued: 0, accepted: this.posted };
    this.buffer = [];
    return lost;
  }

  /** For /metrics. */
  stats(): NotifierCounts {
    const waitingHere = this.buffer.length + (this.posted - this.tally.accepted);
    return {
      sent: this.tally.sent,
      failed: this.tally.failed,
      dropped: this.tally.dropped + this.droppedHere,
      queued: this.tally.queued + waitingHere * this.receivers,
    };
  }

  /** Called for every journaled event, on the tick path: a name check and an array push, nothing else. */
  notify(event: EngineEvent & { seq?: number; ts?: number }): void {
    if (!NOTIFIED_EVENTS.has(event.event) || this.receivers === 0) return;
    if (this.closing || this.dead !== null) {
      this.droppedHere += this.receivers;
      return;
    }
    if (this.buffer.length >= this.capacity) {
      this.buffer.shift();
      this.droppedHere += this.receivers;
      if (this.dropWarnings.take(Date.now())) {
        const suppressed = this.dropWarnings.takeSuppressed();
        this.opts.log.warn(
          { capacity: this.capacity, dropped: this.stats().dropped, ...(suppressed > 0 ? { suppressedWarnings: suppressed } : {}) },
          'webhook queue full: oldest notification dropped',
        );
      }
    }
    this.buffer.push({ ...event } as NotifiedEntry);
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer.length === 0 || this.dead !== null) return;
    const msg: NotifierIn = { type: 'entries', entries: this.buffer };
    this.posted += this.buffer.length;
    this.buffer = [];
    this.worker.postMessage(msg);
  }

  /**
   * Deliver what is queued (the SessionEnd above all) for at most `budgetMs`, then abandon the rest:
   * counted as dropped and logged, never a reason to hold the shutdown.
   */
  close(budgetMs: number): Promise<void> {
    this.closing ??= this.closeWorker(budgetMs);
    return this.closing;
  }

  private async closeWorker(budgetMs: number): Promise<void> {
    if (this.dead === null) {
      this.flush();
      let force: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onClosed = resolve;
        force = setTimeout(() => {
          this.opts.log.warn({ budgetMs }, 'webhook notifier did not finish in time; its notifications are abandoned');
          resolve();
        }, budgetMs + CLOSE_GRACE_MS);
        this.worker.postMessage({ type: 'close', budgetMs } satisfies NotifierIn);
      });
      clearTimeout(force);
    }
    this.onClosed = null;
    if (this.dead !== null) return;
    this.dead = 'closed';
    // whatever the worker still held (it did not answer in time) is dropped with it
    this.settleAsDropped();
    await this.worker.terminate();
  }
}
