// Per-tick latencies (docs/targets.md §2): stop decision (frame received → the open position checked and an exit
// decided) and tick age (exchange ts → processed), recorded in an HDR histogram in microseconds so
// percentiles stay exact under load without per-tick allocation. Read and reset once per heartbeat;
// each window is folded into `total`, the since-start buckets /metrics exports.
// The one histogram class hdr.build would pick for 32-bit buckets: the package's index also loads its WebAssembly
// and log encoders (pako), a start-up cost a session never uses.
import { createRequire } from 'node:module';
import type Int32HistogramModule from 'hdr-histogram-js/dist/Int32Histogram.js';
import { CumulativeBuckets } from '../shared/cumulative-buckets.js';

// Required, not imported: an import of a CommonJS file scans its source for exports at start (docs/node-traps.md §11).
const Int32Histogram = (createRequire(import.meta.url)('hdr-histogram-js/dist/Int32Histogram.js') as typeof Int32HistogramModule).default;

/** The JS histogram hdr.build returns by default can walk its recorded values. */
interface RecordedValues {
  recordedValuesIterator: {
    reset(): void;
    hasNext(): boolean;
    next(): { valueIteratedTo: number; countAtValueIteratedTo: number };
  };
}

export class LatencyHistogram {
  private readonly h = int32Histogram(1, 60_000_000, 3);
  /** The last completed window's percentiles (microseconds). */
  last = { p50Us: 0, p99Us: 0, maxUs: 0, count: 0 };
  /** Every window since the start, in seconds. */
  readonly total = new CumulativeBuckets();

  recordMs(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Close the current window: its percentiles become `last` and its values join `total`. */
  roll(): void {
    const h = this.h;
    this.last = h.totalCount
      ? { p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99), maxUs: h.maxValue, count: h.totalCount }
      : { p50Us: 0, p99Us: 0, maxUs: 0, count: 0 };
    if (h.totalCount) foldHdr(h as unknown as RecordedValues, this.total);
    h.reset();
  }
}

/** What hdr.build({ bitBucketSize: 32, ... }) returns: an Int32Histogram that resizes (its default request). */
function int32Histogram(lowest: number, highest: number, digits: number): InstanceType<typeof Int32Histogram> {
  const h = new Int32Histogram(lowest, highest, digits);
  h.autoResize = true;
  return h;
}

function foldHdr(h: RecordedValues, into: CumulativeBuckets): void {
  const it = h.recordedValuesIterator;
  it.reset();
  while (it.hasNext()) {
    const v = it.next();
    into.add(v.valueIteratedTo / 1e6, v.countAtValueIteratedTo);
  }
}

/**
 * Folds a window of node's event-loop delay histogram (nanoseconds) into `into`, less the sampling
 * interval Node 20 counts into every sample. Node exposes percentiles, not buckets: each percentile
 * step of its distribution is added at that step's value, which is exact to the percentile grid.
 */
export function foldLoopDelay(h: { count: number; percentiles: Map<number, number> }, resolutionMs: number, into: CumulativeBuckets): void {
  if (h.count <= 0) return;
  let added = 0;
  const steps = [...h.percentiles.entries()].sort((a, b) => a[0] - b[0]);
  for (const [pct, ns] of steps) {
    const upTo = Math.round((h.count * pct) / 100);
    const n = upTo - added;
    if (n > 0) into.add(Math.max(0, ns / 1e6 - resolutionMs) / 1000, n);
    added = Math.max(added, upTo);
  }
  if (added < h.count) {
    const max = steps.at(-1)?.[1] ?? 0;
    into.add(Math.max(0, max / 1e6 - resolutionMs) / 1000, h.count - added);
  }
}
