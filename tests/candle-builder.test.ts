// The candle builder turns kline pushes into closed candles on market time: the forming candle is never
// reported as closed, a later bucket or the grace period closes it, missing minutes are reported exactly and
// can be backfilled in order, and late pushes for closed buckets change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CandleBuilder, aggregate, type KlinePush } from '../src/shared/candle-builder.js';
import { createRng } from '../src/shared/rng.js';
import type { Candle } from '../src/shared/types.js';

const M = 60_000;
const T0 = 1_733_007_600_000; // 2024-11-30T23:00:00Z, a minute boundary

function push(ts: number, close: number, volume = 1): KlinePush {
  return { ts, open: 100, high: Math.max(100, close) + 1, low: Math.min(100, close) - 1, close, volume };
}
function candle(ts: number, close: number, volume = 1): Candle {
  return { ts, open: 100, high: Math.max(100, close) + 1, low: Math.min(100, close) - 1, close, volume };
}

test('a push is bucketed by floor(ts / interval) and replaces the forming candle; nothing closes within a bucket', () => {
  const b = new CandleBuilder(M);
  assert.deepEqual(b.onKline(push(T0 + 12_345, 101, 2)), { closed: [], gap: null });
  assert.deepEqual(b.forming, { ts: T0, open: 100, high: 102, low: 99, close: 101, volume: 2 });
  // Bitunix sends the whole in-progress candle: the later push replaces it (volume is not added).
  assert.deepEqual(b.onKline(push(T0 + 59_999, 103, 5)), { closed: [], gap: null });
  assert.deepEqual(b.forming, { ts: T0, open: 100, high: 104, low: 99, close: 103, volume: 5 });
  assert.equal(b.lastClosed, null);
  assert.deepEqual(b.history(), []);
});

test('a push of the next bucket closes the forming candle with its last OHLCV', () => {
  const b = new CandleBuilder(M);
  b.onKline(push(T0 + 1_000, 101));
  b.onKline(push(T0 + 30_000, 102, 3));
  const r = b.onKline(push(T0 + M, 99)); // exactly the next open time
  assert.deepEqual(r, { closed: [candle(T0, 102, 3)], gap: null });
  assert.deepEqual(b.lastClosed, candle(T0, 102, 3));
  assert.equal(b.forming?.ts, T0 + M);
});

test('grace close on market time: not before bucket end + grace, then exactly once', () => {
  const b = new CandleBuilder(M, 2_000);
  b.onKline(push(T0 + 5_000, 101));
  assert.deepEqual(b.onTime(T0 + M + 1_999), { closed: [], gap: null });
  assert.deepEqual(b.onTime(T0 + M + 2_000), { closed: [candle(T0, 101)], gap: null });
  assert.equal(b.forming, null);
  assert.deepEqual(b.onTime(T0 + M + 60_000), { closed: [], gap: null });
  // A late push for the grace-closed bucket is stale and does not reopen it.
  assert.deepEqual(b.onKline(push(T0 + 59_000, 150)), { closed: [], gap: null });
  assert.equal(b.stale, 1);
  assert.deepEqual(b.history(), [candle(T0, 101)]);
  // The next bucket follows without a gap.
  b.onKline(push(T0 + M + 3_000, 102));
  assert.deepEqual(b.onKline(push(T0 + 2 * M, 103)), { closed: [candle(T0 + M, 102)], gap: null });
});

test('seeded history: the first push after a missed stretch reports the exact missing open times', () => {
  const b = new CandleBuilder(M);
  b.seed([candle(T0, 100), candle(T0 + M, 101), candle(T0 + 2 * M, 102)]);
  assert.equal(b.lastClosed?.ts, T0 + 2 * M);
  // Minutes 3, 4 and 5 are missing; the push belongs to minute 6.
  const r = b.onKline(push(T0 + 6 * M + 10_000, 106));
  assert.deepEqual(r, { closed: [], gap: { fromTs: T0 + 3 * M, toTs: T0 + 5 * M } });
});

test('a jump of several buckets closes the forming candle and reports the minutes in between', () => {
  const b = new CandleBuilder(M);
  b.onKline(push(T0 + 1_000, 101));
  const r = b.onKline(push(T0 + 3 * M + 1, 104)); // minutes 1 and 2 never pushed
  assert.deepEqual(r, { closed: [candle(T0, 101)], gap: { fromTs: T0 + M, toTs: T0 + 2 * M } });
});

test('backfill inserts the missing candles in order, before the forming one, and rejects the rest', () => {
  const b = new CandleBuilder(M);
  b.seed([candle(T0, 100)]);
  b.onKline(push(T0 + 4 * M + 1, 104)); // gap: minutes 1..3
  const accepted = b.fill([
    candle(T0 + 3 * M, 103),
    candle(T0, 999), // already closed
    candle(T0 + M, 101),
    candle(T0 + 2 * M, 102),
    candle(T0 + 4 * M, 555), // the forming (in-progress) bucket: never accepted as closed
  ]);
  assert.deepEqual(accepted, [candle(T0 + M, 101), candle(T0 + 2 * M, 102), candle(T0 + 3 * M, 103)]);
  assert.deepEqual(
    b.history().map((c) => c.close),
    [100, 101, 102, 103],
  );
  // The forming candle then closes directly after the backfilled ones.
  assert.deepEqual(b.onKline(push(T0 + 5 * M, 105)), { closed: [candle(T0 + 4 * M, 104)], gap: null });
  assert.deepEqual(b.fill([candle(T0 + 2 * M, 1)]), []);
});

test('pushes older than the forming bucket or for closed buckets are ignored and counted', () => {
  const b = new CandleBuilder(M);
  b.seed([candle(T0, 100)]);
  b.onKline(push(T0 + M + 1, 101));
  b.onKline(push(T0 + 2 * M + 1, 102));
  assert.deepEqual(b.onKline(push(T0 + M + 59_000, 1)), { closed: [], gap: null }); // closed bucket
  assert.deepEqual(b.onKline(push(T0 + 30_000, 1)), { closed: [], gap: null }); // seeded bucket
  assert.equal(b.stale, 2);
  assert.deepEqual(
    b.history().map((c) => c.close),
    [100, 101],
  );
  assert.equal(b.forming?.close, 102);
});

test('timestamps are compared as numbers: 9_999_960_000 comes before 10_000_020_000 (string order would not)', () => {
  const b = new CandleBuilder(M);
  b.seed([candle(10_000_020_000, 2), candle(9_999_960_000, 1)]);
  assert.deepEqual(
    b.history().map((c) => c.ts),
    [9_999_960_000, 10_000_020_000],
  );
  assert.deepEqual(b.onKline(push(10_000_080_000, 3)), { closed: [], gap: null });
  assert.deepEqual(b.onKline(push(10_000_050_000, 3)), { closed: [], gap: null }); // older bucket
  assert.equal(b.stale, 1);
});

test('history(n) returns the newest n closed candles, oldest first, bounded by capacity', () => {
  const b = new CandleBuilder(M, 2_000, 5);
  b.seed(Array.from({ length: 12 }, (_, i) => candle(T0 + i * M, 100 + i)));
  assert.deepEqual(
    b.history().map((c) => c.close),
    [107, 108, 109, 110, 111],
  );
  assert.deepEqual(
    b.history(2).map((c) => c.close),
    [110, 111],
  );
  assert.deepEqual(b.history(50).length, 5);
});

test('a 3000-minute replay with intra-bar pushes, dropped minutes and late frames rebuilds the series exactly', () => {
  const rng = createRng(42);
  const N = 3000;
  // The true series.
  const truth: Candle[] = [];
  let price = 96_000;
  for (let i = 0; i < N; i++) {
    const open = price;
    const close = open + rng.normal() * 30;
    truth.push({
      ts: T0 + i * M,
      open,
      high: Math.max(open, close) + rng.uniform(0, 20),
      low: Math.min(open, close) - rng.uniform(0, 20),
      close,
      volume: rng.uniform(1, 20),
    });
    price = close;
  }
  const dropped = new Set<number>(); // minutes whose pushes were all lost
  const b = new CandleBuilder(M);
  const closed: Candle[] = [];
  const gaps: Array<{ fromTs: number; toTs: number }> = [];
  let lateFrames = 0;
  for (let i = 0; i < N; i++) {
    if (i > 0 && i < N - 1 && rng.next() < 0.01) {
      dropped.add(truth[i].ts);
      continue;
    }
    const c = truth[i];
    const pushes = rng.int(1, 4);
    for (let k = 1; k <= pushes; k++) {
      // Partial candles first; the last push of the minute carries the final OHLCV.
      const f = k / pushes;
      const close = k === pushes ? c.close : c.open + (c.close - c.open) * f;
      const r = b.onKline({
        ts: c.ts + Math.floor((M - 1) * f),
        open: c.open,
        high: k === pushes ? c.high : Math.max(c.open, close),
        low: k === pushes ? c.low : Math.min(c.open, close),
        close,
        volume: c.volume * f,
      });
      closed.push(...r.closed);
      if (r.gap) {
        gaps.push(r.gap);
        // Backfill from "REST" right away, as the session does.
        closed.push(...b.fill(truth.filter((t) => t.ts >= r.gap!.fromTs && t.ts <= r.gap!.toTs)));
      }
    }
    if (i > 0 && rng.next() < 0.02) {
      lateFrames++;
      b.onKline({ ...truth[i - 1], ts: truth[i - 1].ts + 59_000 }); // a late frame for the previous minute
    }
  }
  closed.push(...b.onTime(truth[N - 1].ts + M + 2_000).closed);

  assert.ok(dropped.size > 10, `dropped ${dropped.size} minutes`);
  // Every dropped minute was reported exactly once, and nothing else was.
  const reported: number[] = [];
  for (const g of gaps) for (let ts = g.fromTs; ts <= g.toTs; ts += M) reported.push(ts);
  assert.deepEqual(
    reported,
    [...dropped].sort((a, b2) => a - b2),
  );
  // Late frames for already closed minutes were ignored and counted.
  assert.equal(b.stale, lateFrames);
  // The closed stream is the true series, in order, each minute once, with the final OHLCV.
  assert.equal(closed.length, N);
  assert.deepEqual(closed, truth);
  assert.deepEqual(b.history(), truth.slice(-500));
});

test('aggregate: 1m → 3m keeps complete buckets only', () => {
  const ones: Candle[] = [
    { ts: T0 - M, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1 }, // bucket T0-3M: incomplete (1 of 3)
    { ts: T0, open: 10, high: 12, low: 9, close: 11, volume: 1 },
    { ts: T0 + M, open: 11, high: 15, low: 10, close: 14, volume: 2 },
    { ts: T0 + 2 * M, open: 14, high: 14.5, low: 8, close: 9, volume: 3 },
    { ts: T0 + 3 * M, open: 9, high: 10, low: 8.5, close: 9.5, volume: 4 }, // bucket T0+3M: 2 of 3
    { ts: T0 + 5 * M, open: 9.5, high: 11, low: 9, close: 10, volume: 5 },
  ];
  // T0 = 1_733_007_600_000 is a multiple of 3 minutes (180 000 ms).
  assert.equal(T0 % (3 * M), 0);
  assert.deepEqual(aggregate(ones, 3 * M), [{ ts: T0, open: 10, high: 15, low: 8, close: 9, volume: 6 }]);
});
