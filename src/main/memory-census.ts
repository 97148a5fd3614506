// Where the process's memory is, once per heartbeat: the main thread's heap, external and array-buffer memory,
// and every worker's own heap (each answers over a BroadcastChannel, src/workers/memory-census.ts). RSS minus
// the heaps is native memory: sockets, the allocator, code. A soak that sees RSS grow can tell which it was.
import { getHeapSpaceStatistics } from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import { isThreadMemory, MEMORY_CENSUS_ASK, MEMORY_CENSUS_CHANNEL, threadMemoryOf, type ThreadMemory } from '../shared/memory-census.js';

export interface MemoryFigures {
  rssMb: number;
  main: ThreadMemory;
  /** The workers' answers to the previous census, by thread name then id. */
  workers: ThreadMemory[];
  /** RSS minus every heap counted here (main and workers): native and allocator memory. */
  outsideHeapsMb: number;
}

export class MemoryCensus {
  private readonly channel = new BroadcastChannel(MEMORY_CENSUS_CHANNEL);
  private answers = new Map<number, ThreadMemory>();

  constructor() {
    this.channel.onmessage = (ev: unknown) => {
      const m = (ev as MessageEvent).data;
      if (isThreadMemory(m)) this.answers.set(m.threadId, m);
    };
    this.channel.unref();
  }

  /** The figures now (workers: their answers since the last call), then asks the workers again. */
  take(): MemoryFigures {
    const u = process.memoryUsage();
    const main = threadMemoryOf('main', 0, u, getHeapSpaceStatistics());
    const workers = [...this.answers.values()].sort((a, b) => a.thread.localeCompare(b.thread) || a.threadId - b.threadId);
    this.answers = new Map();
    this.channel.postMessage(MEMORY_CENSUS_ASK);
    const rssMb = Math.round((u.rss / 1048576) * 10) / 10;
    const heaps = main.heapTotalMb + workers.reduce((n, w) => n + w.heapTotalMb, 0);
    return { rssMb, main, workers, outsideHeapsMb: Math.round((rssMb - heaps) * 10) / 10 };
  }

  close(): void {
    this.channel.close();
  }
}
