// Replay (issue 3): a real candle CSV drives the embedded simulator at --speed max; the engine trades it
// in seconds and the candles it builds from the synthesised ticks are the CSV's, OHLC exactly.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MAIN, readEvents, readJson, replayArgs, ROOT, run, tempDir } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';

const DATA = path.resolve(ROOT, '..', 'shared', 'data', 'binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv');

test('a replay of the privet1x 3000-minute file at --speed max trades and rebuilds the CSV candles exactly', async (t) => {
  if (!existsSync(DATA)) {
    lacking(t, `real candle data not found at ${DATA} (../shared/data is absent)`);
    return;
  }
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const started = Date.now();
  const r = run(MAIN, replayArgs(DATA, stateDir));
  const { code } = await r.exit;
  const seconds = (Date.now() - started) / 1000;
  t.diagnostic(`replay took ${seconds.toFixed(1)} s`);
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  assert.ok(seconds < 60, `finishes in seconds (${seconds} s)`);
  const report = readJson<{ reason: string; trades: number; badFrames: number; errors: number }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.reason, 'replay_end');
  assert.equal(report.badFrames, 0);
  assert.equal(report.errors, 0);
  assert.ok(report.trades >= 3, `it trades (${report.trades} round trips)`);

  // the CSV, read independently: open time = close_datetime - 59.999 s (a +01:00 local time)
  const rows = readFileSync(DATA, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split(',');
      const close = Date.parse(f[7]!.replace(' ', 'T'));
      return { ts: close - 59_999, open: Number(f[0]), high: Number(f[1]), low: Number(f[2]), close: Number(f[3]), volume: Number(f[4]) };
    });
  const built = readFileSync(path.join(stateDir, 'candles.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split(',');
      return { ts: Number(f[0]), open: Number(f[2]), high: Number(f[3]), low: Number(f[4]), close: Number(f[5]) };
    });
  // the first 200 minutes are history served by REST; the other 2800 are streamed live
  assert.equal(built.length, rows.length - 200);
  const byTs = new Map(rows.map((c) => [c.ts, c]));
  for (const c of built) {
    const want = byTs.get(c.ts);
    assert.ok(want, `candle ${new Date(c.ts).toISOString()} is in the CSV`);
    assert.deepEqual(
      { o: c.open, h: c.high, l: c.low, c: c.close },
      { o: want.open, h: want.high, l: want.low, c: want.close },
      `OHLC of ${new Date(c.ts).toISOString()}`,
    );
  }
  const events = readEvents(stateDir);
  assert.ok(events.some((e) => e.event === 'Fill'));
  assert.ok(events.filter((e) => e.event === 'BreakerReset').length >= 2, "the breaker day follows the replay's market days");
});
