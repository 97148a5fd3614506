// Span recovery: the candles of every pending span are fetched at once; a failed fetch is retried with a
// doubling backoff (entries stay blocked: the spans stay pending) until it succeeds; a span that arrives during a
// fetch is fetched next; stop() ends the retries.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { SpanRecovery } from '../src/main/span-recovery.js';
import type { BlindSpan } from '../src/shared/blind-spans.js';
import type { Candle } from '../src/shared/types.js';
import type { Logger } from '../src/main/logger.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0);
const quiet = { warn: () => {}, info: () => {}, error: () => {} } as unknown as Logger;
const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function harness(failures: number) {
  let pending: BlindSpan[] = [];
  const fetches: Array<[number, number]> = [];
  const judged: BlindSpan[][] = [];
  let fail = failures;
  const r = new SpanRecovery({
    pending: () => pending,
    fetch: async (from, to) => {
      fetches.push([from, to]);
      if (fail-- > 0) throw new Error('HTTP 503');
      return [] as Candle[];
    },
    recover: (spans) => {
      judged.push([...spans]);
      pending = pending.filter((p) => !spans.includes(p));
    },
    settled: () => {},
    error: (m) => assert.fail(m),
    log: quiet,
  });
  return { r, fetches, judged, add: (s: BlindSpan) => void pending.push(s), pending: () => pending };
}

test('a failed fetch is retried after 1 s, 2 s, 4 s; the span stays pending (entries blocked) until one succeeds', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const h = harness(3);
    h.add({ fromTs: T0 + 10_000, toTs: T0 + 30_000, causes: ['disconnect'] });
    h.r.kick();
    await flush();
    assert.equal(h.fetches.length, 1);
    assert.equal(h.r.failuresInARow, 1);
    for (const [waitMs, expected] of [
      [999, 1],
      [1, 2],
      [1999, 2],
      [1, 3],
      [4000, 4],
    ] as const) {
      mock.timers.tick(waitMs);
      await flush();
      assert.equal(h.fetches.length, expected, `after +${waitMs} ms`);
    }
    assert.equal(h.judged.length, 1, 'judged once the fetch succeeded');
    assert.equal(h.pending().length, 0);
    assert.deepEqual(h.fetches[0], [T0, T0 + 30_000], "from the start of the span's first minute to its end");
  } finally {
    mock.timers.reset();
  }
});

test('spans pending together are fetched in one request; stop() ends the retries', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const h = harness(1);
    h.add({ fromTs: T0 + 10_000, toTs: T0 + 30_000, causes: ['disconnect'] });
    h.add({ fromTs: T0 + 5 * 60_000, toTs: T0 + 6 * 60_000, causes: ['gap'] });
    h.r.kick();
    await flush();
    assert.deepEqual(h.fetches, [[T0, T0 + 6 * 60_000]]);
    h.r.stop();
    mock.timers.tick(60_000);
    await flush();
    assert.equal(h.fetches.length, 1, 'no retry after stop');
    assert.equal(h.judged.length, 0);
  } finally {
    mock.timers.reset();
  }
});
