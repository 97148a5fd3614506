// Determinism: the same feed, flags and --seed give the same events.jsonl byte for byte, apart from each line's
// wall-clock `ts` and SessionStart's pid and `at`, at any --speed and through either transport (in process at
// --speed max, the simulator's socket at a finite speed).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MAIN, ROOT, run, tempDir } from './helpers/engine.js';
import { journalNormalForm } from '../src/shared/journal-normal-form.js';
import { lacking } from './helpers/prerequisite.js';

const DATA = path.resolve(ROOT, '..', 'shared', 'data');
const MONTH = 'binance_spot_BTCUSDT_1m_2024-12_privet1x.csv';
const SHORT = 'binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv';
/** Paced, but fast enough for a test: the short file's 2,800 streamed minutes in under 2 s. */
const FINITE_SPEED = '100000';
/** A finite speed so high the simulator never waits: the socket path at full throughput. */
const SOCKET_FULL_SPEED = '1000000000';

/** The journal of a state directory without what may differ between runs. */
function normalisedJournal(stateDir: string): string {
  return journalNormalForm(readFileSync(path.join(stateDir, 'events.jsonl'), 'utf8'));
}

async function replayJournal(file: string, speed: string): Promise<string> {
  const dir = path.join(tempDir('la-determinism-'), 'BTCUSDT');
  // breaker limits out of the way: the whole file is traded
  const r = run(MAIN, [
    '--feed',
    'replay',
    '--replay',
    file,
    '--speed',
    speed,
    '--state-dir',
    dir,
    '--seed',
    '5',
    '--max-drawdown-pct',
    '100',
    '--max-losses',
    '1000000',
    '--log-level',
    'warn',
  ]);
  const { code } = await r.exit;
  assert.equal(code, 0, `${path.basename(file)} at --speed ${speed}: ${r.stderr()}${r.stdout().slice(-2000)}`);
  return normalisedJournal(dir);
}

/** The first line where two journals differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  const la = a.split('\n');
  const lb = b.split('\n');
  const i = la.findIndex((l, k) => l !== lb[k]);
  return i < 0 ? `lengths ${la.length} vs ${lb.length}` : `line ${i + 1}:\n  ${la[i]}\n  ${lb[i] ?? '(none)'}`;
}

function assertSame(a: string, b: string, what: string): void {
  assert.ok(a === b, `${what} differ at ${firstDifference(a, b)}`);
}

const files = existsSync(DATA)
  ? readdirSync(DATA)
      .filter((f) => f.endsWith('.csv'))
      .sort()
  : [];

test('every real candle file replays twice at --speed max with the same seed to the same journal', async (t) => {
  if (files.length === 0) {
    lacking(t, `real candle data not found in ${DATA} (../shared/data is absent)`);
    return;
  }
  for (const f of files) {
    const file = path.join(DATA, f);
    const first = await replayJournal(file, 'max');
    const second = await replayJournal(file, 'max');
    assert.ok(first.includes('"event":"Fill"'), `${f}: the replay trades`);
    assert.ok(!first.includes('"event":"WsDisconnected"'), `${f}: no reconnect`);
    assertSame(first, second, `${f}: two runs`);
    t.diagnostic(`${f}: ${first.split('\n').length} journal lines, identical`);
  }
});

test('a paced replay through the simulator socket gives the journal of the in-process --speed max replay', async (t) => {
  const file = path.join(DATA, SHORT);
  if (!existsSync(file)) {
    lacking(t, `real candle data not found at ${file} (../shared/data is absent)`);
    return;
  }
  assertSame(await replayJournal(file, FINITE_SPEED), await replayJournal(file, 'max'), `${SHORT} at --speed ${FINITE_SPEED} and max`);
});

test("a month's replay through the simulator socket gives the journal of the in-process one", async (t) => {
  const file = path.join(DATA, MONTH);
  if (!existsSync(file)) {
    lacking(t, `real candle data not found at ${file} (../shared/data is absent)`);
    return;
  }
  assertSame(await replayJournal(file, SOCKET_FULL_SPEED), await replayJournal(file, 'max'), `${MONTH} through the socket and in process`);
});
