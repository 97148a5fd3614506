// The since-start buckets /metrics exports: a heartbeat window of tick-path latencies (HDR, µs) and a
// window of node's event-loop delay (percentiles, ns) fold into Prometheus buckets in seconds, with
// exact counts, and windows add up across heartbeats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CumulativeBuckets } from '../src/shared/cumulative-buckets.js';
import { foldLoopDelay, LatencyHistogram } from '../src/main/latency-histogram.js';

const le = (b: CumulativeBuckets, bound: number): number => b.cumulative().find((x) => x.le === bound)!.count;

test('each rolled window of a LatencyHistogram joins its since-start buckets', () => {
  const h = new LatencyHistogram();
  for (let i = 0; i < 900; i++) h.recordMs(0.02); // 20 µs
  for (let i = 0; i < 90; i++) h.recordMs(0.3); // 300 µs
  for (let i = 0; i < 10; i++) h.recordMs(4); // 4 ms
  h.roll();
  assert.equal(h.last.count, 1000);
  assert.deepEqual(
    [le(h.total, 0.00001), le(h.total, 0.000025), le(h.total, 0.00025), le(h.total, 0.0005), le(h.total, 0.005), le(h.total, Infinity)],
    [0, 900, 900, 990, 1000, 1000],
  );
  assert.ok(Math.abs(h.total.sum / (900 * 0.00002 + 90 * 0.0003 + 10 * 0.004) - 1) < 1e-3, `sum ${h.total.sum} (HDR keeps 3 significant digits)`);
  h.recordMs(70_000); // beyond every bound: only +Inf
  h.roll();
  assert.equal(h.last.count, 1, 'the window was reset');
  assert.deepEqual([le(h.total, 60), le(h.total, Infinity), h.total.count], [1000, 1001, 1001]);
});

test("node's event-loop delay window folds by its percentile steps, less the sampling interval", () => {
  const b = new CumulativeBuckets();
  // 200 samples at a 10 ms resolution: half at 10.1 ms (0.1 ms lag), up to 99 % at 12 ms, the last at 40 ms
  foldLoopDelay(
    {
      count: 200,
      percentiles: new Map([
        [0, 10.1e6],
        [50, 10.1e6],
        [99, 12e6],
        [100, 40e6],
      ]),
    },
    10,
    b,
  );
  assert.equal(b.count, 200);
  assert.deepEqual([le(b, 0.00005), le(b, 0.0001), le(b, 0.0025), le(b, 0.025), le(b, 0.05)], [0, 100, 198, 198, 200]);
  foldLoopDelay({ count: 0, percentiles: new Map() }, 10, b);
  assert.equal(b.count, 200, 'an empty window adds nothing');
});

test('bounds must increase', () => {
  assert.throws(() => new CumulativeBuckets([0.1, 0.1]), /must increase/);
});
