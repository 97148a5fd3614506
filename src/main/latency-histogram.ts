// Stop-decision latency (SPEC §8): frame received → the open position checked (and an exit decided),
// recorded for every tick in an HDR histogram (microseconds) so percentiles stay exact under load
// without per-tick allocation. Read and reset once per heartbeat.
import * as hdr from 'hdr-histogram-js';

export class LatencyHistogram {
  private readonly h = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  /** The last completed window's percentiles (microseconds). */
  last = { p50Us: 0, p99Us: 0, maxUs: 0, count: 0 };
  /** Every sample since start. */
  readonly total = hdr.build({ bitBucketSize: 32, lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  recordMs(ms: number): void {
    const us = Math.max(1, Math.round(ms * 1000));
    this.h.recordValue(us);
    this.total.recordValue(us);
  }

  /** Close the current window: its percentiles become `last`. */
  roll(): void {
    this.last = {
      p50Us: this.h.totalCount ? this.h.getValueAtPercentile(50) : 0,
      p99Us: this.h.totalCount ? this.h.getValueAtPercentile(99) : 0,
      maxUs: this.h.totalCount ? this.h.maxValue : 0,
      count: this.h.totalCount,
    };
    this.h.reset();
  }

  totals(): { p50Us: number; p99Us: number; maxUs: number; count: number } {
    const t = this.total;
    return t.totalCount
      ? { p50Us: t.getValueAtPercentile(50), p99Us: t.getValueAtPercentile(99), maxUs: t.maxValue, count: t.totalCount }
      : { p50Us: 0, p99Us: 0, maxUs: 0, count: 0 };
  }
}
