// Reconnect policy: immediate first retry, then 5 s × 2^n with jitter, never above the 60 s cap; the
// consecutive-failure count resets on data, and only maxFailures consecutive failures are fatal.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReconnectPolicy } from '../src/shared/reconnect-policy.js';
import { createRng } from '../src/shared/rng.js';

const spec = { baseMs: 5000, maxMs: 60_000, maxFailures: 10 };

test('first retry immediate, then doubling from the base with jitter below the nominal delay, capped', () => {
  const p = new ReconnectPolicy(spec, createRng(7));
  const delays = Array.from({ length: 9 }, () => p.onFailure());
  assert.equal(delays[0], 0);
  const nominal = [5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000];
  nominal.forEach((n, i) => {
    const d = delays[i + 1]!;
    assert.ok(d <= n && d >= n * 0.8, `retry ${i + 2}: ${d} not in [${n * 0.8}, ${n}]`);
  });
  assert.equal(p.consecutiveFailures, 9);
  assert.equal(p.exhausted, false);
  p.onFailure();
  assert.equal(p.exhausted, true, 'the 10th consecutive failure is fatal');
});

test('data flowing again resets the count: blips never add up to a fatal error', () => {
  const p = new ReconnectPolicy(spec, createRng(1));
  for (let blip = 0; blip < 100; blip++) {
    assert.equal(p.onFailure(), 0, 'after a reset the first retry is immediate again');
    p.onFailure();
    p.reset();
    assert.equal(p.exhausted, false);
  }
  assert.equal(p.consecutiveFailures, 0);
});

test('jitter comes from the seeded RNG: same seed, same delays; different seeds spread out', () => {
  const run = (seed: number) => {
    const p = new ReconnectPolicy(spec, createRng(seed));
    return Array.from({ length: 6 }, () => p.onFailure());
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
});

test('without immediate-first the first delay is the base', () => {
  const p = new ReconnectPolicy({ ...spec, immediateFirst: false, jitter: 0 }, createRng(1));
  assert.deepEqual([p.onFailure(), p.onFailure(), p.onFailure()], [5000, 10_000, 20_000]);
});
