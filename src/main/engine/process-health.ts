// The process itself: event-loop lag (sampled every heartbeat, folded into the /metrics histogram), RSS, and the
// watchdog thread that kills a main thread frozen for longer than its limit.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { CumulativeBuckets } from '../../shared/cumulative-buckets.js';
import { foldLoopDelay } from '../latency-histogram.js';
import type { Logger } from '../logger.js';
import { MemoryCensus, type MemoryFigures } from '../memory-census.js';
import { spawnWorker } from '../spawn-worker.js';

const WATCHDOG_LIMIT_MS = 30_000;
const LOOP_DELAY_RESOLUTION_MS = 10;

export class ProcessHealth {
  private watchdog: Worker | null = null;
  private readonly watchdogBeat = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  /** Event-loop lag since the start, for the /metrics histogram (folded once per heartbeat). */
  readonly loopLagTotal = new CumulativeBuckets();
  /** The last heartbeat's loop lag p99 (the lag histogram is reset every heartbeat) and RSS. */
  private _lagP99Ms = 0;
  private _rssMb = 0;
  private census: MemoryCensus | null = null;
  private _memory: MemoryFigures | null = null;

  constructor(private readonly log: Logger) {}

  start(): void {
    Atomics.store(this.watchdogBeat, 0, BigInt(Date.now()));
    this.watchdog = spawnWorker('watchdog', {
      workerData: { beat: this.watchdogBeat.buffer, limitMs: WATCHDOG_LIMIT_MS, checkMs: 1000 },
      // It reads one word a second: the smallest young generation (the default's semi-spaces cost megabytes of RSS).
      resourceLimits: { maxYoungGenerationSizeMb: 1 },
    });
    this.watchdog.on('error', (err) => this.log.error({ err: err.message }, 'watchdog worker failed'));
    this.watchdog.unref();
    this.loopDelay.enable();
    this.census = new MemoryCensus();
  }

  /** The main thread is alive (the watchdog reads this beat from its own thread). */
  beat(): void {
    Atomics.store(this.watchdogBeat, 0, BigInt(Date.now()));
  }

  /** RSS and the loop lag since the previous sample; returns the unrounded RSS in MB (for the memory cap). */
  sample(): number {
    const rssMb = process.memoryUsage.rss() / 1048576;
    this._memory = this.census?.take() ?? null;
    // Node 20's histogram counts the sampling interval itself; the lag is what exceeds it.
    const lagP99 = Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS);
    foldLoopDelay(this.loopDelay, LOOP_DELAY_RESOLUTION_MS, this.loopLagTotal);
    this.loopDelay.reset();
    this._lagP99Ms = Math.round(lagP99 * 1000) / 1000;
    this._rssMb = Math.round(rssMb * 10) / 10;
    return rssMb;
  }

  get lagP99Ms(): number {
    return this._lagP99Ms;
  }

  get rssMb(): number {
    return this._rssMb;
  }

  /** The last heartbeat's memory by thread (null before the first). */
  get memory(): MemoryFigures | null {
    return this._memory;
  }

  async stop(): Promise<void> {
    this.watchdog?.postMessage('stop');
    await this.watchdog?.terminate();
    this.loopDelay.disable();
    this.census?.close();
  }
}
