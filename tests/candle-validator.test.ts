// Candles fetched from REST are checked before they may seed history or close a position: which are
// accepted and which are rejected, by reason.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateCandles } from '../src/shared/candle-validator.js';
import { priceBoundFor } from '../src/shared/price-bound.js';
import type { Candle } from '../src/shared/types.js';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 12, 0);
const bound = priceBoundFor('BTCUSDT');

/** n one-minute candles from T0, each 0.1 % above the last (a steady trend). */
function series(n: number, from = 100_000): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const open = from * 1.001 ** i;
    const close = open * 1.001;
    return { ts: T0 + i * M, open, high: close + 5, low: open - 5, close, volume: 3 };
  });
}

test('sound candles are all accepted, in time order', () => {
  const candles = series(20);
  const r = validateCandles([...candles].reverse(), { intervalMs: M, bound, reference: { price: candles.at(-1)!.close, ts: T0 + 20 * M } });
  assert.deepEqual(r.accepted, candles);
  assert.deepEqual(r.rejected, {});
});

test('a history that trends far over its length is kept: each candle is judged against its neighbour', () => {
  const candles = series(200); // +22 % over 200 minutes
  const r = validateCandles(candles, { intervalMs: M, bound, reference: { price: candles.at(-1)!.close, ts: T0 + 200 * M } });
  assert.equal(r.accepted.length, 200);
});

test('corrupt candles are rejected by reason; the rest are kept', () => {
  const candles = series(10);
  const bad: Candle[] = [
    { ...candles[3]!, low: 1 }, // a low of 1
    { ...candles[5]!, high: candles[5]!.high * 3 }, // a high of 3x
    { ...candles[6]!, close: candles[6]!.high + 100 }, // close above the high
    { ...candles[7]!, ts: candles[7]!.ts + 17 }, // off the minute grid
    { ...candles[8]!, volume: Number.NaN },
  ];
  const input = candles.map((c) => bad.find((b) => Math.floor(b.ts / M) === Math.floor(c.ts / M)) ?? c);
  input.push({ ...candles[9]! }); // twice
  const r = validateCandles(input, { intervalMs: M, bound, reference: { price: candles.at(-1)!.close, ts: T0 + 10 * M } });
  assert.deepEqual(r.rejected, { implausible_price: 2, inconsistent_ohlc: 1, off_grid: 1, bad_number: 1, duplicate: 1 });
  assert.deepEqual(
    r.accepted.map((c) => (c.ts - T0) / M),
    [0, 1, 2, 4, 9],
  );
});

test('prices far from the trusted one are rejected even when the candles agree with each other', () => {
  const r = validateCandles(series(5, 300_000), { intervalMs: M, bound, reference: { price: 100_000, ts: T0 + 5 * M } });
  assert.equal(r.accepted.length, 0);
  assert.deepEqual(r.rejected, { implausible_price: 5 });
});

test('candles after the trusted price (a blind span) are chained forwards from it', () => {
  const candles = series(5);
  const r = validateCandles([...candles, { ...candles[4]!, ts: T0 + 5 * M, low: 1 }], { intervalMs: M, bound, reference: { price: 100_000, ts: T0 } });
  assert.equal(r.accepted.length, 5);
  assert.deepEqual(r.rejected, { implausible_price: 1 });
});

test('with no trusted price yet, the median close stands in: one corrupt candle cannot pass', () => {
  const candles = series(7);
  candles[6] = { ...candles[6]!, low: 1 };
  const r = validateCandles(candles, { intervalMs: M, bound, reference: null });
  assert.equal(r.accepted.length, 6);
  assert.deepEqual(r.rejected, { implausible_price: 1 });
});

test('an open slightly outside [low, high] (real exchange data: the previous close) is accepted', () => {
  const c: Candle = { ts: T0, open: 76_389, high: 76_383.1, low: 76_269.8, close: 76_300, volume: 5 };
  const r = validateCandles([c], { intervalMs: M, bound, reference: { price: 76_300, ts: T0 + M } });
  assert.equal(r.accepted.length, 1);
  const far = validateCandles([{ ...c, open: 90_000 }], { intervalMs: M, bound, reference: { price: 76_300, ts: T0 + M } });
  assert.deepEqual(far.rejected, { inconsistent_ohlc: 1 });
});
