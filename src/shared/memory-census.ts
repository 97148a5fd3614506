// The names shared by the main thread's memory census and the workers that answer it:
// every thread reports its own V8 heap, so RSS growth can be told apart by thread.

/** BroadcastChannel name; a channel reaches every thread of the process that opened the same name. */
export const MEMORY_CENSUS_CHANNEL = 'laptop-agents:memory-census';
export const MEMORY_CENSUS_ASK = 'memory-census?';

/** One thread's own heap, in MB (process.memoryUsage() in that thread; RSS is the process's, so not here). */
export interface ThreadMemory {
  thread: string;
  threadId: number;
  heapTotalMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
  /** Committed size of each V8 heap space (new_space, old_space, code_space, large_object_space, ...). */
  spacesMb: Record<string, number>;
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 100) / 100;

export function threadMemoryOf(
  thread: string,
  threadId: number,
  u: { heapTotal: number; heapUsed: number; external: number; arrayBuffers: number },
  spaces: readonly { space_name: string; space_size: number }[],
): ThreadMemory {
  const spacesMb: Record<string, number> = {};
  for (const s of spaces) if (s.space_size > 0) spacesMb[s.space_name] = mb(s.space_size);
  return {
    thread,
    threadId,
    heapTotalMb: mb(u.heapTotal),
    heapUsedMb: mb(u.heapUsed),
    externalMb: mb(u.external),
    arrayBuffersMb: mb(u.arrayBuffers),
    spacesMb,
  };
}

export function isThreadMemory(x: unknown): x is ThreadMemory {
  const t = x as ThreadMemory | null;
  return typeof t === 'object' && t !== null && typeof t.thread === 'string' && typeof t.threadId === 'number' && typeof t.heapTotalMb === 'number';
}
