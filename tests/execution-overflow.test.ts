// The bounded execution queue under a burst (issue 4): 60 orders at once → exactly 50 are executed or
// rejected with a reason, 10 are dropped with OrderDropped {reason: "queue_full"}; nothing is half-applied.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerPoolExecutor } from '../src/main/trading/worker-pool-executor.js';
import { TradingCore } from '../src/main/trading/trading-core.js';
import { decodeFrame, encodeBook, encodeKline } from '../src/shared/bitunix/index.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import type { EngineEvent } from '../src/shared/events.js';
import { createRng } from '../src/shared/rng.js';
import { TickRing } from '../src/shared/tick-ring.js';
import { sinkWith } from './helpers/core-sink.js';

test('60 orders at once: 50 executed or rejected with a reason, 10 OrderDropped', async () => {
  const t0 = Date.UTC(2026, 0, 5, 12, 0);
  const events: Array<EngineEvent & Record<string, unknown>> = [];
  const ring = TickRing.allocate(64);
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0 }, createRng(1), freshBrokerState(10_000, t0));
  let settled = 0;
  const sink = sinkWith({ record: (e) => void events.push(e as EngineEvent & Record<string, unknown>), error: (m) => assert.fail(m) });
  const exec = new WorkerPoolExecutor({
    capacity: 50,
    ring,
    onFailure: (o, err) => assert.fail(`${o.id}: ${err.message}`),
  });
  const core = new TradingCore(
    { symbol: 'BTCUSDT', kind: 'linear', intervalMs: 60_000, riskPct: 1, stopBps: 30, tpR: 1.5, latency: { min: 200, max: 400, rng: createRng(3) } },
    broker,
    new CandleBuilder(60_000),
    ring,
    { name: 'always', onCandle: () => ({ side: 'LONG' }) },
    sink,
    exec,
  );
  exec.deliverTo((o, q) => {
    settled++;
    core.onQuote(o, q);
  });
  core.onFrame(decodeFrame(encodeBook('BTCUSDT', t0, 100_000, 100_000.1, 1, 1)), t0);
  // 61 kline buckets in a burst close 60 candles: the strategy signals on each one, long before any fill
  for (let i = 0; i <= 60; i++) {
    const ts = t0 + i * 60_000 + 1;
    core.onFrame(decodeFrame(encodeKline('BTCUSDT', 'market_kline_1min', ts, { open: 100_000, high: 100_010, low: 99_990, close: 100_000, volume: 50 })), ts);
  }
  const queued = events.filter((e) => e.event === 'OrderQueued');
  const dropped = events.filter((e) => e.event === 'OrderDropped');
  assert.equal(queued.length, 50);
  assert.equal(dropped.length, 10);
  for (const d of dropped) assert.equal(d.reason, 'queue_full');
  while (settled < 50) await new Promise((r) => setTimeout(r, 20));
  await exec.close(100);
  // The ring's only tick is older than every order: each waits for a book at least as new as its
  // time plus its latency (no fill from an older quote), which this one is.
  core.onFrame(decodeFrame(encodeBook('BTCUSDT', t0 + 62 * 60_000, 100_000, 100_000.1, 1, 1)), t0 + 62 * 60_000);
  const fills = events.filter((e) => e.event === 'Fill');
  const rejected = events.filter((e) => e.event === 'OrderRejected');
  assert.equal(fills.length + rejected.length, 50, 'each queued order ends as a fill or a rejection');
  assert.equal(fills.length, 1, 'one position at most');
  for (const r of rejected) assert.ok(typeof r.reason === 'string' && r.reason.length > 0);
  const droppedIds = new Set(dropped.map((d) => d.orderId));
  assert.ok(
    !fills.some((f) => droppedIds.has(f.orderId as string)) && !rejected.some((r) => droppedIds.has(r.orderId as string)),
    'a dropped order is gone, never applied',
  );
});
