// The execution queue: bounded (queued + in flight), latency waits overlap in one worker thread, and the
// fill is priced from the ring's latest tick at the END of the latency (no look-ahead, no stale quote).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WorkerPoolExecutor } from '../src/main/trading/worker-pool-executor.js';
import { TickRing } from '../src/shared/tick-ring.js';
import type { FillQuote, Order } from '../src/shared/types.js';

const order = (id: string, refPrice = 100_000, latencyMs = 300): Order => ({
  id,
  side: 'LONG',
  qty: 0.1,
  refPrice,
  sl: 99_000,
  tp: 101_000,
  createdAt: 1,
  latencyMs,
});

test('capacity counts in-flight orders; overflow is refused at once; quotes use the tick at the end of the latency', async () => {
  const ring = TickRing.allocate(64);
  ring.write(1000, 100_000, 100_000.5, 100_000.2, 1);
  const quotes: FillQuote[] = [];
  let settle!: () => void;
  const allDone = new Promise<void>((r) => (settle = r));
  const q = new WorkerPoolExecutor({
    capacity: 3,
    ring,
    onFailure: (o, err) => assert.fail(`${o.id}: ${err.message}`),
  });
  q.deliverTo((_o, quote) => {
    quotes.push(quote);
    if (quotes.length === 3) settle();
  });
  const accepted = ['a', 'b', 'c', 'd', 'e'].map((id) => q.submit(order(id)));
  assert.deepEqual(accepted, [true, true, true, false, false]);
  assert.equal(q.depth, 3);
  // the market moves while the orders wait: every quote must see the newer tick
  await new Promise((r) => setTimeout(r, 100));
  ring.write(2000, 100_100, 100_100.5, 100_100.2, 2);
  await allDone;
  assert.equal(q.depth, 0);
  assert.deepEqual(new Set(quotes.map((x) => x.orderId)), new Set(['a', 'b', 'c']));
  for (const x of quotes) {
    assert.equal(x.ts, 2000);
    assert.equal(x.ask, 100_100.5);
    assert.equal(x.synthetic, false);
    assert.equal(x.latencyMs, 300);
  }
  assert.equal(q.submit(order('f')), true, 'capacity frees up once quotes are back');
  await q.close(2000);
});

test('no tick yet: a synthetic 1 bp spread around the reference price', async () => {
  const ring = TickRing.allocate(16);
  const got = new Promise<FillQuote>((resolve, reject) => {
    const q = new WorkerPoolExecutor({
      capacity: 2,
      ring,
      onFailure: (_o, err) => reject(err),
    });
    q.deliverTo((_o, quote) => {
      resolve(quote);
      void q.close(100);
    });
    q.submit(order('s', 50_000, 0));
  });
  const quote = await got;
  assert.equal(quote.synthetic, true);
  assert.equal(quote.ask, 50_000 * 1.0001);
  assert.equal(quote.bid, 50_000 * 0.9999);
});

test('shutdown stops intake and cancels what is still waiting after the budget', async () => {
  const ring = TickRing.allocate(16);
  ring.write(1, 10, 11, 10.5, 1);
  let quoted = 0;
  const q = new WorkerPoolExecutor({
    capacity: 5,
    ring,
    onFailure: () => {},
  });
  q.deliverTo(() => quoted++);
  q.submit(order('x', 100_000, 5000));
  q.submit(order('y', 100_000, 5000));
  const cancelled = await q.close(200);
  assert.deepEqual(cancelled.map((o) => o.id).sort(), ['x', 'y']);
  assert.equal(quoted, 0, 'a cancelled order is never applied');
  assert.equal(q.submit(order('z')), false, 'no intake after close');
});
