// The live page's replay buffer holds numbers, not strings: a page that connects late is sent the newest
// samples up to the cap, the same messages it would have seen live, in a fixed number of bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveHistory, liveEvent, type LiveSample } from '../src/main/live-history.js';

const sample = (i: number): LiveSample => ({
  ts: 1_700_000_000_000 + i * 1000,
  status: i % 7 === 0 ? 'stale' : 'running',
  price: i % 5 === 0 ? null : 50_000 + i * 0.1,
  position: i % 3 === 0 ? null : { side: i % 2 ? 'LONG' : 'SHORT', qty: 0.001 * i, entry: 49_990.3 + i },
  equity: 10_000 - i / 3,
  unrealized: i * 0.37 - 5,
});

test('a late page is sent the newest samples, oldest first, exactly as they were published', () => {
  const h = new LiveHistory(100);
  for (let i = 0; i < 250; i++) h.push(sample(i));
  assert.equal(h.size, 100);
  const want = Array.from({ length: 100 }, (_, k) => liveEvent(sample(150 + k))).join('');
  assert.equal(h.text(), want);
});

test('the message carries the position the page shows, not the broker fields behind it', () => {
  const broker = {
    orderId: 'o-1',
    side: 'LONG',
    qty: 0.5,
    entry: 100,
    sl: 90,
    tp: 120,
    openedAt: 1,
    entryFee: 0.1,
    riskDistance: 10,
    best: 101,
    trailActive: false,
  };
  const msg = liveEvent({ ts: 1, status: 'running', price: 100, position: broker, equity: 1, unrealized: 0 });
  assert.deepEqual(JSON.parse(msg.slice('data: '.length)), {
    ts: 1,
    status: 'running',
    price: 100,
    position: { side: 'LONG', qty: 0.5, entry: 100 },
    equity: 1,
    unrealized: 0,
  });
});

test('an hour of samples is a fixed buffer of under 256 KB, the same after ten hours', () => {
  const h = new LiveHistory(3600);
  const bytes = h.bytes;
  assert.ok(bytes < 256 * 1024, `${bytes} bytes`);
  for (let i = 0; i < 36_000; i++) h.push(sample(i));
  assert.equal(h.size, 3600);
  assert.equal(h.bytes, bytes);
});
