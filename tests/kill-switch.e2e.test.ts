// The kill switch holds across restarts (so it means the same with or without pm2): the kill file flattens,
// persists HALTED(kill_switch) in halt.json and exits 0; the next start keeps market data and the heartbeat
// running but places no order; --resume (or deleting halt.json) trades again.
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { flipArgs, MAIN, readEvents, readJson, run, tempDir, waitFor, type Entry } from './helpers/engine.js';

const args = (stateDir: string, extra: string[] = []): string[] => flipArgs(stateDir, ['--min-trade-interval', '0', ...extra]);

/** Events journaled after the newest SessionStart. */
function thisRun(stateDir: string): Entry[] {
  const all = readEvents(stateDir);
  let start = all.length - 1;
  while (start > 0 && all[start]!.event !== 'SessionStart') start--;
  return all.slice(start);
}

test('kill file → flat, HALTED persisted, exit 0; a restart places no order until --resume', { timeout: 180_000 }, async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const first = run(MAIN, args(stateDir));
  const fill = await waitFor('a Fill', () => readEvents(stateDir).find((e) => e.event === 'Fill'), 60_000, 100);
  writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
  const { code } = await first.exit;
  assert.equal(code, 0, first.stderr());
  const events = readEvents(stateDir);
  assert.equal(events.filter((e) => e.event === 'Exit').find((e) => e.orderId === fill.orderId)?.reason, 'FORCE_CLOSE');
  assert.ok(
    events.some((e) => e.event === 'TradingState' && e.state === 'HALTED' && e.reason === 'kill_switch'),
    'HALTED(kill_switch) journaled',
  );
  assert.equal(readJson<{ position: unknown }>(path.join(stateDir, 'state.json')).position, null, 'flat');
  assert.ok(existsSync(path.join(stateDir, 'halt.json')), 'the halt is persisted');

  // A restart (what pm2 does after exit 0) stays halted: data flows, the heartbeat says HALTED, no order.
  const halted = run(MAIN, args(stateDir));
  try {
    const hb = await waitFor(
      'a HALTED heartbeat with ticks',
      () => {
        const file = path.join(stateDir, 'heartbeat.json');
        if (!existsSync(file)) return null;
        try {
          const h = readJson<{ pid: number; ticks: number; tradingState?: { state: string; reason: string } }>(file);
          return h.pid === halted.child.pid && h.ticks > 0 && h.tradingState?.state === 'HALTED' ? h : null;
        } catch {
          return null; // replaced while read
        }
      },
      30_000,
    );
    assert.equal(hb.tradingState?.reason, 'kill_switch');
    // At 60x, 8 s of wall time is 8 candles: the flip strategy would have traded on every one of them.
    await new Promise((r) => setTimeout(r, 8000));
    const during = thisRun(stateDir);
    assert.ok(during.filter((e) => e.event === 'WsConnected').length >= 1, 'market data runs while halted');
    assert.deepEqual(
      during.filter((e) => e.event === 'OrderQueued' || e.event === 'Fill'),
      [],
      'no order while halted',
    );
  } finally {
    halted.child.kill('SIGTERM');
    assert.equal((await halted.exit).code, 0, halted.stderr());
  }
  assert.ok(existsSync(path.join(stateDir, 'halt.json')), 'a signal stop keeps the halt');

  // --resume lifts it and trades again.
  const resumed = run(MAIN, args(stateDir, ['--resume']));
  try {
    await waitFor('a Fill after --resume', () => thisRun(stateDir).find((e) => e.event === 'Fill'), 60_000, 200);
    assert.ok(!existsSync(path.join(stateDir, 'halt.json')), 'halt.json removed by --resume');
  } finally {
    resumed.child.kill('SIGTERM');
    await resumed.exit;
  }
  rmSync(path.dirname(stateDir), { recursive: true, force: true });
});

test('deleting halt.json while halted resumes trading without a restart', { timeout: 120_000 }, async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const first = run(MAIN, args(stateDir));
  await waitFor('market data', () => readEvents(stateDir).find((e) => e.event === 'WsConnected'), 30_000);
  writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
  assert.equal((await first.exit).code, 0);
  const again = run(MAIN, args(stateDir));
  try {
    await waitFor('HALTED at start', () => thisRun(stateDir).find((e) => e.event === 'TradingState' && e.state === 'HALTED'), 30_000);
    await new Promise((r) => setTimeout(r, 3000));
    assert.equal(thisRun(stateDir).filter((e) => e.event === 'OrderQueued').length, 0);
    rmSync(path.join(stateDir, 'halt.json'));
    await waitFor('ACTIVE again', () => thisRun(stateDir).find((e) => e.event === 'TradingState' && e.state === 'ACTIVE'), 10_000);
    await waitFor('an order once resumed', () => thisRun(stateDir).find((e) => e.event === 'OrderQueued'), 30_000);
  } finally {
    again.child.kill('SIGTERM');
    await again.exit;
  }
  rmSync(path.dirname(stateDir), { recursive: true, force: true });
});
