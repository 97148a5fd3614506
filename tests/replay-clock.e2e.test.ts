// A replay runs on its own market clock: the history it seeds is the one closed before its first streamed
// candle, it trades only streamed candles, it never reconnects because its socket was quiet, and it ends on
// its last frame with every streamed candle closed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { logLines, MAIN, ROOT, readEvents, readJson, run, tempDir } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';

const DATA = path.resolve(ROOT, '..', 'shared', 'data');
const FIRST3000 = path.join(DATA, 'binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv');
const HISTORY = 200;
const MINUTE = 60_000;

/** Open times of a privet1x file's candles (open = close_datetime - 59.999 s). */
function openTimes(file: string): number[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => Date.parse(line.split(',')[7]!.replace(' ', 'T')) - 59_999);
}

async function replay(file: string, extra: string[] = []): Promise<{ dir: string; stdout: string }> {
  const dir = path.join(tempDir('la-replay-clock-'), 'BTCUSDT');
  const r = run(MAIN, [
    '--feed',
    'replay',
    '--replay',
    file,
    '--state-dir',
    dir,
    '--seed',
    '11',
    '--max-drawdown-pct',
    '100',
    '--max-losses',
    '1000000',
    '--log-level',
    'info',
    ...extra,
  ]);
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-3000));
  return { dir, stdout: r.stdout() };
}

test('a --speed max replay seeds only history closed before its first streamed candle, trades only streamed candles and closes them all', async (t) => {
  if (!existsSync(FIRST3000)) {
    lacking(t, `real candle data not found at ${FIRST3000} (../shared/data is absent)`);
    return;
  }
  const opens = openTimes(FIRST3000);
  const firstLive = opens[HISTORY]!;
  const { dir, stdout } = await replay(FIRST3000, ['--speed', 'max']);

  const seeded = logLines(stdout).find((l) => l.msg.startsWith('candles seeded'));
  assert.ok(seeded, 'the seed is logged');
  assert.equal(seeded.candles, HISTORY, 'the whole history is seeded');
  assert.equal(seeded.last, firstLive - MINUTE, 'the newest seeded candle is the one just before the first streamed candle');

  const events = readEvents(dir);
  const queued = events.filter((e) => e.event === 'OrderQueued');
  assert.ok(queued.length > 0, 'it trades');
  for (const e of queued) {
    const candleTs = Number(/-(\d+)-(LONG|SHORT)$/.exec(String(e.orderId))![1]);
    assert.ok(candleTs >= firstLive, `order ${String(e.orderId)} is on a streamed candle, not a history candle`);
  }
  const candleOf = new Map(queued.map((e) => [e.orderId, Number(/-(\d+)-(LONG|SHORT)$/.exec(String(e.orderId))![1])]));
  for (const f of events.filter((e) => e.event === 'Fill')) {
    assert.ok(Number(f.at) >= candleOf.get(f.orderId)! + MINUTE, `fill of ${String(f.orderId)} after its candle closed`);
  }
  assert.equal(events.filter((e) => e.event === 'WsDisconnected').length, 0, 'no reconnect');

  const built = readFileSync(path.join(dir, 'candles.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',')[0]));
  assert.deepEqual(built, opens.slice(HISTORY), 'every streamed candle closed once, in order, and nothing else');
  const report = readJson<{ reason: string }>(path.join(dir, 'final_report.json'));
  assert.equal(report.reason, 'replay_end');
});

test('a paced replay whose frames are further apart than --idle-timeout never reconnects and ends on its last candle', async (t) => {
  if (!existsSync(FIRST3000)) {
    lacking(t, `real candle data not found at ${FIRST3000} (../shared/data is absent)`);
    return;
  }
  // 200 history candles and 2 streamed ones; at --speed 60 the ticks are ~77 ms apart, over a 50 ms idle timeout.
  const lines = readFileSync(FIRST3000, 'utf8').trim().split('\n');
  const small = path.join(tempDir('la-replay-idle-'), 'small.csv');
  writeFileSync(small, `${lines.slice(0, HISTORY + 3).join('\n')}\n`);
  const opens = openTimes(small);
  const { dir } = await replay(small, ['--speed', '60', '--idle-timeout', '0.05']);
  const events = readEvents(dir);
  assert.deepEqual(
    events.filter((e) => e.event === 'WsDisconnected'),
    [],
    'a quiet replay socket is its pace, not a dead connection',
  );
  assert.equal(events.filter((e) => e.event === 'WsConnected').length, 1);
  const built = readFileSync(path.join(dir, 'candles.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => Number(l.split(',')[0]));
  assert.deepEqual(built, opens.slice(HISTORY));
  assert.equal(readJson<{ reason: string }>(path.join(dir, 'final_report.json')).reason, 'replay_end');
});
