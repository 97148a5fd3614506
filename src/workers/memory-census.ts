// A worker answers the main thread's memory census with its own heap (src/main/memory-census.ts asks once per
// heartbeat). The channel does not keep the worker alive.
import { getHeapSpaceStatistics } from 'node:v8';
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';
import { MEMORY_CENSUS_ASK, MEMORY_CENSUS_CHANNEL, threadMemoryOf } from '../shared/memory-census.js';

/** Does nothing on the main thread (a worker module imported there for its types or helpers). */
export function answerMemoryCensus(thread: string): void {
  if (isMainThread) return;
  const channel = new BroadcastChannel(MEMORY_CENSUS_CHANNEL);
  channel.onmessage = (ev: unknown) => {
    if ((ev as MessageEvent).data === MEMORY_CENSUS_ASK) channel.postMessage(threadMemoryOf(thread, threadId, process.memoryUsage(), getHeapSpaceStatistics()));
  };
  channel.unref();
}
