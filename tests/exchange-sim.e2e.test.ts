// The embedded exchange simulator speaks the real Bitunix protocol over real sockets: connect frame,
// ping/pong, subscribed pushes that decode cleanly in accelerated market time, REST candles that are the
// same series as the WebSocket candles, funding, and every injected fault is observable by a client.
// Also the seeded price process itself (volatility, tick grid, history continuity, trends).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connectOrStatus } from './helpers/ws.js';
import { CONNECT_FRAME, decodeFrame, decodeFundingRate, decodeRestKlines, encodePing, encodeSubscribe, type Frame } from '../src/shared/bitunix/index.js';
import { PriceProcess } from '../src/shared/price-process.js';
import { createRng } from '../src/shared/rng.js';
import { ExchangeSim, type SimWorkerMessage } from '../src/workers/exchange-sim/index.js';
import { spawnWorker } from '../src/main/spawn-worker.js';

const MIN = 60_000;
const HOUR = 3_600_000;
// 10 s before a minute boundary, so a 1-minute bucket rolls within ~170 ms of wall time at speed 60.
const START_TS = Date.UTC(2026, 0, 5, 12, 0, 50);
const SIM_OPTS = { seed: 7, speed: 60, startTs: START_TS, tickIntervalMs: 20, klineIntervalMs: 60 };
const ALL_CHANNELS = ['depth_book1', 'trade', 'market_kline_1min', 'price'];

/** A WebSocket client that records every frame (raw and decoded). */
class Probe {
  readonly ws: WebSocket;
  readonly raw: string[] = [];
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  errorCode: string | null = null;
  private waiters: (() => void)[] = [];

  constructor(url: string, opts: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, opts);
    this.ws.on('message', (d) => {
      const t = d.toString();
      this.raw.push(t);
      this.frames.push(decodeFrame(t, { maxBytes: Infinity }));
      this.wake();
    });
    this.ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    this.ws.on('error', (e: Error & { code?: string }) => {
      this.errorCode = e.code ?? e.message;
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolve once `pred` holds (checked on every frame and on close); reject after `ms`. */
  waitFor(pred: () => boolean, what: string, ms = 4000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  of<T extends Frame['type']>(type: T): Extract<Frame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  }

  close(): void {
    this.ws.terminate();
  }
}

async function getJson(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

it('market time is the start plus speed × wall time elapsed (on a mocked clock)', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 0, 5, 9, 0) });
  const sim = new ExchangeSim(SIM_OPTS);
  assert.equal(sim.marketNow(), START_TS);
  t.mock.timers.tick(1_000);
  assert.equal(sim.marketNow(), START_TS + 60 * 1_000);
  t.mock.timers.tick(250);
  assert.equal(sim.marketNow(), START_TS + 60 * 1_250);
});

describe('exchange simulator over real sockets', () => {
  let sim: ExchangeSim;
  let base: string;
  let wsUrl: string;
  const probes: Probe[] = [];
  const probe = (opts?: WebSocket.ClientOptions): Probe => {
    const p = new Probe(wsUrl, opts);
    probes.push(p);
    return p;
  };

  before(async () => {
    sim = new ExchangeSim(SIM_OPTS);
    const port = await sim.start();
    base = `http://127.0.0.1:${port}`;
    wsUrl = `ws://127.0.0.1:${port}/public/`;
  });
  after(async () => {
    for (const p of probes) p.close();
    await sim.stop();
  });

  it('sends the connect frame first and answers a JSON ping with a pong echoing it', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect frame');
    assert.equal(p.raw[0], CONNECT_FRAME);
    p.ws.send(encodePing(1732519687));
    await p.waitFor(() => p.of('pong').length > 0, 'pong');
    assert.deepEqual(p.of('pong')[0], { type: 'pong', pong: 1732519687 });
    const reply = JSON.parse(p.raw.find((r) => r.includes('"pong"'))!) as { op: string; ping: number };
    assert.equal(reply.op, 'ping'); // the exchange answers with op "ping", not "pong"
    assert.ok(Number.isInteger(reply.ping) && reply.ping > 1.7e9 && reply.ping < 1.9e9, `server second ${reply.ping}`);
  });

  it('streams book, trade, kline and price frames that decode cleanly, in accelerated market time', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect');
    p.ws.send(encodeSubscribe('BTCUSDT', ALL_CHANNELS));
    await p.waitFor(() => p.of('book').length >= 25 && p.of('kline').length >= 3 && p.of('price').length >= 3, 'pushes');
    assert.deepEqual(p.of('bad'), []);
    for (const b of p.of('book')) {
      assert.ok(b.bid < b.ask && b.bid > 80_000 && b.ask < 110_000, `book ${b.bid}/${b.ask}`);
      assert.equal(Math.round(b.bid * 10) / 10, b.bid); // on the 0.1 tick
    }
    // book and trade of one tick carry the same market instant; a trade prints at the bid or the ask
    const books = new Map(p.of('book').map((b) => [b.ts, b]));
    for (const t of p.of('trade')) {
      const b = books.get(t.ts);
      assert.ok(b !== undefined, `a book at trade ts ${t.ts}`);
      assert.ok(t.price === b.bid || t.price === b.ask, `trade ${t.price} vs ${b.bid}/${b.ask}`);
      assert.ok(t.qty >= 0.001 && t.qty <= 2);
    }
    for (const pr of p.of('price')) {
      assert.equal(pr.nextFundingTime - pr.fundingTime, 8 * HOUR);
      assert.equal(pr.fundingTime % (8 * HOUR), 0); // 00/08/16 UTC
      assert.ok(Math.abs(pr.fundingRate) < 0.003);
    }
    // market time moves on (at speed × wall time: see the mocked-clock test above)
    const stream = p.of('book');
    assert.ok(stream[stream.length - 1]!.ts > stream[0]!.ts, 'market time advances across the stream');
    // and never runs backwards within the stream
    let last = 0;
    for (const f of p.frames) {
      if ('ts' in f) {
        assert.ok(f.ts >= last, `ts ${f.ts} after ${last}`);
        last = f.ts;
      }
    }
  });

  it('REST serves 200 contiguous closed 1m candles, newest first on the wire, ascending after decode', async () => {
    const now = sim.marketNow();
    const endTime = Math.floor(now / MIN) * MIN;
    const r = await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=200&endTime=${endTime}`);
    assert.equal(r.status, 200);
    const wire = JSON.parse(r.body) as { data: { time: string }[] };
    assert.ok(Number(wire.data[0]!.time) > Number(wire.data[1]!.time), 'newest first on the wire');
    const c = decodeRestKlines(r.body);
    assert.equal(c.length, 200);
    assert.equal(c[199]!.ts, endTime - MIN); // endTime is exclusive
    for (let i = 1; i < c.length; i++) {
      assert.equal(c[i]!.ts - c[i - 1]!.ts, MIN);
      assert.ok(c[i]!.high >= Math.max(c[i]!.open, c[i]!.close) && c[i]!.low <= Math.min(c[i]!.open, c[i]!.close));
    }
    // history joins the live stream: the candle before the market start closes at the start price
    const pre = decodeRestKlines(
      (await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=1&endTime=${Math.floor(START_TS / MIN) * MIN}`)).body,
    );
    assert.equal(pre.length, 1);
    assert.equal(pre[0]!.close, 95_000);
    // without endTime the still-forming candle comes last, as on the real exchange
    const withForming = decodeRestKlines((await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=3`)).body);
    assert.equal(withForming.length, 3);
    assert.ok(withForming[2]!.ts + MIN > now, 'last one is forming');
  });

  it('the candle the WebSocket closed equals the REST candle of the same bucket', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect');
    p.ws.send(encodeSubscribe('BTCUSDT', ['market_kline_1min']));
    // A bucket is closed for the client when a push of a later bucket arrives; its last push is the candle.
    let closed: Extract<Frame, { type: 'kline' }> | null = null;
    await p.waitFor(() => {
      const k = p.of('kline');
      for (let i = 1; i < k.length; i++) {
        if (Math.floor(k[i]!.ts / MIN) > Math.floor(k[i - 1]!.ts / MIN)) closed = k[i - 1]!;
      }
      return closed !== null;
    }, 'a bucket roll');
    const c = closed as unknown as Extract<Frame, { type: 'kline' }>;
    const bucket = Math.floor(c.ts / MIN) * MIN;
    assert.equal(c.ts, bucket + MIN - 1, 'the final push of a bucket is stamped at its last millisecond');
    const rest = decodeRestKlines(
      (await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&startTime=${bucket}&endTime=${bucket + MIN}`)).body,
    );
    assert.equal(rest.length, 1);
    assert.deepEqual(rest[0], { ts: bucket, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume });
  });

  it('REST 5m candles are the 1m candles aggregated', async () => {
    const end = Math.floor(sim.marketNow() / (5 * MIN)) * 5 * MIN;
    const five = decodeRestKlines((await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=5m&limit=3&endTime=${end}`)).body);
    const one = decodeRestKlines((await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=15&endTime=${end}`)).body);
    assert.equal(five.length, 3);
    assert.equal(one.length, 15);
    five.forEach((f, i) => {
      const part = one.slice(i * 5, i * 5 + 5);
      assert.equal(f.ts, part[0]!.ts);
      assert.equal(f.open, part[0]!.open);
      assert.equal(f.close, part[4]!.close);
      assert.equal(f.high, Math.max(...part.map((c) => c.high)));
      assert.equal(f.low, Math.min(...part.map((c) => c.low)));
      assert.ok(Math.abs(f.volume - part.reduce((s, c) => s + c.volume, 0)) < 1e-6);
    });
  });

  it('REST funding rate: percent on the wire, next settlement at the next 00/08/16 UTC', async () => {
    const now = sim.marketNow();
    const r = await getJson(`${base}/api/v1/futures/market/funding_rate?symbol=BTCUSDT`);
    const f = decodeFundingRate(r.body);
    const next = (Math.floor(now / (8 * HOUR)) + 1) * 8 * HOUR;
    assert.equal(f.nextFundingTime, next);
    assert.equal(f.intervalHours, 8);
    assert.ok(Math.abs(f.rate) < 0.003 && f.rate !== 0);
    assert.ok(f.markPrice > 80_000 && f.markPrice < 110_000);
  });

  it('REST errors: unknown interval (3m) or symbol -> code 2; unknown path -> 404 JSON', async () => {
    const bad3m = await getJson(`${base}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=3m`);
    assert.throws(() => decodeRestKlines(bad3m.body), /error code 2/);
    const badSym = await getJson(`${base}/api/v1/futures/market/kline?symbol=NOPEUSDT&interval=1m`);
    assert.throws(() => decodeRestKlines(badSym.body), /error code 2/);
    const badFunding = await getJson(`${base}/api/v1/futures/market/funding_rate?symbol=NOPEUSDT`);
    assert.throws(() => decodeFundingRate(badFunding.body), /error code 2/);
    const nf = await getJson(`${base}/api/v1/futures/market/nothing`);
    assert.equal(nf.status, 404);
    assert.equal((JSON.parse(nf.body) as { code: number }).code, 404);
  });

  it('an unknown symbol gets one empty depth frame and nothing else', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect');
    p.ws.send(encodeSubscribe('NOPEUSDT', ['depth_book1', 'trade']));
    await p.waitFor(() => p.frames.length >= 2, 'empty book');
    assert.deepEqual(p.frames[1], { type: 'bad', reason: 'empty_book' });
    p.ws.send(encodePing(1)); // a round trip proves nothing else was queued before the pong
    await p.waitFor(() => p.of('pong').length > 0, 'pong');
    assert.equal(p.frames.length, 3);
  });

  it('fault drop: every socket is cut', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect');
    sim.inject({ kind: 'drop' });
    await p.waitFor(() => p.closeCode !== null, 'close');
    assert.equal(p.closeCode, 1006); // no close frame, like a network cut
  });

  it('fault refuse: upgrades get HTTP 503 for the window, then connect again', async () => {
    sim.inject({ kind: 'refuse', ms: 300 });
    assert.equal(await connectOrStatus(wsUrl), 503);
    let result: 'open' | number = 503;
    for (let i = 0; i < 40 && result !== 'open'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      result = await connectOrStatus(wsUrl);
    }
    assert.equal(result, 'open');
  });

  it('fault silence: no frames during the window, the socket stays open, then pushes resume', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect');
    p.ws.send(encodeSubscribe('BTCUSDT', ['depth_book1']));
    await p.waitFor(() => p.of('book').length >= 3, 'books');
    // Judged on market time, not arrival time: nothing may be stamped inside the 600 ms (× speed 60) window.
    const m0 = sim.marketNow();
    sim.inject({ kind: 'silence', ms: 600 });
    const windowEnd = m0 + 600 * SIM_OPTS.speed;
    await p.waitFor(() => p.of('book').some((b) => b.ts >= windowEnd) && p.of('book').filter((b) => b.ts >= windowEnd).length >= 3, 'resumed pushes');
    assert.deepEqual(
      p
        .of('book')
        .filter((b) => b.ts > m0 && b.ts < windowEnd)
        .map((b) => b.ts),
      [],
    );
    assert.equal(p.closeCode, null);
  });

  it('fault garbage: the malformed frames arrive mixed in and each decodes as bad', async () => {
    const p = probe();
    await p.waitFor(() => p.raw.length >= 1, 'connect');
    p.ws.send(encodeSubscribe('BTCUSDT', ['depth_book1']));
    await p.waitFor(() => p.of('book').length >= 2, 'books');
    sim.inject({ kind: 'garbage', count: 6 });
    await p.waitFor(() => p.of('bad').length >= 6, 'six bad frames');
    assert.deepEqual(
      new Set(p.of('bad').map((b) => b.reason)),
      new Set(['not_json', 'bad_number', 'crossed_book', 'non_positive_price', 'unknown_shape', 'empty_book']),
    );
    const nBooks = p.of('book').length;
    await p.waitFor(() => p.of('book').length > nBooks + 2, 'good frames keep flowing');
  });

  it('fault oversized: one frame over 64 KiB; a client with that limit refuses it and closes', async () => {
    const limited = probe({ maxPayload: 64 * 1024 });
    const open = probe();
    await limited.waitFor(() => limited.raw.length >= 1, 'connect');
    await open.waitFor(() => open.raw.length >= 1, 'connect');
    sim.inject({ kind: 'oversized' });
    await limited.waitFor(() => limited.closeCode !== null, 'close');
    assert.equal(limited.errorCode, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    await open.waitFor(() => open.raw.some((r) => r.length > 64 * 1024), 'the big frame');
    assert.deepEqual(decodeFrame(open.raw.find((r) => r.length > 64 * 1024)!).type, 'bad');
    assert.equal((decodeFrame(open.raw.find((r) => r.length > 64 * 1024)!) as { reason: string }).reason, 'too_large');
  });
});

describe('exchange simulator lifecycle', () => {
  it('drops a client that sends nothing for the idle timeout', async () => {
    const sim = new ExchangeSim({ ...SIM_OPTS, idleTimeoutMs: 200 });
    const port = await sim.start();
    try {
      const quiet = new Probe(`ws://127.0.0.1:${port}/public/`);
      const pinger = new Probe(`ws://127.0.0.1:${port}/public/`);
      const timer = setInterval(() => pinger.ws.readyState === WebSocket.OPEN && pinger.ws.send(encodePing(1)), 50);
      await quiet.waitFor(() => quiet.closeCode !== null, 'idle close');
      clearInterval(timer);
      assert.equal(quiet.closeCode, 1006);
      assert.equal(pinger.closeCode, null);
      pinger.close();
    } finally {
      await sim.stop();
    }
  });

  it('runs as a worker thread: listening, faults by message, stop -> stopped, thread exits', async () => {
    const worker = spawnWorker('exchange-sim/worker', { workerData: { kind: 'exchange-sim', options: SIM_OPTS } });
    const messages: SimWorkerMessage[] = [];
    const next = (type: SimWorkerMessage['type']): Promise<SimWorkerMessage> =>
      new Promise((resolve) => {
        const on = (m: SimWorkerMessage): void => {
          messages.push(m);
          if (m.type === type) {
            worker.off('message', on);
            resolve(m);
          }
        };
        worker.on('message', on);
      });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const listening = await next('listening');
    assert.equal(listening.type, 'listening');
    const port = (listening as { port: number }).port;
    const p = new Probe(`ws://127.0.0.1:${port}/public/`);
    await p.waitFor(() => p.raw[0] === CONNECT_FRAME, 'connect');
    worker.postMessage({ type: 'fault', fault: { kind: 'drop' } });
    await p.waitFor(() => p.closeCode !== null, 'drop via message');
    worker.postMessage({ type: 'stop' });
    await next('stopped');
    assert.equal(await exited, 0);
  });

  it('standalone CLI: prints the listening line, stops on SIGTERM; a bad flag exits 2 with one line', async () => {
    const cli = fileURLToPath(new URL('../src/sim.ts', import.meta.url));
    const run = (args: string[]) => spawn(process.execPath, ['--import', 'tsx', cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });

    const bad = run(['--port', '0', '--bogus']);
    let err = '';
    bad.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const badCode = await new Promise<number | null>((r) => bad.on('exit', r));
    assert.equal(badCode, 2);
    assert.equal(err.trim().split('\n').length, 1, err);
    assert.match(err, /bogus/);

    const good = run(['--port', '0', '--seed', '3', '--speed', '10']);
    let out = '';
    const line = await new Promise<string>((resolve) =>
      good.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0]!);
      }),
    );
    const ev = JSON.parse(line) as { event: string; port: number };
    assert.equal(ev.event, 'listening');
    assert.ok(ev.port > 0);
    const r = await getJson(`http://127.0.0.1:${ev.port}/api/v1/futures/market/funding_rate?symbol=BTCUSDT`);
    assert.equal(decodeFundingRate(r.body).intervalHours, 8);
    const code = new Promise<number | null>((r2) => good.on('exit', r2));
    good.kill('SIGTERM');
    assert.equal(await code, 0);
  });
});

describe('price process', () => {
  const T0 = Date.UTC(2026, 0, 1);

  it('is reproducible from its seed', () => {
    const a = new PriceProcess(createRng(42), 95_000, T0);
    const b = new PriceProcess(createRng(42), 95_000, T0);
    for (let i = 1; i <= 500; i++) assert.deepEqual(a.step(T0 + i * 1000), b.step(T0 + i * 1000));
  });

  it('moves about 7 bps per minute, on the 0.1 tick, mostly one-tick spread, sizes 0.001-2', () => {
    const p = new PriceProcess(createRng(1), 95_000, T0);
    const minutes = 3000;
    const closes: number[] = [];
    let oneTick = 0;
    let n = 0;
    for (let s = 1; s <= minutes * 60; s++) {
      const t = p.step(T0 + s * 1000);
      n++;
      const spreadTicks = Math.round((t.ask - t.bid) * 10);
      assert.ok(spreadTicks >= 1 && spreadTicks <= 5);
      if (spreadTicks === 1) oneTick++;
      assert.ok(t.qty >= 0.001 && t.qty <= 2);
      if (s % 60 === 0) closes.push(t.mid);
    }
    const rets = closes.slice(1).map((c, i) => Math.log(c / closes[i]!));
    const mean = rets.reduce((a, b) => a + b, 0) / rets.length;
    const sd = Math.sqrt(rets.reduce((a, b) => a + (b - mean) ** 2, 0) / (rets.length - 1));
    assert.ok(sd > 0.0006 && sd < 0.0008, `1-minute sigma ${(sd * 1e4).toFixed(2)} bps`);
    assert.ok(oneTick / n > 0.8 && oneTick / n < 0.9, `one-tick share ${oneTick / n}`);
  });

  it('has trend regimes both ways: EMA20 holds above, and below, EMA50 for an hour or more', () => {
    const p = new PriceProcess(createRng(5), 95_000, T0);
    let e20 = 95_000;
    let e50 = 95_000;
    let run = 0;
    let longestUp = 0;
    let longestDown = 0;
    for (let m = 1; m <= 3000; m++) {
      let close = 0;
      for (let s = 1; s <= 60; s++) close = p.step(T0 + ((m - 1) * 60 + s) * 1000).mid;
      e20 += (close - e20) * (2 / 21);
      e50 += (close - e50) * (2 / 51);
      const up = e20 > e50;
      run = (up && run > 0) || (!up && run < 0) ? run + (up ? 1 : -1) : up ? 1 : -1;
      longestUp = Math.max(longestUp, run);
      longestDown = Math.max(longestDown, -run);
    }
    assert.ok(longestUp >= 60 && longestDown >= 60, `longest up ${longestUp} down ${longestDown} minutes`);
  });

  it('history candles end at the start price, join open-to-close, are valid and independent of count', () => {
    const p = new PriceProcess(createRng(9), 95_000, T0 + 30_000);
    const h = p.historyCandles(300, T0, MIN);
    assert.equal(h.length, 300);
    assert.equal(h[299]!.ts, T0 - MIN);
    assert.equal(h[0]!.ts, T0 - 300 * MIN);
    assert.equal(h[299]!.close, 95_000);
    for (let i = 0; i < h.length; i++) {
      const c = h[i]!;
      if (i > 0) {
        assert.equal(c.ts - h[i - 1]!.ts, MIN);
        assert.equal(c.open, h[i - 1]!.close);
      }
      assert.ok(c.high >= Math.max(c.open, c.close) && c.low <= Math.min(c.open, c.close) && c.volume > 0);
    }
    p.step(T0 + 90_000); // stepping the live path does not change the history
    assert.deepEqual(p.historyCandles(50, T0, MIN), h.slice(250));
  });
});
