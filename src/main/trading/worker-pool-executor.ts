// The worker-pool executor, a bounded execution queue (docs/paper-broker.md §1): capacity counts queued and in-flight
// orders; an order over capacity is refused at once (the caller emits OrderDropped) so nothing grows or stalls. Latency waits
// run in a piscina pool, many at once per worker thread; quotes come back to the main thread as data.
// Each order carries its latency (market ms, sampled when it was queued); the wait is that latency on
// the wall clock, scaled for a simulator whose market clock runs faster.
import { Piscina } from 'piscina';
import type { TickRing } from '../../shared/tick-ring.js';
import type { FillQuote, Order, Tick } from '../../shared/types.js';
import { workerUrl } from '../spawn-worker.js';
import { DueOrders } from './due-orders.js';
import type { Executor, QuoteHandler } from './executor.js';

export interface WorkerPoolOptions {
  capacity: number;
  /** Wall ms waited per market ms of latency: 1 live, 1/N for a simulator at --sim-speed N. */
  wallMsPerMarketMs?: number;
  ring: TickRing;
  threads?: number;
  onFailure(order: Order, err: Error): void;
}

export class WorkerPoolExecutor implements Executor {
  private readonly pool: Piscina;
  private readonly inFlight = new Map<string, Order>();
  /** Orders whose quote came back before the book reached their due time (a quiet book, a fast market clock). */
  private readonly due = new DueOrders();
  private onQuote: QuoteHandler = () => {
    throw new Error('WorkerPoolExecutor: no quote handler (deliverTo was not called)');
  };
  private accepting = true;
  private readonly drained: Array<() => void> = [];

  constructor(private readonly opts: WorkerPoolOptions) {
    const threads = opts.threads ?? 1;
    this.pool = new Piscina({
      filename: workerUrl('execution').href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Latency waits are timers inside the task, so one thread overlaps every wait.
      concurrentTasksPerWorker: Math.max(1, opts.capacity),
      // postMessage mode: 'sync' atomics would freeze a worker's timers between tasks (docs/node-traps.md §1).
      atomics: 'disabled',
      workerData: { ringBuffer: opts.ring.buffer },
    });
  }

  deliverTo(onQuote: QuoteHandler): void {
    this.onQuote = onQuote;
  }

  /** Queued plus in-flight orders. */
  get depth(): number {
    return this.inFlight.size;
  }

  get pending(): number {
    return this.inFlight.size + this.due.size;
  }

  hold(order: Order): void {
    this.due.add(order);
  }

  onTick(tick: Readonly<Tick>): void {
    this.due.release(tick, this.onQuote);
  }

  get capacity(): number {
    return this.opts.capacity;
  }

  /** False when the queue is full or shutting down: the order is gone, never half-applied. */
  submit(order: Order): boolean {
    if (!this.accepting || this.inFlight.size >= this.opts.capacity) return false;
    const waitMs = Math.round((order.latencyMs ?? 0) * (this.opts.wallMsPerMarketMs ?? 1));
    this.inFlight.set(order.id, order);
    this.pool.run({ order, waitMs }).then(
      (quote: FillQuote) => this.settle(order, () => this.onQuote(order, quote)),
      (err: unknown) => this.settle(order, () => this.opts.onFailure(order, err instanceof Error ? err : new Error(String(err)))),
    );
    return true;
  }

  private settle(order: Order, then: () => void): void {
    if (!this.inFlight.delete(order.id)) return; // cancelled at shutdown
    then();
    if (this.inFlight.size === 0) for (const resolve of this.drained.splice(0)) resolve();
  }

  /**
   * Stop intake, let in-flight orders finish within `budgetMs`, then cancel the rest.
   * Returns the orders that were cancelled (never applied).
   */
  async close(budgetMs: number): Promise<Order[]> {
    this.accepting = false;
    if (this.inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, budgetMs);
        this.drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const cancelled = [...this.inFlight.values()];
    this.inFlight.clear();
    await this.pool.destroy();
    return cancelled;
  }
}
