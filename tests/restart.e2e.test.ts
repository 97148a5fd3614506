// Recovery: an engine killed with SIGKILL while holding a position resumes that position and its equity
// on the next start, from the same state directory (the stale lock of the dead process is taken over).
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { applyEvent, freshBrokerState } from '../src/shared/broker-state.js';
import { isBrokerEvent, type BrokerEvent } from '../src/shared/events.js';
import { GENESIS_AT } from '../src/main/engine/session.js';
import { flipArgs, MAIN, readEvents, readJson, run, tempDir, waitFor, waitForSnapshotPosition, type Entry } from './helpers/engine.js';

// a wide stop and target so the position is still open when the process is killed
const common = (stateDir: string): string[] => flipArgs(stateDir, ['--sim-seed', '21', '--seed', '9']);

test('kill -9 with an open position: the next start resumes the position and the equity', async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const first = run(MAIN, common(stateDir));
  const fill = await waitFor('a Fill in the journal', () => readEvents(stateDir).find((e) => e.event === 'Fill'), 60_000);
  // let the snapshot that includes the fill reach the disk, then kill without warning
  await waitForSnapshotPosition(stateDir, fill.orderId);
  first.child.kill('SIGKILL');
  await first.exit;
  const before = readJson<{ equity: number; position: { orderId: string; qty: number; entry: number; side: string } }>(path.join(stateDir, 'state.json'));

  const second = run(MAIN, [...common(stateDir), '--duration', '0.25']);
  const { code } = await second.exit;
  assert.equal(code, 0, second.stderr() + second.stdout().slice(-2000));
  const events = readEvents(stateDir);
  const loaded = events.filter((e) => e.event === 'StateLoaded');
  assert.equal(loaded.length, 2);
  assert.equal(loaded[1]!.source, 'primary');
  // the resumed position is the one opened before the kill: it is closed by the second run's duration stop
  const exits = events.filter((e) => e.event === 'Exit').filter((e) => e.orderId === before.position.orderId);
  assert.equal(exits.length, 1, 'the resumed position is exited exactly once');
  assert.equal(exits[0]!.qty, before.position.qty);
  assert.equal(events.filter((e) => e.event === 'Fill' && e.orderId === before.position.orderId).length, 1, 'no fill is duplicated');
  // the journal folds to the final state exactly
  const final = readJson<{ equity: number; position: unknown }>(path.join(stateDir, 'state.json'));
  const start = events.find((e) => e.event === 'SessionStart') as Entry & { balance: number };
  const folded = events.filter((e): e is Entry & BrokerEvent => isBrokerEvent(e)).reduce(applyEvent, freshBrokerState(start.balance, GENESIS_AT));
  assert.equal(folded.equity, final.equity);
  assert.deepEqual(folded.position, final.position);
  assert.ok(Number.isFinite(before.equity));
});
