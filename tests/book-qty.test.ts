// The replay's book sizes are on every book push: the fast reduction must give exactly the plain formula's
// value, or replays would stop matching the journals and frames recorded before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bookQty } from '../src/shared/book-qty.js';

const plain = (ts: number, side: number): number => Math.round((0.5 + 2.5 * Math.abs(Math.sin(ts / 7919 + side * 1.7))) * 1e4) / 1e4;

test('the book size is exactly the plain formula`s, through a month of ticks and at any market time', () => {
  const t0 = Date.UTC(2024, 11, 1);
  let n = 0;
  for (let ts = t0; ts < t0 + 31 * 86_400_000; ts += 1999) {
    for (const side of [0, 1]) {
      assert.equal(bookQty(ts, side), plain(ts, side), `bookQty(${ts}, ${side})`);
      n++;
    }
  }
  let s = 1;
  const far = [0, -1, 1.5, 7919 * 1e9, 2 ** 53, -(2 ** 52), Number.MAX_VALUE, NaN, Infinity];
  for (let i = 0; i < 200_000; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    far.push((s / 2 ** 32 - 0.1) * 10 ** (1 + (i % 14)));
  }
  for (const ts of far) for (const side of [0, 1]) assert.equal(bookQty(ts, side), plain(ts, side), `bookQty(${ts}, ${side})`);
  assert.ok(n > 2_500_000);
});
