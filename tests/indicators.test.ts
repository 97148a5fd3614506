// Indicators reproduce the original's formulas exactly (notes/original-system.md §4.3); every expected value
// below is worked out by hand in the comment next to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { atr, detectSweep, ema, trueRange, vwap } from '../src/shared/indicators.js';
import type { Candle } from '../src/shared/types.js';

const c = (high: number, low: number, close: number, volume = 1, open = close): Candle => ({
  ts: 0,
  open,
  high,
  low,
  close,
  volume,
});

test('ema: SMA seed of the first p values, then e = (v − e)·k + e with k = 2/(p+1)', () => {
  // p=3: seed (1+2+3)/3 = 2, k = 0.5 → 4: 3 → 5: 4
  assert.equal(ema([1, 2, 3, 4, 5], 3), 4);
  // p=2: seed 3, k = 2/3 → 6: 3 + 3·2/3 = 5 → 8: 5 + 3·2/3 = 7
  assert.ok(Math.abs(ema([2, 4, 6, 8], 2)! - 7) < 1e-12);
  assert.equal(ema([5, 7], 2), 6); // exactly p values: the SMA
  assert.equal(ema([1, 2], 3), null); // fewer than p values
  assert.equal(ema([1, 2, 3], 0), null);
  assert.equal(ema([0, 0, 0], 3), 0); // a zero EMA is a value, not "missing"
});

test('trueRange: max(h − l, |h − prev close|, |l − prev close|)', () => {
  assert.equal(trueRange(c(12, 9, 10), 8), 4); // gap up: |12 − 8| = 4 > 3
  assert.equal(trueRange(c(12, 9, 10), 14), 5); // gap down: |9 − 14| = 5
  assert.equal(trueRange(c(12, 9, 10), 10), 3);
  assert.equal(trueRange(c(12, 9, 10)), 3); // no previous close
});

test('atr: simple mean of the last p true ranges, needs p + 1 candles', () => {
  const cs = [c(11, 9, 10), c(12, 10, 11), c(16, 14, 15), c(15.5, 12, 13)];
  // TRs: max(2, |12−10|, |10−10|) = 2; max(2, |16−11|, |14−11|) = 5; max(3.5, |15.5−15|, |12−15|) = 3.5
  assert.equal(atr(cs, 3), (2 + 5 + 3.5) / 3);
  assert.equal(atr(cs.slice(0, 3), 3), null);
  // Default p = 14: 15 candles of range 2 around a flat close → 2; an older wild candle is outside the window.
  const flat = Array.from({ length: 15 }, () => c(101, 99, 100));
  assert.equal(atr(flat.slice(1)), null);
  assert.equal(atr(flat), 2);
  assert.equal(atr([c(500, 1, 100), ...flat]), 2);
  // Not Wilder smoothing: one TR of 16 among 13 of 2 moves the mean to (13·2 + 16)/14 = 3.
  assert.equal(atr([...flat.slice(0, 14), c(108, 92, 100)]), 3);
});

test('vwap: Σ(typical·volume)/Σvolume with typical (h+l+c)/3; the close when there is no volume', () => {
  // typicals 10 (vol 1) and 19 (vol 3): (10 + 57)/4 = 16.75
  assert.equal(vwap([c(12, 8, 10, 1), c(21, 18, 18, 3)]), 16.75);
  assert.equal(vwap([c(6, 4, 5, 0)]), 5);
  assert.equal(vwap([]), null);
});

test('detectSweep: the last candle runs the window high/low and closes back inside', () => {
  const window = [c(10, 9, 9.5), c(11, 9.5, 10), c(10.5, 9.2, 10)]; // max high 11, min low 9
  assert.deepEqual(detectSweep([...window, c(11.5, 10, 10.8)], 3), { swept: 'HIGH', level: 11, reclaimed: true });
  assert.equal(detectSweep([...window, c(11.5, 10, 11.2)], 3), null); // broke out, closed above: no sweep
  assert.deepEqual(detectSweep([...window, c(10, 8.8, 9.1)], 3), { swept: 'LOW', level: 9, reclaimed: true });
  assert.equal(detectSweep([...window, c(10, 8.8, 8.9)], 3), null);
  assert.equal(detectSweep([...window, c(10.9, 9.1, 10)], 3), null); // inside the range
  assert.equal(detectSweep(window, 3), null); // needs lookback + 1 candles
  // Only the `lookback` candles before the last count: an older high of 50 is ignored.
  assert.deepEqual(detectSweep([c(50, 1, 10), ...window, c(11.5, 10, 10.8)], 3)?.level, 11);
});
