// End to end: the built engine (dist/main.js) trades on the embedded simulator in a real child process,
// from an unrelated working directory, and leaves the files SPEC §5/§6 promise.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, MAIN, readEvents, readJson, run, tempDir } from './helpers/engine.js';

test('a session on the embedded simulator opens and closes positions and leaves state, journal and report', async () => {
  const cwd = tempDir('la-cwd-');
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(
    MAIN,
    [
      '--symbol',
      'BTCUSDT',
      '--feed',
      'sim',
      '--sim-speed',
      '120',
      '--sim-seed',
      '11',
      '--seed',
      '5',
      '--duration',
      '0.5',
      '--state-dir',
      stateDir,
      '--strategy',
      path.join(FIXTURES, 'flip-strategy.mjs'),
      '--stop-bps',
      '8',
      '--latency-ms',
      '50-200',
      '--max-losses',
      '1000',
      '--max-drawdown-pct',
      '50',
    ],
    { cwd },
  );
  const { code } = await r.exit;
  assert.equal(code, 0, `engine exited ${code}\n${r.stderr()}\n${r.stdout().slice(-3000)}`);
  for (const f of ['state.json', 'events.jsonl', 'final_report.json', 'heartbeat.json', 'metrics.csv']) {
    assert.ok(existsSync(path.join(stateDir, f)), `${f} missing`);
  }
  assert.ok(!existsSync(path.join(cwd, 'state')), 'nothing is written relative to the working directory');
  const events = readEvents(stateDir);
  const names = events.map((e) => e.event);
  assert.ok(names.includes('Fill'), 'at least one Fill');
  assert.ok(names.includes('Exit'), 'at least one Exit');
  assert.equal(names[0], 'SessionStart');
  assert.equal(names.at(-1), 'SessionEnd');
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.seq > events[i - 1]!.seq, 'seq strictly increasing');
  const report = readJson<{ status: string; exitCode: number; reason: string; trades: number; errors: number; symbol: string; position: unknown }>(
    path.join(stateDir, 'final_report.json'),
  );
  assert.equal(report.exitCode, 0);
  assert.equal(report.reason, 'duration');
  assert.equal(report.symbol, 'BTCUSDT');
  assert.equal(report.errors, 0);
  assert.ok(report.trades >= 1, 'trades counted');
  assert.equal(report.position, null, 'the duration stop closes the position');
  const state = readJson<{ position: unknown; seq: number; equity: number }>(path.join(stateDir, 'state.json'));
  assert.equal(state.position, null);
  assert.equal(state.seq, events.at(-1)!.seq, 'the final snapshot includes every journal event');
  assert.match(r.stdout(), /session summary/);
  assert.match(r.stdout(), /equity .* \| ticks \d+/, 'a live status line is printed');
  assert.ok(!existsSync(path.join(stateDir, 'state.json.lock')), 'the lock is released');
});

test('the circuit breaker ends the session: BreakerTripped, position flattened, exit 0', async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, [
    '--feed',
    'sim',
    '--sim-speed',
    '120',
    '--sim-seed',
    '11',
    '--seed',
    '5',
    '--duration',
    '2',
    '--state-dir',
    stateDir,
    '--strategy',
    path.join(FIXTURES, 'flip-strategy.mjs'),
    '--stop-bps',
    '4',
    '--tp-r',
    '5',
    '--max-losses',
    '1',
  ]);
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr());
  const events = readEvents(stateDir);
  const trip = events.find((e) => e.event === 'BreakerTripped');
  assert.ok(trip, 'BreakerTripped journaled');
  assert.equal(trip.reason, 'max_losses');
  const lossExit = events.filter((e) => e.event === 'Exit');
  assert.ok(lossExit.length >= 1);
  const report = readJson<{ reason: string; position: unknown }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.reason, 'breaker');
  assert.equal(report.position, null);
  assert.equal(readJson<{ breaker: { tripped: boolean } }>(path.join(stateDir, 'state.json')).breaker.tripped, true, 'the trip is persisted');
});

test('a plugin that throws costs one error and no crash', async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, [
    '--feed',
    'sim',
    '--sim-speed',
    '120',
    '--sim-seed',
    '3',
    '--duration',
    '0.3',
    '--state-dir',
    stateDir,
    '--strategy',
    path.join(FIXTURES, 'throw-once-strategy.mjs'),
  ]);
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr());
  const report = readJson<{ errors: number; lastError: string; status: string }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.errors, 1);
  assert.match(report.lastError, /plugin bug on purpose/);
  const events = readEvents(stateDir);
  assert.equal(events.filter((e) => e.event === 'StrategyError').length, 1);
  assert.ok(
    events.some((e) => e.event === 'Fill'),
    'it keeps trading after the error',
  );
});

test('bad flags exit 2 with one clear line; --help documents the flags', async () => {
  const bad = run(MAIN, ['--risk-pct', 'lots']);
  const { code } = await bad.exit;
  assert.equal(code, 2);
  const lines = bad.stderr().trim().split('\n');
  assert.equal(lines.length, 1, bad.stderr());
  assert.match(lines[0]!, /--risk-pct/);

  // An unknown flag's message says "see --help" once, not "see --help (see --help)".
  const unknown = run(MAIN, ['--no-such-flag']);
  assert.equal((await unknown.exit).code, 2);
  assert.equal(unknown.stderr().split('see --help').length - 1, 1, unknown.stderr());

  const missing = run(MAIN, ['--strategy', '/nonexistent/strategy.mjs']);
  assert.equal((await missing.exit).code, 2);
  assert.match(missing.stderr(), /strategy/);

  const help = run(MAIN, ['--help']);
  assert.equal((await help.exit).code, 0);
  for (const flag of ['--symbol', '--feed', '--state-dir', '--exec-queue', '--max-ws-errors', '--dry-run']) assert.match(help.stdout(), new RegExp(flag));
});

test('--dry-run trades with no latency and writes no state files (status lines only)', async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, ['--feed', 'sim', '--sim-speed', '60', '--dry-run', '--duration', '0.15', '--state-dir', stateDir]);
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr());
  assert.ok(!existsSync(stateDir), 'the state directory is never created');
  assert.match(r.stdout(), /"hb":true/, 'status lines are printed');
  assert.match(r.stdout(), /"dryRun":true/);
  assert.match(r.stdout(), /session summary/);
});
