// Per-tick latencies (SPEC §8): stop decision (frame received → the open position checked and an exit
// decided) and tick age (exchange ts → processed), recorded in an HDR histogram in microseconds so
// percentiles stay exact under load without per-tick allocation. Read and reset once per heartbeat.
import * as hdr from 'hdr-histogram-js';

export class LatencyHistogram {
  private readonly h = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  /** The last completed window's percentiles (microseconds). */
  last = { p50Us: 0, p99Us: 0, maxUs: 0, count: 0 };

  recordMs(ms: number): void {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  /** Close the current window: its percentiles become `last`. */
  roll(): void {
    const h = this.h;
    this.last = h.totalCount
      ? { p50Us: h.getValueAtPercentile(50), p99Us: h.getValueAtPercentile(99), maxUs: h.maxValue, count: h.totalCount }
      : { p50Us: 0, p99Us: 0, maxUs: 0, count: 0 };
    h.reset();
  }
}
