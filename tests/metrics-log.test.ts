// metrics.csv's samples live in typed-array columns: a long session keeps only the newest samples up to the cap,
// in a fixed number of bytes, and the file says exactly what the same samples said as plain objects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_METRIC_SAMPLES, MetricsLog } from '../src/main/engine/metrics-log.js';
import { metricsCsv, type MetricsSample } from '../src/main/reports.js';

const sampleArb: fc.Arbitrary<MetricsSample> = fc.record({
  ts: fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
  price: fc.option(fc.double({ min: 0.0001, max: 1e6, noNaN: true }), { nil: null }),
  equity: fc.double({ min: -1e7, max: 1e7, noNaN: true }),
  unrealized: fc.double({ min: -1e6, max: 1e6, noNaN: true }),
  position: fc.constantFrom('FLAT', 'LONG', 'SHORT'),
  ticks: fc.integer({ min: 0, max: 2 ** 53 - 1 }),
  queueDepth: fc.integer({ min: 0, max: 10_000 }),
  loopLagP99Ms: fc.integer({ min: 0, max: 60_000_000 }).map((x) => x / 1000),
  rssMb: fc.integer({ min: 0, max: 200_000 }).map((x) => x / 10),
  errors: fc.integer({ min: 0, max: 1_000_000 }),
});

test('metrics.csv from the columns is byte for byte the csv of the same samples as objects', () => {
  fc.assert(
    fc.property(fc.array(sampleArb, { maxLength: 60 }), (samples) => {
      const log = new MetricsLog();
      for (const s of samples) log.push(s);
      assert.equal(log.csv(), metricsCsv(samples));
      assert.deepEqual(
        [...log.samples()].map((s) => ({ ...s, rssMb: Math.round(s.rssMb * 10) / 10 })),
        samples.map((s) => ({ ...s })),
      );
    }),
    { numRuns: 300 },
  );
});

test('a full log keeps exactly the newest samples, oldest first', () => {
  const log = new MetricsLog(5);
  const at = (i: number): MetricsSample => ({
    ts: i * 1000,
    price: 100 + i,
    equity: 1e4,
    unrealized: 0,
    position: i % 2 ? 'LONG' : 'FLAT',
    ticks: i,
    queueDepth: 0,
    loopLagP99Ms: 0.5,
    rssMb: 100.1,
    errors: 0,
  });
  for (let i = 0; i < 12; i++) log.push(at(i));
  assert.equal(log.size, 5);
  assert.deepEqual(
    [...log.samples()].map((s) => s.ts),
    [7, 8, 9, 10, 11].map((i) => i * 1000),
  );
  assert.equal(log.csv(), metricsCsv([7, 8, 9, 10, 11].map(at)));
});

test('two days of 1 Hz samples and more stay at the cap, in under 11 MB whatever the session length', () => {
  const log = new MetricsLog();
  const s: MetricsSample = {
    ts: 0,
    price: 50_000.5,
    equity: 10_000,
    unrealized: -1.25,
    position: 'SHORT',
    ticks: 0,
    queueDepth: 1,
    loopLagP99Ms: 1.234,
    rssMb: 110.3,
    errors: 0,
  };
  const bytes = log.bytes;
  assert.ok(bytes < 11 * 1024 * 1024, `${bytes} bytes`);
  for (let i = 0; i < MAX_METRIC_SAMPLES + 10_000; i++) log.push({ ...s, ts: i * 1000, ticks: i });
  assert.equal(log.size, MAX_METRIC_SAMPLES);
  assert.equal(log.bytes, bytes);
  const first = log.samples().next().value;
  assert.equal(first?.ts, 10_000 * 1000);
});
