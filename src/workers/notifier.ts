// Webhook delivery, off the main thread: fetch and its allocations, timeouts, retries with backoff and one
// bounded queue per receiver all live here, so a receiver that hangs, refuses or answers 500 costs this
// thread's time and heap, never the tick path's (no GC pause of ours lands in a stop decision). The main
// thread posts batches of notified journal entries; this thread answers with small messages: warnings for
// the main thread to log (at most a burst, then a steady rate, per receiver) and the counts for /metrics.
import { parentPort, workerData } from 'node:worker_threads';
import { WarningBudget } from '../shared/warning-budget.js';
import { webhookDocument } from '../shared/webhook-document.js';
import { answerMemoryCensus } from './memory-census.js';

answerMemoryCensus('notifier');

export interface NotifierData {
  urls: readonly string[];
  symbol: string;
  /** Notifications waiting per URL; beyond it the oldest is dropped (counted). */
  capacity: number;
  /** One attempt's limit: a receiver that hangs is abandoned after this. */
  timeoutMs: number;
  /** Attempts per notification (the first included). */
  attempts: number;
  /** Backoff before the second attempt, doubled per retry (with jitter), capped at 30 s. */
  backoffMs: number;
}

/** A notified journal entry, as the main thread posts it. */
export type NotifiedEntry = Record<string, unknown> & { event: string };

/** Main → worker. */
export type NotifierIn = { type: 'entries'; entries: NotifiedEntry[] } | { type: 'close'; budgetMs: number };

export interface NotifierTally {
  sent: number;
  failed: number;
  dropped: number;
  /** Waiting or in flight, over all receivers. */
  queued: number;
  /** Entries taken from the main thread so far (the ones posted after it are still on their way). */
  accepted: number;
}

/** Worker → main. `warn` is logged by the main thread as it is; `counts` follows every change. */
export type NotifierOut =
  | { type: 'warn'; fields: Record<string, unknown>; msg: string }
  | ({ type: 'counts' } & NotifierTally)
  | { type: 'closed'; abandoned: number; budgetMs: number };

/** Failure warnings per receiver: this many at once, then this many per second. */
const WARN_BURST = 20;
const WARN_PER_SECOND = 2;
/** A retry's backoff while shutting down: the budget is short. */
const CLOSING_BACKOFF_MS = 200;

type Pending = { entry: NotifiedEntry; tries: number };

/** One receiver: its own queue and one request at a time, so a slow one delays nobody else. */
class Receiver {
  /** Waiting notifications, oldest first (the one being sent is `current`). */
  readonly queue: Pending[] = [];
  current: Pending | null = null;
  timer: NodeJS.Timeout | null = null;
  inFlight: AbortController | null = null;
  readonly warnings = new WarningBudget(WARN_BURST, WARN_PER_SECOND);
  constructor(readonly url: string) {}
}

class WebhookDelivery {
  private readonly receivers: Receiver[];
  private closing = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private readonly tally: NotifierTally = { sent: 0, failed: 0, dropped: 0, queued: 0, accepted: 0 };
  private countsDue = false;

  constructor(
    private readonly cfg: NotifierData,
    private readonly post: (m: NotifierOut) => void,
  ) {
    this.receivers = cfg.urls.map((u) => new Receiver(u));
  }

  add(entries: NotifiedEntry[]): void {
    this.tally.accepted += entries.length;
    this.countsChanged();
    if (this.closed) {
      this.tally.dropped += entries.length * this.receivers.length;
      return;
    }
    for (const entry of entries) {
      for (const r of this.receivers) {
        if (r.queue.length >= this.cfg.capacity) {
          r.queue.shift();
          this.tally.dropped++;
          this.warn(r, { url: r.url, capacity: this.cfg.capacity, dropped: this.tally.dropped }, 'webhook queue full: oldest notification dropped');
        }
        r.queue.push({ entry, tries: 0 });
        this.schedule(r, 0);
      }
    }
  }

  /** Posted once per turn of this thread's loop, after the warnings of that turn. */
  private countsChanged(): void {
    if (this.countsDue) return;
    this.countsDue = true;
    queueMicrotask(() => {
      this.countsDue = false;
      const queued = this.receivers.reduce((n, r) => n + r.queue.length + (r.current ? 1 : 0), 0);
      this.post({ type: 'counts', ...this.tally, queued });
    });
  }

  private warn(r: Receiver, fields: Record<string, unknown>, msg: string): void {
    if (!r.warnings.take(Date.now())) return;
    const suppressed = r.warnings.takeSuppressed();
    this.post({ type: 'warn', fields: suppressed > 0 ? { ...fields, suppressedWarnings: suppressed } : fields, msg });
  }

  private schedule(r: Receiver, delayMs: number): void {
    if (r.current || r.timer) return;
    r.timer = setTimeout(() => {
      r.timer = null;
      void this.deliver(r);
    }, delayMs);
  }

  private async deliver(r: Receiver): Promise<void> {
    const item = r.queue.shift();
    if (!item) {
      this.checkIdle();
      return;
    }
    r.current = item;
    item.tries++;
    const ctl = new AbortController();
    r.inFlight = ctl;
    const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${this.cfg.timeoutMs} ms`)), this.cfg.timeoutMs);
    let failure: string | null = null;
    let retryable = true;
    try {
      const body = JSON.stringify(webhookDocument(this.cfg.symbol, item.entry));
      const res = await fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ctl.signal });
      // the body is not needed, but reading it lets the connection be reused
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) {
        failure = `HTTP ${res.status}`;
        retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      }
    } catch (err) {
      const e = err as Error & { cause?: Error };
      failure = ctl.signal.aborted
        ? String((ctl.signal.reason as Error)?.message ?? 'aborted')
        : `${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`;
    } finally {
      clearTimeout(timer);
      r.inFlight = null;
      r.current = null;
    }
    if (this.closed) return; // abandoned by close(), already counted
    this.countsChanged();
    if (failure === null) {
      this.tally.sent++;
      this.schedule(r, 0);
      return;
    }
    this.tally.failed++;
    const last = !retryable || item.tries >= this.cfg.attempts;
    this.warn(
      r,
      { url: r.url, event: item.entry.event, attempt: item.tries, of: this.cfg.attempts, failures: this.tally.failed, err: failure },
      last ? 'webhook notification failed: given up' : 'webhook notification failed: will retry',
    );
    if (last) {
      this.tally.dropped++;
      this.schedule(r, 0);
      return;
    }
    r.queue.unshift(item); // retried before anything newer, to keep the order
    const backoff = Math.min(30_000, this.cfg.backoffMs * 2 ** (item.tries - 1)) * (0.75 + Math.random() * 0.5);
    this.schedule(r, this.closing ? Math.min(backoff, CLOSING_BACKOFF_MS) : backoff);
  }

  private get idle(): boolean {
    return this.receivers.every((r) => r.queue.length === 0 && !r.current);
  }

  private checkIdle(): void {
    if (!this.idle) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /**
   * Deliver what is queued (the SessionEnd above all) for at most `budgetMs`, then abandon the rest:
   * counted as dropped, never a reason to hold the shutdown.
   */
  async close(budgetMs: number): Promise<void> {
    this.closing = true;
    // retries waiting out a long backoff go now
    for (const r of this.receivers) {
      if (r.timer && r.queue.length > 0) {
        clearTimeout(r.timer);
        r.timer = null;
        this.schedule(r, 0);
      }
    }
    if (!this.idle) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, budgetMs))),
      ]);
      clearTimeout(timer);
    }
    this.closed = true;
    let abandoned = 0;
    for (const r of this.receivers) {
      if (r.timer) clearTimeout(r.timer);
      r.timer = null;
      r.inFlight?.abort(new Error('shutting down'));
      const left = r.queue.length + (r.current ? 1 : 0);
      abandoned += left;
      r.queue.length = 0;
      r.current = null;
      const suppressed = r.warnings.takeSuppressed();
      if (suppressed > 0) this.post({ type: 'warn', fields: { url: r.url, suppressedWarnings: suppressed }, msg: 'webhook warnings not logged (too many)' });
    }
    this.tally.dropped += abandoned;
    this.countsChanged();
    // after the last counts: the main thread reads them before it is told the close is done
    queueMicrotask(() => this.post({ type: 'closed', abandoned, budgetMs }));
  }
}

const port = parentPort;
if (!port) throw new Error('the webhook notifier runs as a worker thread');
const delivery = new WebhookDelivery(workerData as NotifierData, (m) => port.postMessage(m));
port.on('message', (m: NotifierIn) => {
  if (m.type === 'entries') delivery.add(m.entries);
  else if (m.type === 'close') void delivery.close(m.budgetMs);
});
