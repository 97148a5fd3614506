// The 1-minute candles of a gap, fetched once: a request is answered from an earlier fetch only when that fetch
// holds its whole window and was asked no earlier than the market time the request must see (the forming
// minute's range must cover a span's end); a failed fetch answers nobody later; refused candles count once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MinuteCandles } from '../src/main/minute-candles.js';
import type { Candle } from '../src/shared/types.js';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10, 0);
const candle = (ts: number, low = 100): Candle => ({ ts, open: 101, high: 102, low, close: 101, volume: 1 });

function harness() {
  let now = T0 + 4 * M + 500;
  let fail = 0;
  const asked: Array<[number, number]> = [];
  const refused: number[] = [];
  const minutes = new MinuteCandles({
    rest: {
      minutesThrough: async (fromTs, toTs) => {
        asked.push([fromTs, toTs]);
        if (fail-- > 0) throw new Error('HTTP 503');
        const out: Candle[] = [];
        for (let ts = fromTs; ts <= toTs; ts += M) out.push(candle(ts, ts === T0 + 2 * M ? 1 : 100));
        return out;
      },
    },
    screen: (cs) => {
      for (const c of cs) if (c.low < 50) refused.push(c.ts);
      return cs.filter((c) => c.low >= 50);
    },
    marketNow: () => now,
  });
  return { minutes, asked, refused, setNow: (t: number) => void (now = t), failNext: (n: number) => void (fail = n) };
}

test("the backfill's and the span's requests for one gap are one fetch, through the market's minute, screened once", async () => {
  const h = harness();
  // the gap's missing minutes (closed by T0 + 4 min), then the span over them and the minute it ended in
  const [backfill, span] = await Promise.all([h.minutes.through(T0 + M, T0 + 3 * M, T0 + 4 * M), h.minutes.through(T0 + M, T0 + 4 * M)]);
  assert.deepEqual(h.asked, [[T0 + M, T0 + 4 * M]]);
  assert.deepEqual(
    backfill.map((c) => c.ts),
    [T0 + M, T0 + 3 * M],
  );
  assert.deepEqual(
    span.map((c) => c.ts),
    [T0 + M, T0 + 3 * M, T0 + 4 * M],
  );
  assert.deepEqual(h.refused, [T0 + 2 * M], 'the corrupt minute is refused once');
});

test('a span that ended inside the fetched minute before it was asked is served from it', async () => {
  const h = harness();
  await h.minutes.through(T0 + M, T0 + 3 * M, T0 + 4 * M);
  const span = await h.minutes.through(T0 + 2 * M, T0 + 4 * M + 200);
  assert.deepEqual(h.asked, [[T0 + M, T0 + 4 * M]]);
  assert.deepEqual(
    span.map((c) => c.ts),
    [T0 + 3 * M, T0 + 4 * M],
  );
});

test('a span that ended after the fetch was asked, or reaches outside it, is fetched again', async () => {
  const h = harness();
  await h.minutes.through(T0 + M, T0 + 4 * M);
  h.setNow(T0 + 4 * M + 40_000);
  await h.minutes.through(T0 + M, T0 + 4 * M + 30_000); // the forming minute fetched before the span ended
  await h.minutes.through(T0, T0 + 4 * M); // a minute before the first fetch
  assert.deepEqual(h.asked, [
    [T0 + M, T0 + 4 * M],
    [T0 + M, T0 + 4 * M + 30_000],
    [T0, T0 + 4 * M],
  ]);
});

test('a failed fetch fails every request sharing it, and the next request asks REST again', async () => {
  const h = harness();
  h.failNext(1);
  const both = await Promise.allSettled([h.minutes.through(T0 + M, T0 + 3 * M, T0 + 4 * M), h.minutes.through(T0 + M, T0 + 4 * M)]);
  assert.deepEqual(
    both.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  const retried = await h.minutes.through(T0 + M, T0 + 4 * M);
  assert.equal(retried.length, 3);
  assert.equal(h.asked.length, 2);
});
