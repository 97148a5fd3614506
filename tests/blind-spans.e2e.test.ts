// A stop crossed while the engine could not see the market is still honoured, whatever made it blind:
// connections refused for 20 s inside one candle, the whole process suspended (SIGSTOP) for 75 s, the
// engine killed and restarted. Each time the price crosses the stop and comes back before the engine sees
// ticks again, so only the candles' high/low (the forming one included) still show the crossing. The engine
// is the real dist/main.js against the standalone simulator dist/sim.js (its own process, so the market goes
// on while the engine is stopped or dead), at market speed 1.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  against,
  assertRecoveredStop,
  assertStopCrossedInCandles,
  Cleanup,
  earlyInACandle,
  inject,
  marketNow,
  startEngine,
  startStandaloneSim,
  stopEngine,
  waitForExit,
  waitForPosition,
  type SimHandle,
} from './helpers/blind-span.js';
import { readEvents, readJson, waitFor, type EntryOf, type Run } from './helpers/engine.js';

const HERE = { host: '127.0.0.1' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('connections refused for 20 s inside one candle while the price crosses the stop and comes back: the stop is honoured', { timeout: 180_000 }, async () => {
  const c = new Cleanup();
  try {
    const sim = await startStandaloneSim(c, HERE, 31);
    const stateDir = path.join(c.dir('la-blind-refuse-'), 'BTCUSDT');
    const engine = startEngine(c, HERE, sim.port, stateDir);
    const fill = await waitForPosition(stateDir, engine);
    // the 20 s outage and the reconnect after it fit in the candle the position opened in
    await earlyInACandle(sim, 25_000);
    const backAt = Date.now() + 20_000; // taken before the fault, so no connect can succeed before it
    await inject(sim, { kind: 'refuse', ms: 20_000 });
    await inject(sim, { kind: 'drop' });
    const crossedAt = await marketNow(sim);
    await inject(sim, against(fill, 300, 8000));
    await sleep(8500);
    await assertStopCrossedInCandles(sim, fill, crossedAt);
    await waitFor('data after the refusals', () => readEvents(stateDir).some((e) => e.event === 'WsConnected' && e.ts > backAt), 40_000);
    await waitForExit(stateDir, fill.orderId, 30_000, 'an Exit of the position once data resumed (the stop was crossed while refused)');
    assertRecoveredStop(stateDir, fill, crossedAt, ['disconnect']);
    const report = await stopEngine(engine, stateDir);
    assert.equal(report.errors, 0, 'an outage is a warning, not a session error');
  } finally {
    await c.all();
  }
});

describe('the whole process suspended (SIGSTOP) for 75 s while the price crosses the stop, then continued', { timeout: 260_000 }, () => {
  const c = new Cleanup();
  let sim: SimHandle;
  let engine: Run;
  let stateDir: string;
  let fill: EntryOf<'Fill'>;
  let crossedAt: number;
  let wokeAt: number;

  // Started by whichever test runs first (a before hook would run even when a name filter skips both).
  let started: Promise<void> | null = null;
  const suspendedOnce = (): Promise<void> => (started ??= suspend());
  const suspend = async (): Promise<void> => {
    sim = await startStandaloneSim(c, HERE, 32);
    stateDir = path.join(c.dir('la-blind-sigstop-'), 'BTCUSDT');
    engine = startEngine(c, HERE, sim.port, stateDir);
    fill = await waitForPosition(stateDir, engine);
    engine.child.kill('SIGSTOP');
    crossedAt = await marketNow(sim);
    await inject(sim, against(fill, 300, 10_000));
    await sleep(75_000);
    engine.child.kill('SIGCONT');
    wokeAt = Date.now();
    await assertStopCrossedInCandles(sim, fill, crossedAt);
  };
  after(() => c.all());

  test('the same process carries on: never killed by its watchdog, one SessionStart, market data again', async () => {
    await suspendedOnce();
    // a watchdog that took the suspension for a frozen loop kills within its 30 s limit of waking
    const deadline = wokeAt + 32_000;
    while (Date.now() < deadline) {
      assert.equal(engine.child.exitCode, null, `the engine exited ${engine.child.exitCode}\n${engine.stderr()}`);
      assert.equal(engine.child.signalCode, null, `the engine was killed by ${engine.child.signalCode}\n${engine.stderr()}`);
      await sleep(500);
    }
    assert.doesNotMatch(engine.stderr(), /main loop frozen/);
    const events = readEvents(stateDir);
    assert.equal(events.filter((e) => e.event === 'SessionStart').length, 1, 'one session: the process was not restarted');
    assert.ok(
      events.some((e) => e.event === 'WsConnected' && e.ts > wokeAt),
      'the feed reconnected after the wake-up',
    );
    const hb = readJson<{ ts: number; pid: number }>(path.join(stateDir, 'heartbeat.json'));
    assert.equal(hb.pid, engine.child.pid);
    assert.ok(hb.ts > wokeAt + 20_000, 'the heartbeat goes on after the wake-up');
  });

  test('the stop crossed while suspended is honoured', async () => {
    await suspendedOnce();
    await waitForExit(stateDir, fill.orderId, 15_000, 'an Exit of the position after the wake-up (the stop was crossed while suspended)');
    assertRecoveredStop(stateDir, fill, crossedAt, ['suspended', 'disconnect', 'stale']);
    const report = await stopEngine(engine, stateDir);
    assert.equal(report.errors, 0);
  });
});

test('killed (SIGKILL) with a position open, the stop crossed and the price back within the minute, restarted: the exit is recovered', {
  timeout: 180_000,
}, async () => {
  const c = new Cleanup();
  try {
    const sim = await startStandaloneSim(c, HERE, 33);
    const stateDir = path.join(c.dir('la-blind-restart-'), 'BTCUSDT');
    const first = startEngine(c, HERE, sim.port, stateDir);
    const fill = await waitForPosition(stateDir, first);
    await earlyInACandle(sim, 30_000);
    first.child.kill('SIGKILL');
    await first.exit;
    const crossedAt = await marketNow(sim);
    await inject(sim, against(fill, 300, 5000));
    await sleep(6000); // the price is back before the engine is
    await assertStopCrossedInCandles(sim, fill, crossedAt);
    const second = startEngine(c, HERE, sim.port, stateDir);
    await waitForExit(stateDir, fill.orderId, 45_000, 'an Exit of the position after the restart (the stop was crossed while it was down)');
    assertRecoveredStop(stateDir, fill, crossedAt, ['restart']);
    const report = await stopEngine(second, stateDir);
    assert.equal(report.errors, 0);
  } finally {
    await c.all();
  }
});
