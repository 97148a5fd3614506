// A replay goes on after a breaker trip, halted until the next UTC day of its own clock, so a month's replay
// covers the month; and metrics.csv ends with a row at the end state that agrees with final_report.json, however
// short the run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MAIN, readEvents, readJson, replayArgs, ROOT, run, tempDir } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';

const DATA_DIR = path.resolve(ROOT, '..', 'shared', 'data');
const MONTH = path.join(DATA_DIR, 'binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');
const SHORT = path.join(DATA_DIR, 'binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv');
const DAY = 86_400_000;

test('a month replay goes on past breaker trips: halted for the rest of the day, trading again the next', { timeout: 240_000 }, async (t) => {
  if (!existsSync(MONTH)) return lacking(t, `real candle data not found at ${MONTH} (../shared/data is absent)`);
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  // Two losing exits in a row trip the breaker: it trips often in a month.
  const r = run(MAIN, ['--feed', 'replay', '--replay', MONTH, '--speed', 'max', '--state-dir', stateDir, '--seed', '5', '--max-losses', '2']);
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  const report = readJson<{ reason: string; period: { to: string | null } }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.reason, 'replay_end', 'the breaker did not end the replay');
  assert.ok(report.period.to !== null && report.period.to >= '2024-12-29', `the replay covered the month (to ${report.period.to})`);
  const events = readEvents(stateDir);
  const trips = events.filter((e) => e.event === 'BreakerTripped');
  assert.ok(trips.length >= 2, `the breaker tripped on several days (${trips.length})`);
  const fills = events.filter((e) => e.event === 'Fill');
  for (const trip of trips) {
    const at = trip.at as number;
    const nextDay = Math.floor(at / DAY) * DAY + DAY;
    assert.ok(!fills.some((f) => (f.at as number) > at && (f.at as number) < nextDay), `no entry for the rest of ${new Date(at).toISOString().slice(0, 10)}`);
  }
  const lastTrip = trips.at(-1)!.at as number;
  const firstTrip = trips[0]!.at as number;
  assert.ok(
    fills.some((f) => (f.at as number) >= Math.floor(firstTrip / DAY) * DAY + DAY),
    'it trades again after the first tripped day',
  );
  assert.ok(
    events.some((e) => e.event === 'TradingState' && e.state === 'HALTED' && e.reason === 'breaker'),
    'HALTED(breaker) journaled',
  );
  assert.ok(lastTrip > firstTrip, 'trips on different days');
});

test('metrics.csv ends with a row at the end state that agrees with final_report.json', { timeout: 120_000 }, async (t) => {
  if (!existsSync(SHORT)) return lacking(t, `real candle data not found at ${SHORT} (../shared/data is absent)`);
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, replayArgs(SHORT, stateDir));
  assert.equal((await r.exit).code, 0, r.stderr());
  const report = readJson<{ equity: number; errors: number; ticks: number; position: unknown }>(path.join(stateDir, 'final_report.json'));
  const [head, ...rows] = readFileSync(path.join(stateDir, 'metrics.csv'), 'utf8').trim().split('\n');
  assert.ok(rows.length >= 1, 'a row even when the session ran under a second');
  const cols = head!.split(',');
  const last = Object.fromEntries(
    rows
      .at(-1)!
      .split(',')
      .map((v, i) => [cols[i], v]),
  );
  assert.equal(Number(last.equity), Math.round(report.equity * 1e4) / 1e4, 'equity');
  assert.equal(Number(last.errors), report.errors, 'errors');
  assert.equal(Number(last.ticks), report.ticks, 'ticks');
  assert.equal(last.position, report.position === null ? 'FLAT' : last.position, 'position');
});
