// A replay whose candle file cannot be played ends where the session opens its market source: exit 1, the
// file's error (naming the line of a bad row) logged as the start failure and kept as the report's last error,
// nothing traded, at --speed max (the file read on the replay encoder's thread) as at a finite speed. On a state
// directory held by another process the engine exits 3 naming the directory, whether or not its file is good,
// and says nothing of the file: it never got as far as opening it.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { OWNER_FILE, lockDir, selfOwner } from '../src/workers/store/state-lock.js';
import { candleFile, privetRows } from './helpers/candle-file.js';
import { logLines, MAIN, readEvents, readJson, replayArgs, run, tempDir } from './helpers/engine.js';

/** The helpers' replay at --speed `speed` (the later flag wins). */
const replayAt = (file: string, dir: string, speed: string): string[] => replayArgs(file, dir, ['--speed', speed]);

/** Runs a replay that must fail at its start; returns the start failure's message. */
async function failedStart(file: string, speed: string): Promise<string> {
  const dir = path.join(tempDir('la-replay-file-'), 'BTCUSDT');
  const r = run(MAIN, replayAt(file, dir, speed));
  const { code } = await r.exit;
  assert.equal(code, 1, r.stderr() + r.stdout().slice(-2000));
  const failure = logLines(r.stdout()).find((l) => l.level >= 50 && l.msg.startsWith('start failed: '));
  assert.ok(failure, `a start failure is logged:\n${r.stdout().slice(-2000)}`);
  const message = failure.msg.slice('start failed: '.length);
  const report = readJson<{ status: string; exitCode: number; reason: string; lastError: string; trades: number; ticks: number }>(
    path.join(dir, 'final_report.json'),
  );
  assert.deepEqual(
    { status: report.status, exitCode: report.exitCode, reason: report.reason, lastError: report.lastError, trades: report.trades, ticks: report.ticks },
    { status: 'error', exitCode: 1, reason: 'fatal', lastError: `start failed: ${message}`, trades: 0, ticks: 0 },
  );
  assert.deepEqual(
    readEvents(dir).map((e) => e.event),
    ['SessionStart', 'StateLoaded', 'SessionEnd'],
  );
  return message;
}

for (const speed of ['max', '60']) {
  test(`a bad row ends a replay at --speed ${speed} at its start, naming the file and the line`, async () => {
    const lines = privetRows(400);
    lines[300] = '96000.00,96000.50,95999.50,oops,1.5,144000.0,100,2024-12-01 05:00:59.999000+00:00';
    const file = candleFile(lines);
    assert.match(await failedStart(file, speed), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:302: `));
  });

  test(`a file of one candle ends a replay at --speed ${speed} at its start: a tape needs two`, async () => {
    assert.equal(await failedStart(candleFile(privetRows(1)), speed), 'replay: needs at least 2 candles');
  });
}

test('a replay on a state dir held by another process exits 3 naming the dir, saying nothing of its file, good or bad', async () => {
  for (const file of [candleFile(privetRows(400)), candleFile(['not,a,row'])]) {
    const dir = path.join(tempDir('la-replay-file-'), 'BTCUSDT');
    mkdirSync(lockDir(dir), { recursive: true });
    writeFileSync(path.join(lockDir(dir), OWNER_FILE), JSON.stringify(selfOwner()));
    const r = run(MAIN, replayAt(file, dir, 'max'));
    const { code } = await r.exit;
    assert.equal(code, 3, r.stderr() + r.stdout().slice(-2000));
    assert.equal(r.stderr(), `laptop-agents: state directory ${dir} is locked by another running instance\n`);
    assert.deepEqual(
      logLines(r.stdout()).filter((l) => l.level >= 40),
      [],
    );
    assert.ok(!r.stdout().includes(file), 'the file is not mentioned');
  }
});
