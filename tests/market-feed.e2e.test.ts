// The market-data socket's manners with Bitunix (notes/bitunix-protocol.md §1.2): one subscribe frame,
// JSON pings (never a WebSocket protocol ping, which kills the socket when it comes first), client
// frames spaced under 5 per second, idle detection, and the failure count reset by data.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import pino from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { MarketFeed, type FeedHandlers } from '../src/main/market-feed.js';
import { encodeBook } from '../src/shared/bitunix/index.js';
import { systemClock } from '../src/shared/clock.js';
import { ReconnectPolicy } from '../src/shared/reconnect-policy.js';
import { createRng } from '../src/shared/rng.js';
import { waitFor } from './helpers/engine.js';

const log = pino({ level: 'silent' });
const servers: WebSocketServer[] = [];
after(() => {
  for (const s of servers) s.close();
});

function server(onConnection: (ws: WebSocket) => void): Promise<number> {
  return new Promise((resolve) => {
    const wss: WebSocketServer = new WebSocketServer({ host: '127.0.0.1', port: 0 }, () => resolve((wss.address() as { port: number }).port));
    wss.on('connection', onConnection);
    servers.push(wss);
  });
}

function handlers(over: Partial<FeedHandlers> = {}): FeedHandlers {
  return { onFrame: () => {}, onOpen: () => {}, onDown: () => {}, onData: () => {}, onFatal: () => {}, ...over };
}

test('subscribes in one frame, then keeps alive with JSON pings only, under 5 frames per second', async () => {
  const frames: Array<{ at: number; text: string }> = [];
  let protocolPings = 0;
  const port = await server((ws) => {
    ws.on('ping', () => protocolPings++);
    ws.on('message', (d) => frames.push({ at: Date.now(), text: d.toString() }));
    const t = setInterval(() => ws.send(encodeBook('BTCUSDT', Date.now(), 100, 100.1, 1, 1)), 50);
    ws.on('close', () => clearInterval(t));
  });
  const feed = new MarketFeed(
    {
      url: `ws://127.0.0.1:${port}/public/`,
      symbol: 'BTCUSDT',
      channels: ['depth_book1', 'trade'],
      idleTimeoutMs: 5000,
      pingIntervalMs: 100,
      maxFutureMs: null,
    },
    new ReconnectPolicy({ baseMs: 100, maxMs: 1000, maxFailures: 5 }, createRng(1)),
    systemClock,
    log,
    handlers(),
  );
  feed.start();
  await new Promise((r) => setTimeout(r, 2200));
  await feed.stop();
  assert.ok(frames.length >= 5, `frames sent: ${frames.length}`);
  assert.deepEqual(JSON.parse(frames[0]!.text), {
    op: 'subscribe',
    args: [
      { symbol: 'BTCUSDT', ch: 'depth_book1' },
      { symbol: 'BTCUSDT', ch: 'trade' },
    ],
  });
  for (const f of frames.slice(1)) {
    const m = JSON.parse(f.text) as { op: string; ping: number };
    assert.equal(m.op, 'ping');
    assert.ok(Number.isInteger(m.ping) && Math.abs(m.ping - Date.now() / 1000) < 10, 'ping carries unix seconds');
  }
  assert.equal(protocolPings, 0, 'no WebSocket protocol ping is ever sent');
  for (let i = 0; i + 5 < frames.length; i++) {
    assert.ok(frames[i + 5]!.at - frames[i]!.at >= 1000, 'never more than 5 client frames in a second');
  }
});

test('a silent server is dropped after the idle timeout and reconnected; data resets the failure count', async () => {
  let connections = 0;
  const port = await server((ws) => {
    connections++;
    // the first connection sends one frame then goes silent; later ones stream
    ws.send(encodeBook('BTCUSDT', Date.now(), 100, 100.1, 1, 1));
    if (connections > 1) {
      const t = setInterval(() => ws.send(encodeBook('BTCUSDT', Date.now(), 100, 100.1, 1, 1)), 50);
      ws.on('close', () => clearInterval(t));
    }
  });
  const downs: string[] = [];
  let data = 0;
  const policy = new ReconnectPolicy({ baseMs: 100, maxMs: 1000, maxFailures: 5 }, createRng(1));
  const feed = new MarketFeed(
    { url: `ws://127.0.0.1:${port}/public/`, symbol: 'BTCUSDT', channels: ['depth_book1'], idleTimeoutMs: 500, maxFutureMs: null },
    policy,
    systemClock,
    log,
    handlers({ onDown: (reason) => downs.push(reason), onData: () => data++ }),
  );
  feed.start();
  await waitFor('data on the second connection', () => data === 2, 20_000, 20);
  await new Promise((r) => setTimeout(r, 300)); // the second connection keeps streaming: no further drop
  await feed.stop();
  assert.ok(
    downs.some((d) => d.startsWith('idle')),
    `dropped for idleness: ${downs.join('; ')}`,
  );
  assert.equal(connections, 2);
  assert.equal(data, 2, 'data flowed on both connections');
  assert.equal(feed.reconnects, 1);
  assert.equal(policy.consecutiveFailures, 0, 'the first data frame after the reconnect reset the count');
});

test('a frame over maxPayload errors the socket without crashing; the feed reconnects', async () => {
  let connections = 0;
  const port = await server((ws) => {
    connections++;
    if (connections === 1) ws.send('x'.repeat(70 * 1024));
    else ws.send(encodeBook('BTCUSDT', Date.now(), 100, 100.1, 1, 1));
  });
  const downs: string[] = [];
  const feed = new MarketFeed(
    { url: `ws://127.0.0.1:${port}/public/`, symbol: 'BTCUSDT', channels: ['depth_book1'], idleTimeoutMs: 5000, maxFutureMs: null },
    new ReconnectPolicy({ baseMs: 100, maxMs: 1000, maxFailures: 5 }, createRng(1)),
    systemClock,
    log,
    handlers({ onDown: (reason) => downs.push(reason) }),
  );
  feed.start();
  await waitFor('the reconnect after the oversized frame', () => connections === 2 && downs.length >= 1, 20_000, 20);
  await feed.stop();
  assert.equal(connections, 2);
  assert.ok(downs.length >= 1, 'the oversized frame dropped the socket');
});
