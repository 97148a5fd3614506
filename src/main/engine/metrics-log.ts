// The 1 Hz samples behind metrics.csv, kept as typed-array columns: 61 bytes a sample, a fixed cap of two
// days (10.5 MB when full, where plain objects took about 35 MB), so a long session's memory stays flat.
import { ColumnRing, StringCodes } from '../../shared/column-ring.js';
import { metricsCsv, type MetricsSample } from '../reports.js';

/** metrics.csv keeps the last two days of 1 Hz samples. */
export const MAX_METRIC_SAMPLES = 172_800;

type Column = keyof MetricsSample;

export class MetricsLog {
  private readonly positions = new StringCodes();
  // RSS arrives rounded to 0.1 MB: float32 keeps that digit exactly as printed
  private readonly ring: ColumnRing<Column>;

  constructor(capacity = MAX_METRIC_SAMPLES) {
    this.ring = new ColumnRing<Column>(capacity, {
      ts: 'f64',
      price: 'f64',
      equity: 'f64',
      unrealized: 'f64',
      position: 'u8',
      ticks: 'f64',
      queueDepth: 'u32',
      loopLagP99Ms: 'f64',
      rssMb: 'f32',
      errors: 'u32',
    });
  }

  push(s: MetricsSample): void {
    this.ring.push({ ...s, price: s.price ?? Number.NaN, position: this.positions.codeOf(s.position) });
  }

  get size(): number {
    return this.ring.size;
  }

  /** What the columns take, fixed by the cap. */
  get bytes(): number {
    return this.ring.bytes;
  }

  /** The samples kept, oldest first. */
  *samples(): Generator<MetricsSample> {
    const r = this.ring;
    for (let i = 0; i < r.size; i++) {
      const price = r.get(i, 'price');
      yield {
        ts: r.get(i, 'ts'),
        price: Number.isNaN(price) ? null : price,
        equity: r.get(i, 'equity'),
        unrealized: r.get(i, 'unrealized'),
        position: this.positions.stringOf(r.get(i, 'position')),
        ticks: r.get(i, 'ticks'),
        queueDepth: r.get(i, 'queueDepth'),
        loopLagP99Ms: r.get(i, 'loopLagP99Ms'),
        rssMb: r.get(i, 'rssMb'),
        errors: r.get(i, 'errors'),
      };
    }
  }

  csv(): string {
    return metricsCsv(this.samples());
  }
}
