// What the soak records of the engine's memory every 10 s besides RSS, and what grew between two samples:
// the kernel's split of RSS (anonymous vs file-backed pages) and the engine's own census by thread
// (heartbeat.json `memory`: each thread's V8 heap, the main thread's external and array-buffer memory).
import { readFileSync } from 'node:fs';
import type { MemoryFigures } from '../src/main/memory-census.js';

export interface ProcMemory {
  rssMb: number;
  anonMb: number;
  fileMb: number;
}

export interface SoakMemorySample {
  atSec: number;
  proc: ProcMemory;
  /** The engine's last heartbeat census (null before its first). */
  census: MemoryFigures | null;
}

const kbField = (status: string, name: string): number => {
  const m = new RegExp(`${name}:\\s+(\\d+) kB`).exec(status);
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : Number.NaN;
};

export function procMemoryOf(pid: number): ProcMemory {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rssMb: kbField(s, 'VmRSS'), anonMb: kbField(s, 'RssAnon'), fileMb: kbField(s, 'RssFile') };
  } catch {
    return { rssMb: Number.NaN, anonMb: Number.NaN, fileMb: Number.NaN };
  }
}

/** Every figure of a sample by name, in MB (workers of one name summed: piscina may run several). */
export function memoryParts(s: SoakMemorySample): Map<string, number> {
  const parts = new Map<string, number>([
    ['RSS', s.proc.rssMb],
    ['RSS anonymous', s.proc.anonMb],
    ['RSS file-backed', s.proc.fileMb],
  ]);
  const c = s.census;
  if (c) {
    parts.set('main heap total', c.main.heapTotalMb);
    parts.set('main heap used', c.main.heapUsedMb);
    parts.set('main external', c.main.externalMb);
    parts.set('main array buffers', c.main.arrayBuffersMb);
    for (const [space, size] of Object.entries(c.main.spacesMb ?? {})) parts.set(`main ${space}`, size);
    for (const w of c.workers) {
      const key = `${w.thread} heap total`;
      parts.set(key, Math.round(((parts.get(key) ?? 0) + w.heapTotalMb) * 100) / 100);
      const ext = `${w.thread} external`;
      parts.set(ext, Math.round(((parts.get(ext) ?? 0) + w.externalMb) * 100) / 100);
    }
    parts.set('outside every heap', c.outsideHeapsMb);
  }
  return parts;
}

/** One line per figure: its value in `from` and `to` and the change, largest change first. */
export function memoryGrowth(from: SoakMemorySample, to: SoakMemorySample): string[] {
  const a = memoryParts(from);
  const b = memoryParts(to);
  const names = [...new Set([...a.keys(), ...b.keys()])];
  const rows = names.map((n) => ({ n, x: a.get(n) ?? 0, y: b.get(n) ?? 0 }));
  rows.sort((p, q) => Math.abs(q.y - q.x) - Math.abs(p.y - p.x));
  return rows.map(({ n, x, y }) => `${n}: ${x.toFixed(1)} → ${y.toFixed(1)} MB (${y - x >= 0 ? '+' : ''}${(y - x).toFixed(2)})`);
}

export interface RssWindow {
  fromSec: number;
  toSec: number;
  minMb: number;
  meanMb: number;
  maxMb: number;
}

/**
 * RSS samples summarised per window of `windowSec` (the first window starts at 0). A single sample lands
 * anywhere in a garbage-collection cycle (the heap swings by a few MB between collections), so the window
 * figures say more about a trend than one sample against another.
 */
export function rssWindows(rss: readonly [number, number][], windowSec = 300): RssWindow[] {
  const groups = new Map<number, number[]>();
  for (const [sec, mb] of rss) {
    const from = Math.floor((sec - 1) / windowSec) * windowSec; // the 300 s sample closes the first window
    const g = groups.get(from) ?? [];
    g.push(mb);
    groups.set(from, g);
  }
  return [...groups].map(([fromSec, mbs]) => ({
    fromSec,
    toSec: fromSec + windowSec,
    minMb: Math.min(...mbs),
    meanMb: Math.round((mbs.reduce((a, b) => a + b, 0) / mbs.length) * 10) / 10,
    maxMb: Math.max(...mbs),
  }));
}
