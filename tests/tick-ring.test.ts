// The tick ring hands execution workers the latest tick: never a torn one, never going back in time,
// across the thread boundary, while the main thread keeps writing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { TickRing } from '../src/shared/tick-ring.js';

test('an empty ring has no latest tick', () => {
  const ring = TickRing.allocate(8);
  assert.equal(ring.count, 0);
  assert.equal(ring.latest(), null);
  assert.equal(ring.readLatest(new Float64Array(5)), false);
});

test('latest() returns the last written tick with all five fields', () => {
  const ring = TickRing.allocate(8);
  ring.write(1_000, 99.5, 100.5, 100, 5_000);
  ring.write(2_000, 101.25, 101.75, 101.5, 6_000);
  assert.equal(ring.count, 2);
  assert.deepEqual(ring.latest(), { ts: 2_000, bid: 101.25, ask: 101.75, last: 101.5, recvTime: 6_000 });
  const out = new Float64Array(5);
  assert.equal(ring.readLatest(out), true);
  assert.deepEqual([...out], [2_000, 101.25, 101.75, 101.5, 6_000]);
});

test('wrap-around: after 3 laps of a 4-slot ring the latest is still the last write and count keeps growing', () => {
  const ring = TickRing.allocate(4);
  for (let i = 1; i <= 14; i++) ring.write(i, i + 0.25, i + 0.5, i + 0.75, i * 10);
  assert.equal(ring.count, 14);
  assert.deepEqual(ring.latest(), { ts: 14, bid: 14.25, ask: 14.5, last: 14.75, recvTime: 140 });
  ring.write(15, 15.25, 15.5, 15.75, 150); // lands in slot (15-1) & 3 = 2
  assert.deepEqual(ring.latest(), { ts: 15, bid: 15.25, ask: 15.5, last: 15.75, recvTime: 150 });
});

test("a reader attached to the same buffer sees the writer's ticks; a foreign buffer is refused", () => {
  const ring = TickRing.allocate(16);
  const reader = new TickRing(ring.buffer);
  assert.equal(reader.latest(), null);
  ring.write(7, 1, 2, 1.5, 70);
  assert.equal(reader.count, 1);
  assert.deepEqual(reader.latest(), { ts: 7, bid: 1, ask: 2, last: 1.5, recvTime: 70 });
  assert.equal(reader.capacity, 16);
  assert.throws(() => new TickRing(new SharedArrayBuffer(1024)), /not a tick ring/);
  assert.throws(() => TickRing.allocate(1000), /power of 2/);
});

// The reader runs in a real worker thread (an eval worker that registers tsx itself, as spawnWorker does,
// because tsx's ESM hooks do not reach worker threads on Node 20). It spins on latest() while the main thread
// writes; tick i has ts=i, bid=i+0.25, ask=i+0.5, last=i+0.75, recvTime=2i, so any mix of two ticks is visible.
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.tsxApi).then(async (tsx) => {
  tsx.register();
  const { TickRing } = await import(workerData.ringUrl);
  const ring = new TickRing(workerData.sab);
  const control = new Int32Array(workerData.control);
  let reads = 0, torn = 0, backwards = 0, distinct = 0, prevTs = -1, lastTs = -1;
  const check = (t) => {
    reads++;
    const i = t.ts;
    if (t.bid !== i + 0.25 || t.ask !== i + 0.5 || t.last !== i + 0.75 || t.recvTime !== 2 * i) torn++;
    if (i < prevTs) backwards++;
    if (i !== prevTs) distinct++;
    prevTs = i;
  };
  parentPort.postMessage({ ready: true });
  while (Atomics.load(control, 0) === 0) {
    const t = ring.latest();
    if (t !== null) check(t);
  }
  const t = ring.latest();      // after the writer finished: must be the very last tick
  check(t);
  lastTs = t.ts;
  parentPort.postMessage({ reads, torn, backwards, distinct, lastTs });
});
`;

test('a worker reading latest() while 1,000,000 ticks are written never sees a torn or older tick', async (t) => {
  const N = 1_000_000;
  const ring = TickRing.allocate(8); // small on purpose: the writer laps slots the reader is copying
  const control = new SharedArrayBuffer(4);
  const worker = new Worker(READER, {
    eval: true,
    workerData: {
      sab: ring.buffer,
      control,
      tsxApi: import.meta.resolve('tsx/esm/api'),
      ringUrl: new URL('../src/shared/tick-ring.ts', import.meta.url).href,
    },
  });
  const result = new Promise<Record<string, number>>((resolve, reject) => {
    worker.on('message', (m: Record<string, number | boolean>) => {
      if (!('ready' in m)) resolve(m as Record<string, number>);
    });
    worker.on('error', reject);
  });
  await new Promise<void>((resolve) => worker.once('message', () => resolve())); // reader is spinning
  for (let i = 0; i < N; i++) ring.write(i, i + 0.25, i + 0.5, i + 0.75, 2 * i);
  Atomics.store(new Int32Array(control), 0, 1);
  const r = await result;
  await worker.terminate();
  t.diagnostic(`reads checked: ${r.reads}, distinct ticks seen: ${r.distinct}`);
  assert.equal(ring.count, N);
  assert.equal(r.torn, 0, 'torn ticks observed');
  assert.equal(r.backwards, 0, 'ts went backwards');
  assert.equal(r.lastTs, N - 1);
  assert.ok(r.reads > 1, 'the reader checked ticks');
});
