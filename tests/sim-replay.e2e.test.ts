// Replaying a real candle CSV through the simulator: REST serves the first 200 candles as closed history,
// the WebSocket streams synthesised ticks and klines once a client subscribes, and a client that buckets
// the klines by ts ends with every live candle carrying exactly the file's OHLCV. At speed max the replay
// waits for a slow reader instead of dropping frames; at speed N it is paced; it ends with replay-done.
import { after, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { decodeFrame, decodeRestKlines, encodeSubscribe, type Frame } from '../src/shared/bitunix/index.js';
import { parseCandleCsv } from '../src/shared/candle-csv.js';
import type { Candle } from '../src/shared/types.js';
import { ExchangeSim, type SimWorkerMessage } from '../src/workers/exchange-sim/index.js';
import { spawnWorker } from '../src/main/spawn-worker.js';
import { simStatus } from './helpers/engine.js';

const MIN = 60_000;
const CSV = fileURLToPath(new URL('../../shared/data/binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv', import.meta.url));
const CHANNELS = ['depth_book1', 'trade', 'market_kline_1min', 'price'];

/** Subscribes to everything and keeps what a candle builder needs: the last kline push per 1m bucket. */
class Recorder {
  readonly ws: WebSocket;
  frames = 0;
  readonly bad: Frame[] = [];
  readonly klines = new Map<number, Extract<Frame, { type: 'kline' }>>();
  readonly trades = new Map<number, number[]>();
  readonly books: Extract<Frame, { type: 'book' }>[] = [];
  lastTs = 0;
  backwards = 0;
  onFrame: ((f: Frame) => void) | null = null;

  constructor(port: number) {
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/public/`);
    this.ws.on('open', () => this.ws.send(encodeSubscribe('BTCUSDT', CHANNELS)));
    this.ws.on('message', (d) => {
      this.frames++;
      const f = decodeFrame(d.toString());
      if (f.type === 'bad') this.bad.push(f);
      if ('ts' in f) {
        if (f.ts < this.lastTs) this.backwards++;
        this.lastTs = f.ts;
      }
      const bucket = 'ts' in f ? Math.floor(f.ts / MIN) * MIN : 0;
      if (f.type === 'kline') this.klines.set(bucket, f);
      if (f.type === 'trade') (this.trades.get(bucket) ?? this.trades.set(bucket, []).get(bucket)!).push(f.price);
      if (f.type === 'book') this.books.push(f);
      this.onFrame?.(f);
    });
    this.ws.on('error', () => {});
  }
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function rest(port: number, query: string): Promise<Candle[]> {
  const r = await fetch(`http://127.0.0.1:${port}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&${query}`);
  return decodeRestKlines(await r.text());
}

function ohlcv(c: Candle | Extract<Frame, { type: 'kline' }> | undefined): number[] | undefined {
  return c && [c.open, c.high, c.low, c.close, c.volume];
}

/** 200 + `live` simple candles on the 0.1 grid, opening at `t0`. */
function synthetic(t0: number, live: number): Candle[] {
  return Array.from({ length: 200 + live }, (_, i) => {
    const o = 1000 + (i % 17);
    return { ts: t0 + i * MIN, open: o, high: o + 2.5, low: o - 1.3, close: o + 0.7, volume: 1 + i / 10 };
  });
}

const sims: ExchangeSim[] = [];
const children: ChildProcess[] = [];
const sockets: WebSocket[] = [];
after(async () => {
  for (const s of sockets) s.terminate();
  for (const c of children) c.kill('SIGKILL');
  await Promise.all(sims.map((s) => s.stop()));
});

/** A replay at --speed max on an ephemeral port; replayDone() is its candle count once done, -1 before. */
async function startMaxReplay(candles: Candle[]): Promise<{ sim: ExchangeSim; port: number; replayDone: () => number }> {
  const sim = new ExchangeSim({ replay: { candles, speed: 'max' } });
  sims.push(sim);
  const port = await sim.start();
  let count = -1;
  sim.onReplayDone((n) => (count = n));
  return { sim, port, replayDone: () => count };
}

describe('replay of the 3000-row privet1x CSV at speed max', { skip: existsSync(CSV) ? false : `${CSV} is not present` }, () => {
  const candles = existsSync(CSV) ? parseCandleCsv(readFileSync(CSV, 'utf8'), CSV) : [];

  it('REST serves the first 200 as closed history; a subscriber gets all 2800 live candles with the exact OHLCV', async () => {
    const { port, replayDone } = await startMaxReplay(candles);

    const history = await rest(port, 'limit=200');
    assert.deepEqual(history, candles.slice(0, 200));
    assert.deepEqual((await simStatus(port)).replay, { done: false, candles: 0, total: 2800 });
    // nothing streams before a subscriber: the replay waits for the engine
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await simStatus(port)).replay?.candles, 0);

    const rec = new Recorder(port);
    sockets.push(rec.ws);
    await until('replay-done', () => replayDone() >= 0);
    assert.equal(replayDone(), 2800);
    const st = await simStatus(port);
    assert.equal(st.replay?.done, true);
    assert.equal(st.marketNow, candles[2999]!.ts + MIN - 1);
    await until('every frame read', () => rec.frames === st.framesSent);

    assert.deepEqual(rec.bad, []);
    assert.equal(rec.backwards, 0, 'market time never runs backwards');
    const live = candles.slice(200);
    assert.deepEqual(
      [...rec.klines.keys()].sort((a, b) => a - b),
      live.map((c) => c.ts),
    );
    for (const c of live) {
      const k = rec.klines.get(c.ts)!;
      assert.deepEqual(ohlcv(k), ohlcv(c), new Date(c.ts).toISOString());
      assert.equal(k.ts, c.ts + MIN - 1, 'the final push is stamped at the candle’s last millisecond');
      const prices = rec.trades.get(c.ts)!;
      assert.equal(prices.length, 12);
      assert.deepEqual([prices[0], Math.max(...prices), Math.min(...prices), prices.at(-1)], [c.open, c.high, c.low, c.close]);
    }
    for (const b of rec.books) assert.ok(b.bid < b.ask, `book ${b.bid}/${b.ask}`);
    // after the replay REST has every candle, the last one closed
    assert.deepEqual(await rest(port, 'limit=200'), candles.slice(2800));
    assert.deepEqual(await rest(port, `limit=3&endTime=${candles[1500]!.ts}`), candles.slice(1497, 1500));
  });

  it('waits for a reader that stops reading instead of dropping frames', async () => {
    const { port, replayDone } = await startMaxReplay(candles);
    const rec = new Recorder(port);
    sockets.push(rec.ws);
    let paused = false;
    rec.onFrame = (f) => {
      if (f.type === 'kline' && !paused) {
        paused = true;
        rec.ws.pause();
      }
    };
    await until('the reader to pause', () => paused);
    await new Promise((r) => setTimeout(r, 1000));
    const mid = await simStatus(port);
    assert.equal(mid.replay?.done, false, 'the replay is held back by the unread frames');
    assert.ok(mid.replay!.candles < 2800);
    rec.ws.resume();
    await until('replay-done', () => replayDone() >= 0);
    await until('every frame read', async () => rec.frames === (await simStatus(port)).framesSent);
    assert.equal(rec.klines.size, 2800);
    for (const c of candles.slice(200)) assert.deepEqual(ohlcv(rec.klines.get(c.ts)), ohlcv(c));
  });

  it('pauses while nobody listens after a drop, and resumes where it stopped for the next subscriber', async () => {
    const { sim, port, replayDone } = await startMaxReplay(candles);
    const first = new Recorder(port);
    sockets.push(first.ws);
    let dropped = false;
    first.onFrame = (f) => {
      if (f.type === 'kline' && f.ts >= candles[1000]!.ts && !dropped) {
        dropped = true;
        sim.inject({ kind: 'drop' });
      }
    };
    await until('the drop', () => dropped && first.ws.readyState === WebSocket.CLOSED);
    const held = (await simStatus(port)).replay!.candles;
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await simStatus(port)).replay!.candles, held, 'no subscriber: the replay does not advance');
    assert.ok(held < 2800);
    const second = new Recorder(port);
    sockets.push(second.ws);
    await until('replay-done', () => replayDone() >= 0);
    const last = candles[2999]!;
    await until('the final kline', () => second.klines.get(last.ts)?.ts === last.ts + MIN - 1);
    // the second client continues from the candle the replay was on: the two together (plus REST for
    // what was in the dropped socket's buffers) make the whole file
    const got = new Map([...first.klines, ...second.klines]);
    const missing = candles.slice(200).filter((c) => !got.has(c.ts));
    const firstOfSecond = Math.min(...second.klines.keys());
    assert.ok(firstOfSecond <= candles[200 + held]!.ts, 'resumed where it stopped');
    for (const c of missing) assert.ok(c.ts < firstOfSecond, 'only candles lost in the dropped socket are missing');
    for (const [ts, k] of second.klines) assert.deepEqual(ohlcv(k), ohlcv(candles.find((c) => c.ts === ts)));
    if (missing.length > 0) {
      const m0 = missing[0]!.ts;
      assert.deepEqual(
        await rest(port, `limit=${missing.length}&endTime=${missing.at(-1)!.ts + MIN}`),
        candles.filter((c) => c.ts >= m0 && c.ts <= missing.at(-1)!.ts),
      );
    }
  });

  it('holds the stream during a silence instead of losing candles', async () => {
    const { sim, port, replayDone } = await startMaxReplay(candles);
    const rec = new Recorder(port);
    sockets.push(rec.ws);
    let silenced = false;
    rec.onFrame = (f) => {
      if (f.type === 'kline' && !silenced) {
        silenced = true;
        sim.inject({ kind: 'silence', ms: 300 });
      }
    };
    await until('replay-done', () => replayDone() >= 0);
    await until('every frame read', async () => rec.frames === (await simStatus(port)).framesSent);
    assert.ok(silenced);
    assert.equal(rec.klines.size, 2800);
    for (const c of candles.slice(200)) assert.deepEqual(ohlcv(rec.klines.get(c.ts)), ohlcv(c));
  });

  it('runs from the CLI: --replay FILE --replay-speed max prints replay-done with the candle count', async () => {
    const cli = fileURLToPath(new URL('../src/sim.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', '--replay', CSV, '--replay-speed', 'max', '--ticks-per-candle', '6'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await until('listening', () => out.includes('"listening"'), 15_000);
    const port = (JSON.parse(out.split('\n')[0]!) as { port: number }).port;
    const rec = new Recorder(port);
    sockets.push(rec.ws);
    await until('replay-done line', () => out.includes('replay-done'));
    const done = JSON.parse(out.split('\n').find((l) => l.includes('replay-done'))!) as unknown;
    assert.deepEqual(done, { event: 'replay-done', candles: 2800 });
    await until('every frame read', async () => rec.frames === (await simStatus(port)).framesSent);
    assert.equal(rec.klines.size, 2800);
    assert.equal(rec.trades.get(candles[200]!.ts)!.length, 6);
    assert.deepEqual(ohlcv(rec.klines.get(candles[2999]!.ts)), ohlcv(candles[2999]));
    child.kill('SIGTERM');
  });
});

describe('replay pacing, worker mode and withheld klines', () => {
  it('at speed N each tick goes out when its market time / N of (mocked) wall time has passed, and not before', async () => {
    const t0 = Date.UTC(2025, 0, 1);
    const speed = 600;
    const sim = new ExchangeSim({ replay: { candles: synthetic(t0, 5), speed } });
    sims.push(sim);
    const port = await sim.start();
    let done = -1;
    sim.onReplayDone((n) => (done = n));
    // Real I/O goes on while the mocked clock stands still; waiting is counted in event-loop turns, not ms.
    const turns = async (what: string, pred: () => boolean): Promise<void> => {
      for (let i = 0; !pred(); i++) {
        if (i > 2_000_000) throw new Error(`no ${what} after 2 000 000 event-loop turns`);
        await new Promise((r) => setImmediate(r));
      }
    };
    mock.timers.enable({ apis: ['Date', 'setTimeout'], now: Date.now() });
    try {
      const rec = new Recorder(port);
      sockets.push(rec.ws);
      await turns('first replayed frame', () => rec.lastTs > 0);
      const anchor = sim.marketNow(); // the end of history: the first tick is due at once
      const tickSpacing = MIN / 13; // 13 ticks per candle
      // market span from the end of history to the last tick: 4 min + 12/13 min = 295 385 ms; / 600 = 492.3 ms
      for (let wall = 10; wall <= 480; wall += 10) {
        mock.timers.tick(10);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        const served = sim.marketNow() - anchor;
        assert.ok(served <= wall * speed, `at ${wall} ms: ${served} ms of market time served, ahead of the pace`);
        assert.ok(served > wall * speed - tickSpacing, `at ${wall} ms: only ${served} ms of market time served`);
      }
      assert.equal(done, -1, 'done before its market span / speed');
      mock.timers.tick(20);
      await turns('replay-done', () => done >= 0);
      assert.equal(done, 5);
    } finally {
      mock.timers.reset();
    }
  });

  it('in a worker, a paced replay streams every candle and posts replay-done', async () => {
    const t0 = Date.UTC(2025, 0, 1);
    const candles = synthetic(t0, 5);
    const worker = spawnWorker('exchange-sim/worker', { workerData: { kind: 'exchange-sim', options: { replay: { candles, speed: 600 } } } });
    const messages: SimWorkerMessage[] = [];
    worker.on('message', (m: SimWorkerMessage) => messages.push(m));
    const exited = new Promise((r) => worker.once('exit', r));
    try {
      await until('listening', () => messages.some((m) => m.type === 'listening'));
      const port = (messages.find((m) => m.type === 'listening') as { port: number }).port;
      const rec = new Recorder(port);
      sockets.push(rec.ws);
      await until('replay-done', () => messages.some((m) => m.type === 'replay-done'));
      assert.deepEqual(
        messages.find((m) => m.type === 'replay-done'),
        { type: 'replay-done', candles: 5 },
      );
      await until('the last kline', () => rec.klines.size === 5);
      for (const c of candles.slice(200)) assert.deepEqual(ohlcv(rec.klines.get(c.ts)), ohlcv(c));
      rec.ws.terminate();
    } finally {
      worker.postMessage({ type: 'stop' });
      await exited;
    }
  });

  it('skipKlines withholds the klines of the next minutes; the ticks flow and REST has the candles', async () => {
    const t0 = Date.UTC(2025, 0, 1);
    const candles = synthetic(t0, 6);
    const { sim, port, replayDone } = await startMaxReplay(candles);
    // before the stream, replay time is the end of history: the window is the first two live minutes
    sim.inject({ kind: 'skipKlines', minutes: 2 });
    const rec = new Recorder(port);
    sockets.push(rec.ws);
    await until('replay-done', () => replayDone() >= 0);
    await until('every frame read', async () => rec.frames === (await simStatus(port)).framesSent);
    const live = candles.slice(200);
    assert.deepEqual(
      [...rec.klines.keys()],
      live.slice(2).map((c) => c.ts),
    );
    assert.equal(rec.trades.get(live[0]!.ts)!.length, 12, 'ticks of a withheld minute still flow');
    assert.equal(rec.trades.get(live[1]!.ts)!.length, 12);
    assert.deepEqual(await rest(port, `limit=2&endTime=${live[2]!.ts}`), live.slice(0, 2));
  });
});
