// A replay of the first 3,000 minutes of December 2024 (real Binance candles) reports in market time:
// final_report.json's period and report.html's period, equity curve and trade table are in 2024-12,
// no wall-clock date appears except the "generated at" note, the chart holds every live candle, the
// equity curve has a point per candle close, and the trading figures are all there.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MAIN, readJson, replayArgs, ROOT, run, tempDir } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';
import { reportData } from './helpers/report-data.js';

const DATA = path.resolve(ROOT, '..', 'shared', 'data', 'binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv');

test('a replay of December 2024 reports December 2024: period, equity axis and trade table; wall clock only in "generated at"', async (t) => {
  if (!existsSync(DATA)) {
    lacking(t, `real candle data not found at ${DATA} (../shared/data is absent)`);
    return;
  }
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, replayArgs(DATA, stateDir));
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  const wallDay = new Date().toISOString().slice(0, 10);

  const report = readJson<Record<string, unknown> & { period: { from: string; to: string }; trades: number; generatedAt: string }>(
    path.join(stateDir, 'final_report.json'),
  );
  // live candles start after the 200 served as history: 2024-11-30 23:00 + 200 min
  assert.deepEqual(report.period, { from: '2024-12-01T02:20:00.000Z', to: '2024-12-03T01:00:00.000Z' });
  assert.equal(report.generatedAt.slice(0, 10), wallDay);
  for (const k of ['netPnl', 'grossPnl', 'fees', 'funding', 'winRate', 'maxDrawdown', 'maxDrawdownPct', 'exposurePct'])
    assert.equal(typeof report[k], 'number', k);
  for (const k of ['profitFactor', 'expectancy', 'sharpeDaily', 'sortinoDaily', 'avgHoldingSec'])
    assert.ok(typeof report[k] === 'number' || report[k] === null, k);
  assert.ok(
    report.trades >= 3 && typeof report.expectancy === 'number' && typeof report.sharpeDaily === 'number',
    'with trades over three market days every figure is a number',
  );
  const pnl = report.netPnl as number;
  assert.ok(Math.abs(pnl - ((report.grossPnl as number) - (report.fees as number) + (report.funding as number))) < 0.01, 'net = gross − fees + funding');

  const html = readFileSync(path.join(stateDir, 'report.html'), 'utf8');
  const facts = Object.fromEntries([...html.matchAll(/<dt>(.*?)<\/dt><dd[^>]*>(.*?)<\/dd>/g)].map((m) => [m[1], m[2]]));
  assert.equal(facts['Period (market time)'], '2024-12-01 02:20:00 → 2024-12-03 01:00:00 UTC');
  const data = reportData(html);
  assert.equal(data.candles.length, 2800, 'the chart holds every live candle, not the last 500');
  assert.ok(data.equity.length >= 2800, `one equity point per candle close (${data.equity.length})`);
  const month = (sec: number): string => new Date(sec * 1000).toISOString().slice(0, 7);
  assert.deepEqual([...new Set(data.equity.map((p) => month(p.time)))], ['2024-12'], 'the equity axis is December 2024');
  assert.deepEqual([...new Set(data.markers.map((m) => month(m.time)))], ['2024-12']);
  assert.equal(data.markers.length, (report.trades as number) * 2);

  const table = /<table id="trades">([\s\S]*?)<\/table>/.exec(html)![1]!;
  const times = [...table.matchAll(/<td>(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)<\/td>/g)].map((m) => m[1]!);
  assert.equal(times.length, (report.trades as number) * 2, 'entry and exit time of each trade');
  assert.ok(
    times.every((x) => x.startsWith('2024-12-')),
    `trade times in December 2024: ${times.filter((x) => !x.startsWith('2024-12-')).join(', ')}`,
  );

  // the page's text outside the chart library: every date is December 2024 but the "generated at" note
  const page = html.replace(/<script>[\s\S]*?<\/script>/g, '');
  const dates = [...page.matchAll(/\b(20\d\d-\d\d-\d\d)\b/g)].map((m) => m[1]!);
  const wall = dates.filter((d) => !d.startsWith('2024-12-'));
  assert.deepEqual(wall, [wallDay], 'one wall-clock date');
  assert.match(page, new RegExp(`<footer class="muted">Generated at ${wallDay} \\d\\d:\\d\\d:\\d\\d UTC \\(wall clock\\)`));
});
