// A Prometheus-style histogram kept as per-bucket counts since the start: the tick path records into an
// HDR histogram (cheap, exact percentiles) and once a second that window is folded in here, so a scrape
// exports real `_bucket`/`_sum`/`_count` series without any per-tick work beyond the HDR record.

/** Upper bounds in seconds, from 10 µs (a stop decision) to a minute (a stale tick). */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = [
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

export class CumulativeBuckets {
  /** counts[i]: observations in (bounds[i-1], bounds[i]]; the last slot is above every bound (+Inf). */
  private readonly counts: number[];
  count = 0;
  /** Sum of the observations, in seconds. */
  sum = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BOUNDS_SECONDS) {
    for (let i = 1; i < bounds.length; i++) {
      if (!(bounds[i]! > bounds[i - 1]!)) throw new Error(`histogram bounds must increase: ${bounds.join(', ')}`);
    }
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** `n` observations of `seconds`. */
  add(seconds: number, n = 1): void {
    if (!(n > 0) || !Number.isFinite(seconds)) return;
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i++;
    this.counts[i]! += n;
    this.count += n;
    this.sum += seconds * n;
  }

  /** Cumulative counts per bound (`le`), ending with +Inf = count. */
  cumulative(): { le: number; count: number }[] {
    let acc = 0;
    const out = this.bounds.map((le, i) => ({ le, count: (acc += this.counts[i]!) }));
    out.push({ le: Infinity, count: this.count });
    return out;
  }
}
