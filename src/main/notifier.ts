// Webhook notifications (`--webhook URL`, repeatable): one JSON document per Fill, Exit, TradingState
// change, BreakerTripped, WsFatal and SessionEnd, POSTed to every URL. The session hands events over
// with `notify`, which only filters on the event name and appends to a bounded queue: the document is
// built and sent later, from a timer, by fetch. A receiver that hangs, refuses or fails costs a counted
// warning and, when its queue overflows, the oldest notifications; never a trade, a wait on the tick
// path or the session. At shutdown `close` waits a bounded time so the SessionEnd goes out.
import type { EngineEvent } from '../shared/events.js';
import type { Logger } from './logger.js';
import type { NotifierCounts } from './prom-metrics.js';

export const NOTIFIED_EVENTS: ReadonlySet<string> = new Set(['Fill', 'Exit', 'TradingState', 'BreakerTripped', 'WsFatal', 'SessionEnd']);

/** A notification as POSTed: who, what, a line for humans (Slack reads `text`), and the event's fields. */
export interface WebhookDocument {
  symbol: string;
  event: string;
  text: string;
  [field: string]: unknown;
}

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
  fetch?: typeof fetch;
}

type Pending = { event: EngineEvent & { seq?: number; ts?: number }; tries: number };

const num = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? String(Number(x.toPrecision(10))) : String(x));
const signedMoney = (x: unknown): string => (typeof x === 'number' ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : String(x));

/** The one-line human text of a notified event. */
export function notificationText(symbol: string, e: Record<string, unknown>): string {
  switch (e.event) {
    case 'Fill':
      return `${symbol}: opened ${String(e.side)} ${num(e.qty)} @ ${num(e.price)} (fee ${num(e.fee)}, stop ${num(e.sl)}, target ${num(e.tp)})`;
    case 'Exit': {
      const net = typeof e.pnl === 'number' && typeof e.fee === 'number' ? e.pnl - e.fee : e.pnl;
      return `${symbol}: closed by ${String(e.reason)} ${num(e.qty)} @ ${num(e.price)}, PnL ${signedMoney(e.pnl)} gross, ${signedMoney(net)} after the exit fee`;
    }
    case 'TradingState':
      return `${symbol}: trading ${String(e.state)}${e.reason ? ` (${String(e.reason)})` : ''}${e.previous ? `, was ${String(e.previous)}` : ''}`;
    case 'BreakerTripped':
      return `${symbol}: circuit breaker tripped (${String(e.reason)}${e.detail ? `: ${String(e.detail)}` : ''}), flattening`;
    case 'WsFatal':
      return `${symbol}: market data lost for good (${String(e.reason)}), the session stops`;
    case 'SessionEnd':
      return `${symbol}: session ended (${String(e.reason)}, exit ${String(e.exitCode)}, ${String(e.errors ?? 0)} errors)`;
    default:
      return `${symbol}: ${String(e.event)}`;
  }
}

export function webhookDocument(symbol: string, e: Record<string, unknown>): WebhookDocument {
  return { ...e, symbol, event: String(e.event), text: notificationText(symbol, e) };
}

/** One receiver: its own queue and one request at a time, so a slow one delays nobody else. */
class Receiver {
  /** Waiting notifications, oldest first (the one being sent is `current`). */
  readonly queue: Pending[] = [];
  current: Pending | null = null;
  timer: NodeJS.Timeout | null = null;
  inFlight: AbortController | null = null;
  constructor(readonly url: string) {}
}

export class WebhookNotifier {
  private readonly receivers: Receiver[];
  private readonly capacity: number;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  private readonly fetch: typeof fetch;
  private closing = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  readonly counts = { sent: 0, failed: 0, dropped: 0 };

  constructor(private readonly opts: NotifierOptions) {
    this.receivers = opts.urls.map((u) => new Receiver(u));
    this.capacity = opts.capacity ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.attempts = opts.attempts ?? 4;
    this.backoffMs = opts.backoffMs ?? 1000;
    this.fetch = opts.fetch ?? fetch;
  }

  /** For /metrics. */
  stats(): NotifierCounts {
    return { ...this.counts, queued: this.receivers.reduce((n, r) => n + r.queue.length + (r.current ? 1 : 0), 0) };
  }

  /** Called for every journaled event, on the tick path: a name check and an array push, nothing else. */
  notify(event: EngineEvent & { seq?: number; ts?: number }): void {
    if (this.closed || !NOTIFIED_EVENTS.has(event.event) || this.receivers.length === 0) return;
    for (const r of this.receivers) {
      if (r.queue.length >= this.capacity) {
        r.queue.shift();
        this.counts.dropped++;
        this.opts.log.warn({ url: r.url, capacity: this.capacity, dropped: this.counts.dropped }, 'webhook queue full: oldest notification dropped');
      }
      r.queue.push({ event, tries: 0 });
      this.schedule(r, 0);
    }
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
    const timer = setTimeout(() => ctl.abort(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    let failure: string | null = null;
    let retryable = true;
    try {
      const body = JSON.stringify(webhookDocument(this.opts.symbol, { ...item.event }));
      const res = await this.fetch(r.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: ctl.signal });
      // the body is not needed, but reading it lets the connection be reused
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) {
        failure = `HTTP ${res.status}`;
        retryable = res.status >= 500 || res.status === 429 || res.status === 408;
      }
    } catch (err) {
      const e = err as Error & { cause?: Error };
      failure = ctl.signal.aborted ? String((ctl.signal.reason as Error)?.message ?? 'aborted') : `${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`;
    } finally {
      clearTimeout(timer);
      r.inFlight = null;
      r.current = null;
    }
    if (this.closed) return; // abandoned by close(), already counted
    if (failure === null) {
      this.counts.sent++;
      this.schedule(r, 0);
      return;
    }
    this.counts.failed++;
    const last = !retryable || item.tries >= this.attempts;
    this.opts.log.warn(
      { url: r.url, event: item.event.event, attempt: item.tries, of: this.attempts, failures: this.counts.failed, err: failure },
      last ? 'webhook notification failed: given up' : 'webhook notification failed: will retry',
    );
    if (last) {
      this.counts.dropped++;
      this.schedule(r, 0);
      return;
    }
    r.queue.unshift(item); // retried before anything newer, to keep the order
    const backoff = Math.min(30_000, this.backoffMs * 2 ** (item.tries - 1)) * (0.75 + Math.random() * 0.5);
    this.schedule(r, this.closing ? Math.min(backoff, 200) : backoff);
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
   * counted as dropped and logged, never a reason to hold the shutdown.
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
      this.counts.dropped += left;
      r.queue.length = 0;
      r.current = null;
    }
    if (abandoned > 0) this.opts.log.warn({ abandoned, budgetMs }, 'webhook notifications not delivered before shutdown');
  }
}
