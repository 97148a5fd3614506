// Webhook notifications against real local receivers: the notified events arrive as JSON documents with
// the symbol, the event's fields and a one-line text; other events are not sent; a receiver answering
// 500 is retried with backoff and then given up (counted); one that hangs is abandoned after the timeout;
// a full queue drops the oldest; close() waits only its budget; notify() itself never waits.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import type { Logger } from '../src/main/logger.js';
import { notificationText, WebhookNotifier } from '../src/main/notifier.js';
import type { EngineEvent } from '../src/shared/events.js';
import { orderQueued } from './helpers/events.js';

interface Warn {
  obj: Record<string, unknown>;
  msg: string;
}
function capturingLog(): { log: Logger; warns: Warn[] } {
  const warns: Warn[] = [];
  const log = pino({ enabled: false }) as unknown as Logger;
  (log as unknown as { warn: (o: Record<string, unknown>, m: string) => void }).warn = (obj, msg) => warns.push({ obj, msg });
  return { log, warns };
}

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;

async function receiver(handler: Handler): Promise<{ url: string; bodies: Record<string, unknown>[]; hits: () => number; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  let hits = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      hits++;
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    bodies,
    hits: () => hits,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const until = async (what: string, ok: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const T = Date.UTC(2024, 11, 2, 10, 30);
const FILL: EngineEvent = {
  event: 'Fill',
  orderId: 'BTCUSDT-1-LONG',
  side: 'LONG',
  price: 96_000.5,
  qty: 0.01,
  fee: 0.576,
  liquidity: 'taker',
  sl: 95_700,
  tp: 96_450,
  at: T,
};
const EXIT: EngineEvent = {
  event: 'Exit',
  orderId: 'BTCUSDT-1-LONG',
  reason: 'TP',
  price: 96_450,
  qty: 0.01,
  pnl: 4.495,
  fee: 0.5787,
  source: 'tick',
  at: T + 60_000,
};
const END: EngineEvent = { event: 'SessionEnd', reason: 'duration', exitCode: 0, errors: 0 };

test('the notified events arrive as JSON with symbol, event, fields and text; other events are not sent', async () => {
  const rx = await receiver((_req, body, res) => {
    rx.bodies.push(JSON.parse(body) as Record<string, unknown>);
    res.end('ok');
  });
  const { log, warns } = capturingLog();
  const n = new WebhookNotifier({ urls: [rx.url], symbol: 'BTCUSDT', log });
  try {
    n.notify({ ...FILL, seq: 7, ts: 1 });
    n.notify(orderQueued({ orderId: 'x' }));
    n.notify({ event: 'WsConnected', reconnects: 0 });
    n.notify({ ...EXIT, seq: 8, ts: 2 });
    n.notify({ event: 'TradingState', state: 'HALTED', reason: 'kill_switch', previous: 'ACTIVE' });
    n.notify(END);
    await until('four notifications', () => rx.bodies.length === 4);
    assert.deepEqual(
      rx.bodies.map((b) => b.event),
      ['Fill', 'Exit', 'TradingState', 'SessionEnd'],
      'in order, nothing else',
    );
    const fill = rx.bodies[0]!;
    assert.deepEqual(
      { symbol: fill.symbol, side: fill.side, price: fill.price, qty: fill.qty, fee: fill.fee, orderId: fill.orderId, at: fill.at, seq: fill.seq },
      { symbol: 'BTCUSDT', side: 'LONG', price: 96_000.5, qty: 0.01, fee: 0.576, orderId: 'BTCUSDT-1-LONG', at: T, seq: 7 },
    );
    assert.equal(fill.text, 'BTCUSDT: opened LONG 0.01 @ 96000.5 (fee 0.576, stop 95700, target 96450)');
    assert.equal(rx.bodies[1]!.text, 'BTCUSDT: closed by TP 0.01 @ 96450, PnL +4.50 gross, +3.92 after the exit fee');
    assert.equal(rx.bodies[2]!.text, 'BTCUSDT: trading HALTED (kill_switch), was ACTIVE');
    assert.deepEqual([rx.bodies[2]!.state, rx.bodies[2]!.reason, rx.bodies[2]!.previous], ['HALTED', 'kill_switch', 'ACTIVE']);
    assert.equal(rx.bodies[3]!.text, 'BTCUSDT: session ended (duration, exit 0, 0 errors)');
    // the counts come back from the delivery thread once the answers are in
    await until('four deliveries counted', () => n.stats().sent === 4);
    assert.deepEqual(n.stats(), { sent: 4, failed: 0, dropped: 0, queued: 0 });
    assert.deepEqual(warns, []);
  } finally {
    await n.close(100);
    await rx.close();
  }
});

test('a receiver answering 500 is retried with backoff, then given up with a counted warning; 4xx is not retried', async () => {
  const rx = await receiver((req, _body, res) => {
    res.statusCode = req.url === '/hook' ? 500 : 400;
    res.end('no');
  });
  const { log, warns } = capturingLog();
  const n = new WebhookNotifier({ urls: [rx.url], symbol: 'BTCUSDT', log, attempts: 3, backoffMs: 20 });
  try {
    n.notify(FILL);
    await until('three attempts and a give-up', () => n.stats().dropped === 1);
    assert.equal(rx.hits(), 3);
    assert.deepEqual(n.stats(), { sent: 0, failed: 3, dropped: 1, queued: 0 });
    assert.deepEqual(
      warns.map((w) => [w.msg, w.obj.attempt, w.obj.err]),
      [
        ['webhook notification failed: will retry', 1, 'HTTP 500'],
        ['webhook notification failed: will retry', 2, 'HTTP 500'],
        ['webhook notification failed: given up', 3, 'HTTP 500'],
      ],
    );
  } finally {
    await n.close(100);
  }
  const { log: log2, warns: warns2 } = capturingLog();
  const n2 = new WebhookNotifier({ urls: [rx.url.replace('/hook', '/bad')], symbol: 'BTCUSDT', log: log2, attempts: 3, backoffMs: 20 });
  n2.notify(FILL);
  await until('a give-up', () => n2.stats().dropped === 1);
  assert.equal(warns2.length, 1, 'a 400 is final: no retry');
  assert.equal(warns2[0]!.obj.err, 'HTTP 400');
  await n2.close(100);
  await rx.close();
});

test('a receiver that hangs is abandoned after the timeout; a refused connection is a failure too; notify never waits', async () => {
  const hang = await receiver(() => {
    /* never answers */
  });
  const ok = await receiver((_req, body, res) => {
    ok.bodies.push(JSON.parse(body) as Record<string, unknown>);
    res.end();
  });
  const refused = await receiver(() => {});
  const refusedUrl = refused.url;
  await refused.close();
  const { log, warns } = capturingLog();
  const n = new WebhookNotifier({ urls: [hang.url, refusedUrl, ok.url], symbol: 'BTCUSDT', log, attempts: 1, timeoutMs: 200 });
  try {
    for (let i = 0; i < 1000; i++) n.notify({ ...FILL, orderId: `o${i}` });
    // a slow receiver does not hold up the others: each has its own queue
    await until('the healthy receiver gets everything', () => ok.bodies.length === 1000, 20_000);
    await until('the hanging receiver timed out at least once', () => warns.some((w) => w.obj.url === hang.url));
    const hung = warns.find((w) => w.obj.url === hang.url)!;
    assert.equal(hung.obj.err, 'no answer within 200 ms');
    const ref = warns.find((w) => w.obj.url === refusedUrl)!;
    assert.match(String(ref.obj.err), /ECONNREFUSED|fetch failed/);
  } finally {
    await n.close(50);
    await hang.close();
    await ok.close();
  }
});

// The timeout fails the test long before the request's own 60 s timeout could end a close that waited for it.
test('a full queue drops the oldest notification (counted); close() waits for delivery but only its budget', { timeout: 30_000 }, async () => {
  const hang = await receiver(() => {});
  const { log, warns } = capturingLog();
  const n = new WebhookNotifier({ urls: [hang.url], symbol: 'BTCUSDT', log, capacity: 3, timeoutMs: 60_000 });
  n.notify({ ...FILL, orderId: 'o0' });
  await until('the first request is in flight', () => hang.hits() === 1);
  for (let i = 1; i < 6; i++) n.notify({ ...FILL, orderId: `o${i}` });
  // the first hangs in flight; of the five behind it, the two oldest overflowed
  assert.deepEqual(n.stats(), { sent: 0, failed: 0, dropped: 2, queued: 4 });
  assert.equal(warns.filter((w) => w.msg.startsWith('webhook queue full')).length, 2);
  // close waits its 300 ms budget on the (mocked) clock, not the request's 60 s timeout, and not less
  mock.timers.enable({ apis: ['setTimeout'] });
  let closed = false;
  const closing = n.close(300).then(() => (closed = true));
  try {
    mock.timers.tick(299);
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, 'close returned before its budget');
    mock.timers.tick(1);
    await closing;
  } finally {
    mock.timers.reset();
  }
  assert.equal(n.stats().queued, 0);
  assert.equal(n.stats().dropped, 6, 'everything not delivered is counted');
  assert.ok(warns.some((w) => w.msg === 'webhook notifications not delivered before shutdown'));
  await hang.close();

  // and a SessionEnd queued at shutdown is delivered when the receiver answers
  const rx = await receiver((_req, body, res) => {
    rx.bodies.push(JSON.parse(body) as Record<string, unknown>);
    res.end();
  });
  const n2 = new WebhookNotifier({ urls: [rx.url], symbol: 'ETHUSDT', log });
  n2.notify(END);
  await n2.close(2000);
  assert.deepEqual(
    rx.bodies.map((b) => [b.event, b.symbol]),
    [['SessionEnd', 'ETHUSDT']],
  );
  await rx.close();
});

/** A receiver on its own thread, so it answers while this one is busy: 500 to the first request, then 200; hits in `hits[0]`. */
async function receiverThread(): Promise<{ url: string; hits: Int32Array; close(): Promise<number> }> {
  const hits = new Int32Array(new SharedArrayBuffer(4));
  const code = `
    const http = require('node:http');
    const { parentPort, workerData } = require('node:worker_threads');
    const hits = workerData;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { const n = Atomics.add(hits, 0, 1) + 1; res.statusCode = n === 1 ? 500 : 200; res.end(); });
    });
    server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
    parentPort.on('message', () => { server.closeAllConnections(); server.close(() => parentPort.close()); });`;
  const w = new Worker(code, { eval: true, workerData: hits });
  const port = await new Promise<number>((r) => w.once('message', r));
  return { url: `http://127.0.0.1:${port}/hook`, hits, close: () => w.terminate() };
}

test('delivery does not need this thread: a retry goes out while the main thread is busy', async () => {
  const rx = await receiverThread();
  const { log, warns } = capturingLog();
  const n = new WebhookNotifier({ urls: [rx.url], symbol: 'BTCUSDT', log, attempts: 3, backoffMs: 200 });
  try {
    n.notify(FILL);
    await until('the first attempt', () => Atomics.load(rx.hits, 0) === 1);
    // The thread is now held the way a long synchronous stretch of the tick path would hold it: the
    // retry must not wait for it.
    const end = Date.now() + 10_000;
    while (Atomics.load(rx.hits, 0) < 2 && Date.now() < end) {
      /* busy */
    }
    assert.equal(Atomics.load(rx.hits, 0), 2, 'the retry was sent while this thread was blocked');
    await until('the delivery counted', () => n.stats().sent === 1);
    assert.deepEqual(n.stats(), { sent: 1, failed: 1, dropped: 0, queued: 0 });
    assert.deepEqual(
      warns.map((w) => [w.msg, w.obj.err]),
      [['webhook notification failed: will retry', 'HTTP 500']],
    );
  } finally {
    await n.close(100);
    await rx.close();
  }
});

test('a flood of failures is counted in full but logged at a bounded rate, with the number not logged', async () => {
  const refused = await receiver(() => {});
  const url = refused.url;
  await refused.close();
  const { log, warns } = capturingLog();
  const n = new WebhookNotifier({ urls: [url], symbol: 'BTCUSDT', log, attempts: 1 });
  for (let i = 0; i < 300; i++) n.notify({ ...FILL, orderId: `o${i}` });
  await until('every notification tried', () => n.stats().failed === 300, 20_000);
  await n.close(100);
  assert.deepEqual(n.stats(), { sent: 0, failed: 300, dropped: 300, queued: 0 });
  const failures = warns.filter((w) => w.msg.startsWith('webhook notification failed'));
  assert.ok(failures.length >= 1 && failures.length < 100, `a bounded number of failure warnings (${failures.length})`);
  const notLogged = warns.map((w) => Number(w.obj.suppressedWarnings ?? 0)).reduce((a, b) => a + b, 0);
  assert.equal(failures.length + notLogged, 300, 'the warnings held back are reported by count');
  assert.ok(
    warns.some((w) => w.msg === 'webhook warnings not logged (too many)'),
    'the last held-back count is reported at close',
  );
});

test('texts for the breaker and a fatal stop', () => {
  assert.equal(
    notificationText('BTCUSDT', { event: 'BreakerTripped', reason: 'max_drawdown', detail: 'drawdown 5.2 % ≥ 5 %' }),
    'BTCUSDT: circuit breaker tripped (max_drawdown: drawdown 5.2 % ≥ 5 %), flattening',
  );
  assert.equal(notificationText('BTCUSDT', { event: 'WsFatal', reason: '10 failures' }), 'BTCUSDT: market data lost for good (10 failures), the session stops');
});
