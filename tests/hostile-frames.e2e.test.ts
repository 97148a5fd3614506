// No single frame moves money, over the socket: the real engine trades against its embedded simulator with
// a position open while the simulator sends hostile frames (another symbol's book at bid 1 / ask 2, a trade
// at 1, a book at 3x, a crossed book, a ts an hour ahead, a mark price of 3x with a funding settlement, a
// candle with a low of 1) and serves skipped minutes from REST with a low of 1. Nothing moves: no exit, no
// stop move, no funding, equity unchanged, every kind counted in BadFrames. Then a genuine 5 % move in
// steps still stops the position out, at the first tick through the stop.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { encodeBook, encodeKline, encodePrice, encodeTrade } from '../src/shared/bitunix/index.js';
import { embeddedSimPort, FIXTURES, MAIN, postSimFault, readEvents, readJson, run, simStatus, tempDir, waitFor, type Run } from './helpers/engine.js';

const engines: Run[] = [];
after(() => {
  for (const r of engines) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
});

const STOP_BPS = 280;
const STEP_BPS = 50;

test('hostile frames and a corrupt REST history move nothing; a real 5 % move still hits the stop', async (t) => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, [
    '--feed',
    'sim',
    '--sim-speed',
    '10',
    '--state-dir',
    stateDir,
    '--latency-ms',
    '50-100',
    '--strategy',
    path.join(FIXTURES, 'fast-strategy.mjs'),
    '--stop-bps',
    String(STOP_BPS),
    '--tp-r',
    '20',
  ]);
  engines.push(r);
  // on failure, what the engine journaled and logged
  t.after(() => {
    if (r.child.exitCode === 0) return;
    console.log(
      readEvents(stateDir)
        .map((e) => JSON.stringify(e).slice(0, 300))
        .join('\n'),
    );
    console.log(
      r
        .stdout()
        .split('\n')
        .filter((l) => !l.includes('"hb":true'))
        .slice(-30)
        .join('\n'),
    );
  });
  const port = await embeddedSimPort(r);
  const fill = await waitFor('a Fill', () => readEvents(stateDir).find((e) => e.event === 'Fill'), 60_000, 100);
  const long = fill.side === 'LONG';
  const heartbeat = (): { price: number; equity: number; position: { orderId: string } | null } => readJson(path.join(stateDir, 'heartbeat.json'));
  const hb = await waitFor(
    'a heartbeat with the position',
    () => {
      try {
        const h = heartbeat();
        return h.position?.orderId === fill.orderId ? h : null;
      } catch {
        return null; // being replaced
      }
    },
    10_000,
  );
  const p = hb.price;
  const m = (await simStatus(port)).marketNow;

  await postSimFault(port, {
    kind: 'inject',
    frames: [
      encodeBook('ETHUSDT', m, 1, 2, 1, 1),
      encodeTrade('BTCUSDT', m, 1, 0.5, 'sell'),
      encodeBook('BTCUSDT', m, 3 * p, 3 * p + 0.1, 1, 1),
      `{"ch":"depth_book1","symbol":"BTCUSDT","ts":${m},"data":{"b":[["${p + 100}","1"]],"a":[["${p - 100}","1"]]}}`,
      encodeBook('BTCUSDT', m + 3600_000, p, p + 0.1, 1, 1),
      encodePrice('BTCUSDT', m, { markPrice: 3 * p, indexPrice: 3 * p, fundingRate: 0.001, fundingTime: m, nextFundingTime: m + 8 * 3600_000 }),
      encodeKline('BTCUSDT', 'market_kline_1min', m, { open: p, high: p + 20, low: 1, close: p, volume: 1 }),
    ],
  });
  const moneyMoves = (): string[] =>
    readEvents(stateDir)
      .filter((e) => e.seq > fill.seq && (['Exit', 'StopMoved', 'BreakerTripped'].includes(e.event) || (e.event === 'FundingApplied' && e.fundingTime === m)))
      .map((e) => `${e.event} ${JSON.stringify(e).slice(0, 160)}`);
  await new Promise((res) => setTimeout(res, 1500));
  assert.deepEqual(moneyMoves(), [], 'no hostile frame moved money');
  await postSimFault(port, { kind: 'skipKlines', minutes: 3, restLow: 1 });
  const gap = await waitFor('the skipped minutes backfilled', () => readEvents(stateDir).find((e) => e.event === 'GapBackfilled'), 90_000, 200);
  assert.equal(gap.candles, 0, 'every corrupt candle was rejected');
  const expected = ['wrong_symbol', 'implausible_price', 'crossed_book', 'future_ts', 'implausible_mark', 'rest_implausible_price'];
  const bad = await waitFor(
    'BadFrames with every reason',
    () => {
      const last = readEvents(stateDir)
        .filter((e) => e.event === 'BadFrames')
        .at(-1);
      const by = (last?.byReason ?? {}) as Record<string, number>;
      return expected.every((k) => (by[k] ?? 0) > 0) ? by : null;
    },
    30_000,
    200,
  );
  assert.ok(bad.implausible_price! >= 3, `the 1, the 3x and the candle: ${JSON.stringify(bad)}`);
  // three corrupt minutes, rejected wherever they are fetched (the backfill, the blind span's recovery)
  assert.ok(bad.rest_implausible_price! >= 3, `corrupt minutes from REST: ${JSON.stringify(bad)}`);

  assert.deepEqual(moneyMoves(), [], 'neither did the corrupt REST candles');
  const funding = readEvents(stateDir)
    .filter((e) => e.event === 'FundingApplied')
    .filter((e) => e.seq > fill.seq)
    .reduce((s, e) => s + (e.amount as number), 0); // a genuine settlement may fall in the run
  assert.ok(Math.abs(heartbeat().equity - (hb.equity + funding)) < 1e-6, `equity unchanged: ${hb.equity} → ${heartbeat().equity}`);
  assert.equal(heartbeat().position?.orderId, fill.orderId, 'the position is still open');

  // A genuine move of 5 % in steps of 0.5 %, one a second.
  for (let k = 0; k < 10; k++) {
    await postSimFault(port, { kind: 'jump', bps: long ? -STEP_BPS : STEP_BPS });
    if (readEvents(stateDir).some((e) => e.event === 'Exit')) break;
    await new Promise((res) => setTimeout(res, 1000));
  }
  const exit = await waitFor(
    'the stop',
    () =>
      readEvents(stateDir)
        .filter((e) => e.event === 'Exit')
        .find((e) => e.orderId === fill.orderId),
    15_000,
    100,
  );
  assert.equal(exit.reason, 'SL');
  assert.equal(exit.source, 'tick');
  const sl = fill.sl as number;
  const price = exit.price as number;
  // at the first tick through the stop: beyond it, but by no more than one step
  const within = long ? price <= sl && price >= sl * (1 - (STEP_BPS + 10) / 10_000) : price >= sl && price <= sl * (1 + (STEP_BPS + 10) / 10_000);
  assert.ok(within, `exit ${price} against stop ${sl}`);

  writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr());
  assert.equal(readJson<{ errors: number }>(path.join(stateDir, 'final_report.json')).errors, 0);
});
