// Faults injected into a simulator running in another process, through its HTTP control endpoint and
// its --fault-at schedule: skipped klines (ticks continue, REST keeps the candles, so an engine can
// backfill), a flood at a high frame rate that ends by itself, drop + refuse on schedule, and the
// one-line exit 2 for a bad schedule.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { connectOrStatus } from './helpers/ws.js';
import { decodeFrame, decodeRestKlines, encodeSubscribe, type Frame } from '../src/shared/bitunix/index.js';
import { simStatus } from './helpers/engine.js';

const MIN = 60_000;
const CLI = fileURLToPath(new URL('../src/sim.ts', import.meta.url));

interface Child {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<number | null>;
}

const children: Child[] = [];
const sockets: WebSocket[] = [];

function startCli(args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const c = { proc, out: () => out, err: () => err, exit: new Promise<number | null>((r) => proc.on('exit', r)) };
  children.push(c);
  return c;
}

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function listening(c: Child): Promise<number> {
  await until('the listening line', () => c.out().includes('"listening"'), 15_000);
  return (JSON.parse(c.out().split('\n')[0]!) as { port: number }).port;
}

/** A subscribed client that keeps every decoded frame. */
function client(port: number, channels: string[]): { ws: WebSocket; frames: Frame[] } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/public/`);
  sockets.push(ws);
  const frames: Frame[] = [];
  ws.on('open', () => ws.send(encodeSubscribe('BTCUSDT', channels)));
  ws.on('message', (d) => frames.push(decodeFrame(d.toString())));
  ws.on('error', () => {});
  return { ws, frames };
}

async function postFault(port: number, body: unknown): Promise<{ status: number; json: { ok: boolean; error?: string } }> {
  const r = await fetch(`http://127.0.0.1:${port}/sim/fault`, { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as { ok: boolean; error?: string } };
}

after(() => {
  for (const s of sockets) s.terminate();
  for (const c of children) c.proc.kill('SIGKILL');
});

describe('faults over the control endpoint of a simulator in another process', () => {
  let port: number;
  before(async () => {
    port = await listening(startCli(['--port', '0', '--seed', '11', '--speed', '120']));
  });

  it('validates faults and reports status', async () => {
    assert.deepEqual(await postFault(port, { kind: 'explode' }), {
      status: 400,
      json: { ok: false, error: 'unknown fault kind "explode" (drop refuse silence garbage oversized skipKlines inject flood jump excursion)' },
    });
    assert.equal((await postFault(port, { kind: 'flood', ratePerSec: -1, seconds: 1 })).status, 400);
    assert.equal((await postFault(port, { kind: 'skipKlines', minutes: 1.5 })).status, 400);
    assert.equal((await postFault(port, { kind: 'skipKlines', minutes: 1, restLow: 0 })).status, 400);
    assert.equal((await postFault(port, { kind: 'inject', frames: [] })).status, 400);
    assert.equal((await postFault(port, { kind: 'inject', frames: [{}] })).status, 400);
    const st = await simStatus(port);
    assert.deepEqual(Object.keys(st).sort(), ['connections', 'flooding', 'framesSent', 'garbagePending', 'marketNow', 'replay']);
    assert.equal(st.replay, null);
    assert.equal(st.flooding, false);
    assert.ok(Math.abs(st.marketNow - Date.now()) < 3_600_000, 'market time starts at now');
  });

  it('skipKlines: no kline frames for 3 market minutes while book and trade go on; REST has those candles', async () => {
    const { frames } = client(port, ['depth_book1', 'trade', 'market_kline_1min']);
    const klineBuckets = (): number[] => [...new Set(frames.flatMap((f) => (f.type === 'kline' ? [Math.floor(f.ts / MIN) * MIN] : [])))];
    await until('a kline', () => klineBuckets().length > 0);
    const first = klineBuckets()[0]!;
    assert.deepEqual(await postFault(port, { kind: 'skipKlines', minutes: 3 }), { status: 200, json: { ok: true } });
    // the window starts at the next minute boundary after the injection, so klines resume by first + 5 min
    await until('klines to resume', () => klineBuckets().some((b) => b >= first + 5 * MIN));
    const buckets = klineBuckets().sort((a, b) => a - b);
    const gaps = buckets.slice(1).flatMap((b, i) => (b - buckets[i]! > MIN ? [[buckets[i]! + MIN, b]] : []));
    assert.equal(gaps.length, 1, `one gap in ${buckets.map((b) => (b - first) / MIN)}`);
    const [from, to] = gaps[0]! as [number, number];
    assert.equal(to - from, 3 * MIN, 'exactly three withheld minutes');
    for (let m = from; m < to; m += MIN) {
      assert.ok(
        frames.some((f) => f.type === 'book' && f.ts >= m && f.ts < m + MIN),
        `books during minute ${(m - first) / MIN}`,
      );
      assert.ok(
        frames.some((f) => f.type === 'trade' && f.ts >= m && f.ts < m + MIN),
        `trades during minute ${(m - first) / MIN}`,
      );
    }
    const body = await (await fetch(`http://127.0.0.1:${port}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=3&endTime=${to}`)).text();
    assert.deepEqual(
      decodeRestKlines(body).map((c) => c.ts),
      [from, from + MIN, from + 2 * MIN],
    );
  });

  it('flood: a client receives at least 80 % of rate × seconds frames, the flood ends, the sim keeps serving', async () => {
    const { frames } = client(port, ['depth_book1', 'trade']);
    await until('the first book', () => frames.some((f) => f.type === 'book'));
    const before = frames.length;
    assert.equal((await postFault(port, { kind: 'flood', ratePerSec: 20_000, seconds: 2 })).status, 200);
    await until('flooding', async () => (await simStatus(port)).flooding);
    await until('the flood to end', async () => !(await simStatus(port)).flooding, 8000);
    await until('the flood to arrive', () => frames.length - before >= 0.8 * 40_000, 4000);
    const flood = frames.slice(before);
    assert.deepEqual(
      flood.filter((f) => f.type === 'bad'),
      [],
    );
    assert.ok(flood.filter((f) => f.type === 'book').length >= 15_000 && flood.filter((f) => f.type === 'trade').length >= 15_000);
    // afterwards: normal pushes continue and REST answers
    const n = frames.length;
    await until('pushes after the flood', () => frames.length > n + 5);
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=5`);
    assert.equal(decodeRestKlines(await r.text()).length, 5);
  });
});

describe('an excursion: the price moves and comes back', () => {
  const lastBid = (frames: Frame[]): number => {
    const books = frames.flatMap((f) => (f.type === 'book' ? [f] : []));
    assert.ok(books.length > 0);
    return books[books.length - 1]!.bid;
  };

  it('clients see the move and the return; the candles it happened in keep it in their low', async () => {
    const port = await listening(startCli(['--port', '0', '--seed', '5', '--speed', '20']));
    const { frames } = client(port, ['depth_book1']);
    await until('a book', () => frames.some((f) => f.type === 'book'));
    const before = lastBid(frames);
    const from = (await simStatus(port)).marketNow;
    assert.equal((await postFault(port, { kind: 'excursion', bps: -300, ms: 1500 })).status, 200);
    await until('the price to drop 3 %', () => lastBid(frames) < before * 0.98, 3000);
    await until('the price to come back', () => Math.abs(lastBid(frames) / before - 1) < 0.01, 5000);
    const q = `http://127.0.0.1:${port}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=200&startTime=${Math.floor(from / MIN) * MIN}`;
    const candles = decodeRestKlines(await (await fetch(q)).text());
    assert.ok(Math.min(...candles.map((c) => c.low)) < before * 0.98, 'a candle low records the excursion');
  });

  it('REST serves the forming candle, so an excursion inside one candle is visible while it is still forming', async () => {
    const port = await listening(startCli(['--port', '0', '--seed', '6', '--speed', '1']));
    // away from a minute boundary, so the excursion and the query share one forming candle
    const sec = (await simStatus(port)).marketNow % MIN;
    if (sec > 45_000) await new Promise((r) => setTimeout(r, MIN - sec + 1000));
    const price = async (): Promise<number> => {
      const body = await (await fetch(`http://127.0.0.1:${port}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=1`)).text();
      return decodeRestKlines(body)[0]!.close;
    };
    const before = await price();
    // nobody is connected: the excursion is seen only by the candle
    assert.equal((await postFault(port, { kind: 'excursion', bps: -300, ms: 1000 })).status, 200);
    await new Promise((r) => setTimeout(r, 2000));
    const now = (await simStatus(port)).marketNow;
    const body = await (await fetch(`http://127.0.0.1:${port}/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=2&endTime=${now}`)).text();
    const forming = decodeRestKlines(body).at(-1)!;
    assert.equal(forming.ts, Math.floor(now / MIN) * MIN, 'the newest candle served is the one still forming');
    assert.ok(forming.low < before * 0.98, `its low (${forming.low}) holds the excursion from ${before}`);
    assert.ok(Math.abs(forming.close / before - 1) < 0.005, `and the price is back (${forming.close})`);
  });
});

describe('--fault-at schedule', () => {
  it('drops the client and refuses reconnects on schedule, printing each fault', async () => {
    const c = startCli(['--port', '0', '--seed', '2', '--fault-at', '1.5:drop', '--fault-at', '1.5:refuse=1.5']);
    const port = await listening(c);
    const url = `ws://127.0.0.1:${port}/public/`;
    const ws = new WebSocket(url);
    sockets.push(ws);
    let closeCode = 0;
    ws.on('close', (code) => (closeCode = code));
    await new Promise((r) => ws.once('open', r));
    await until('the scheduled drop', () => closeCode !== 0, 6000);
    assert.equal(closeCode, 1006, 'dropped without a close frame');
    assert.equal(await connectOrStatus(url), 503, 'refused right after the drop');
    await until('connects again after the refuse window', async () => (await connectOrStatus(url)) === 'open', 6000);
    const events = c
      .out()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(events, [
      { event: 'fault', atSec: 1.5, fault: { kind: 'drop' } },
      { event: 'fault', atSec: 1.5, fault: { kind: 'refuse', ms: 1500 } },
    ]);
    c.proc.kill('SIGTERM');
    assert.equal(await c.exit, 0);
  });

  it('a bad schedule or replay flag exits 2 with one line naming it', async () => {
    const cases: [string[], RegExp][] = [
      [['--fault-at', '5:explode'], /unknown fault 'explode'/],
      [['--fault-at', 'soon:drop'], /time must be seconds >= 0, got 'soon'/],
      [['--fault-at', '5:flood=50000'], /flood needs =RATExSECONDS/],
      [['--fault-at', '5:drop=3'], /drop takes no argument/],
      [['--fault-at', '5:skip-klines=0'], /skip-klines needs =MINUTES/],
      [['--fault-at', '5:excursion=-300'], /excursion needs =BPSxSECONDS/],
      [['--fault-at', '5:excursion=0x8'], /excursion must be non-zero/],
      [['--replay-speed', 'max'], /need --replay FILE.csv/],
      [['--replay', CLI], /--replay: .*sim\.ts:1: not a candle CSV header/],
    ];
    const results = await Promise.all(
      cases.map(async ([args]) => {
        const c = startCli(['--port', '0', ...args]);
        return { code: await c.exit, err: c.err() };
      }),
    );
    results.forEach(({ code, err }, i) => {
      assert.equal(code, 2, err);
      assert.equal(err.trim().split('\n').length, 1, err);
      assert.match(err, cases[i]![1]);
    });
  });

  it('--help lists the fault and replay flags', async () => {
    const c = startCli(['--help']);
    assert.equal(await c.exit, 0);
    for (const flag of [
      '--fault-at',
      '--replay',
      '--replay-speed',
      '--ticks-per-candle',
      'skip-klines=MINUTES',
      'flood=RATExSEC',
      'excursion=BPSxSEC',
      '/sim/fault',
    ]) {
      assert.ok(c.out().includes(flag), flag);
    }
  });
});
