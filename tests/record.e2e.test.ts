// --record: a live session against the simulator writes a frame log; replaying it rebuilds every candle the
// live session built, and two replays journal the same events. A recording that fills its disk stops with
// one warning while the session trades on.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, logLines, MAIN, readEvents, readJson, run, tempDir, waitFor, waitReady } from './helpers/engine.js';
import { journalNormalForm } from '../src/shared/journal-normal-form.js';
import { lacking } from './helpers/prerequisite.js';

const TRADING = ['--strategy', path.join(FIXTURES, 'flip-strategy.mjs'), '--max-drawdown-pct', '100', '--max-losses', '1000'];

type Candle = { ts: number; open: number; high: number; low: number; close: number; volume: number };

function candles(stateDir: string): Candle[] {
  return readFileSync(path.join(stateDir, 'candles.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const f = line.split(',');
      return { ts: Number(f[0]), open: Number(f[2]), high: Number(f[3]), low: Number(f[4]), close: Number(f[5]), volume: Number(f[6]) };
    });
}

/** The journal with the wall-clock parts removed (each line's ts, and SessionStart's pid and at), line by line. */
function normalisedJournal(stateDir: string): string[] {
  return journalNormalForm(readFileSync(path.join(stateDir, 'events.jsonl'), 'utf8')).split('\n');
}

/** A simulator session recorded into `<root>/rec`, its state in `<root>/live`. */
function recordSim(root: string, simSpeed: string, simSeed: string) {
  const recording = path.join(root, 'rec');
  const live = path.join(root, 'live');
  const r = run(MAIN, [
    '--feed',
    'sim',
    '--sim-speed',
    simSpeed,
    '--sim-seed',
    simSeed,
    '--seed',
    '5',
    '--duration',
    '0.3',
    '--state-dir',
    live,
    '--record',
    recording,
    ...TRADING,
  ]);
  return { r, recording, live };
}

/** Replays `recording` into `stateDir`; returns the engine's log lines. */
async function replay(recording: string, stateDir: string, speed = 'max'): Promise<ReturnType<typeof logLines>> {
  const r = run(MAIN, ['--feed', 'replay', '--replay', recording, '--speed', speed, '--seed', '5', '--state-dir', stateDir, ...TRADING]);
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  const report = readJson<{ reason: string; errors: number; badFrames: number }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.reason, 'replay_end');
  assert.equal(report.errors, 0);
  return logLines(r.stdout());
}

test('a recorded simulator session replays into its own candles, the same journal twice at --speed max and at a finite speed', async () => {
  const root = tempDir('la-record-');
  const { r, recording, live } = recordSim(root, '120', '11');
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  const files = readdirSync(recording);
  assert.ok(files.length >= 1 && files.every((f) => /^BTCUSDT-\d{4}-\d{2}-\d{2}T\d{2}Z-\d+\.frames\.jsonl\.gz$/.test(f)), `hourly files: ${files.join(' ')}`);
  const liveCandles = candles(live);
  assert.ok(liveCandles.length >= 10, `the live session built candles (${liveCandles.length})`);

  await replay(recording, path.join(root, 'replay1'));
  // one file of the log plays the same (unless the session happened to cross an hour)
  await replay(files.length === 1 ? path.join(recording, files[0]!) : recording, path.join(root, 'replay2'));
  const rebuilt = new Map(candles(path.join(root, 'replay1')).map((c) => [c.ts, c]));
  for (const c of liveCandles) assert.deepEqual(rebuilt.get(c.ts), c, `candle ${new Date(c.ts).toISOString()} rebuilt exactly`);

  const a = normalisedJournal(path.join(root, 'replay1'));
  const b = normalisedJournal(path.join(root, 'replay2'));
  assert.ok(
    a.some((l) => l.includes('"event":"Fill"')),
    'the replay trades',
  );
  assert.deepEqual(a, b);
  // at the recorded pace (sped up 20 times here) the journal is the same as at max
  await replay(recording, path.join(root, 'replay3'), '20');
  assert.deepEqual(normalisedJournal(path.join(root, 'replay3')), a);
});

test('where the recorded socket went down, the replay is blind as the live session was: the same spans, judged on recorded candles', async () => {
  const root = tempDir('la-record-drop-');
  const { r, recording, live } = recordSim(root, '60', '4');
  await waitReady(r);
  const port = Number(/"port":(\d+)/.exec(r.stdout())![1]);
  const drop = (): Promise<Response> => fetch(`http://127.0.0.1:${port}/sim/fault`, { method: 'POST', body: '{"kind":"drop"}' });
  await waitFor('a fill', () => readEvents(live).some((e) => e.event === 'Fill'), 15_000);
  await drop();
  await waitFor('the reconnect', () => readEvents(live).filter((e) => e.event === 'WsConnected').length >= 2, 15_000);
  await new Promise((res) => setTimeout(res, 1000));
  await drop();
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  const spansOf = (dir: string) =>
    readEvents(dir)
      .filter((e) => e.event === 'BlindSpan')
      .filter((e) => e.cause === 'disconnect')
      .map((e) => [e.fromTs, e.toTs]);
  const liveSpans = spansOf(live);
  assert.ok(liveSpans.length >= 2, `the live session was blind twice: ${JSON.stringify(liveSpans)}`);

  const log = await replay(recording, path.join(root, 'replay1'));
  await replay(recording, path.join(root, 'replay2'));
  assert.deepEqual(spansOf(path.join(root, 'replay1')), liveSpans);
  const judged = log.filter((l) => l.msg === 'blind span judged on its candles');
  assert.ok(
    judged.length >= liveSpans.length && judged.every((l) => (l.candles as number) >= 1),
    `spans judged on recorded candles: ${JSON.stringify(judged)}`,
  );
  assert.deepEqual(
    log.filter((l) => /fetch failed|not in the recording|history unavailable/.test(`${l.msg} ${String(l.err ?? '')}`)),
    [],
  );
  assert.deepEqual(normalisedJournal(path.join(root, 'replay1')), normalisedJournal(path.join(root, 'replay2')));
});

test('a recording on a full disk stops with one warning; the session trades on', async (t) => {
  if (process.getuid?.() !== 0) {
    lacking(t, 'needs root to mount a small tmpfs');
    return;
  }
  const root = tempDir('la-record-full-');
  const disk = path.join(root, 'disk');
  mkdirSync(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', disk], { stdio: 'pipe' });
  } catch (err) {
    lacking(t, `cannot mount a tmpfs here: ${(err as Error).message.split('\n')[0]}`);
    return;
  }
  try {
    // Fill it: the recording's first write finds no space.
    try {
      writeFileSync(path.join(disk, 'filler'), Buffer.alloc(2 * 1024 * 1024));
    } catch {
      // ENOSPC: the disk is full, as wanted
    }
    const stateDir = path.join(root, 'state');
    const r = run(MAIN, [
      '--feed',
      'sim',
      '--sim-speed',
      '120',
      '--sim-seed',
      '7',
      '--seed',
      '3',
      '--duration',
      '0.25',
      '--state-dir',
      stateDir,
      '--record',
      path.join(disk, 'rec'),
      '--min-trade-interval',
      '0',
      ...TRADING,
    ]);
    const { code } = await r.exit;
    assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
    const warnings = logLines(r.stdout()).filter((l) => l.level === 40 && /record/i.test(l.msg));
    assert.equal(warnings.length, 1, `one recording warning: ${JSON.stringify(warnings)}`);
    assert.match(warnings[0]!.msg, /recording stopped/);
    assert.match(String(warnings[0]!.err), /ENOSPC|no space/i);
    const report = readJson<{ errors: number; exitCode: number }>(path.join(stateDir, 'final_report.json'));
    assert.equal(report.errors, 0);
    const fills = readEvents(stateDir).filter((e) => e.event === 'Fill');
    assert.ok(fills.length >= 2, `fills went on (${fills.length})`);
    const lastWarning = warnings[0]!.time as number;
    assert.ok(
      fills.some((f) => f.ts > lastWarning),
      'a fill after the recording stopped',
    );
  } finally {
    execFileSync('umount', [disk], { stdio: 'pipe' });
  }
});
