// A half-open partition made by the kernel (network namespaces, a veth pair, `ip route add blackhole` on
// the exchange side for 45 s: no FIN, no RST) while the price crosses the stop and comes back: once the
// route is removed the engine reconnects and the stop is honoured from the candles, with 0 session errors.
// Needs root and `ip netns`; skipped, saying why, anywhere else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertRecoveredStop, stopEngine, waitForExit } from './helpers/blind-span.js';
import { netnsUnavailable } from './helpers/netns.js';
import { withPartition } from './helpers/partition.js';

const unavailable = netnsUnavailable();

test('a 45 s blackhole partition while the stop is crossed: the stop is honoured after the route is removed', {
  skip: unavailable ?? false,
  timeout: 200_000,
}, async () => {
  await withPartition({ blackholeMs: 45_000, excursionMs: 15_000, seed: 34 }, async ({ engine, stateDir, fill, crossedAt }) => {
    await waitForExit(stateDir, fill.orderId, 45_000, 'an Exit of the position after the route was removed (the stop was crossed during the partition)');
    assertRecoveredStop(stateDir, fill, crossedAt, ['disconnect', 'stale']);
    const report = await stopEngine(engine, stateDir);
    assert.equal(report.errors, 0, 'a partition is a warning, not a session error');
  });
});
