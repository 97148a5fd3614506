// dist/sim.js serves the Bitunix protocol on its own; the engine's live feed (--ws-url/--rest-url) trades
// against it exactly as it would against the exchange.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { FIXTURES, MAIN, readEvents, readJson, run, startSim, tempDir, waitFor } from './helpers/engine.js';

let simStop: (() => void) | null = null;
after(() => simStop?.());

test('the engine trades against the standalone simulator through --ws-url and --rest-url', async () => {
  const sim = await startSim(['--seed', '4']);
  simStop = () => sim.run.child.kill('SIGTERM');
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const engine = run(MAIN, [
    '--ws-url',
    `ws://127.0.0.1:${sim.port}/public/`,
    '--rest-url',
    `http://127.0.0.1:${sim.port}`,
    '--state-dir',
    stateDir,
    '--strategy',
    path.join(FIXTURES, 'flip-strategy.mjs'),
    '--stop-bps',
    '2',
    '--risk-pct',
    '0.1',
    '--latency-ms',
    '50-100',
    '--duration',
    '3',
  ]);
  // live market time: the first candle closes at the next minute boundary, then the trade follows quickly
  await waitFor('an Exit in the journal', () => readEvents(stateDir).some((e) => e.event === 'Exit'), 150_000, 500);
  writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
  const { code } = await engine.exit;
  assert.equal(code, 0, engine.stderr());
  const report = readJson<{ reason: string; errors: number; badFrames: number }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.reason, 'kill_file');
  assert.equal(report.errors, 0);
  assert.equal(report.badFrames, 0, 'every frame of the simulator decodes');
  const events = readEvents(stateDir);
  assert.ok(events.some((e) => e.event === 'WsConnected'));
  sim.run.child.kill('SIGTERM');
  assert.equal((await sim.run.exit).code, 0, 'the simulator stops cleanly on SIGTERM');
  simStop = null;
});
