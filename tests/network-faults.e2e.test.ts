// Market data that survives the network (issue 3): the engine runs against its embedded simulator in a
// real child process while the test injects faults through the simulator's control endpoint. In every
// recoverable case the engine keeps running, data resumes within one backoff step of the server coming
// back, a stop crossed during a cut is honoured, errors stay 0 and the run ends with exit code 0.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  embeddedSimPort,
  FIXTURES,
  MAIN,
  postSimFault,
  readEvents,
  readJson,
  run,
  simStatus,
  tempDir,
  waitFor,
  type Entry,
  type Run,
} from './helpers/engine.js';

interface Engine {
  r: Run;
  stateDir: string;
  port: number;
}

const engines: Run[] = [];
// a failed test must not leave its engine running (the file would never finish)
after(() => {
  for (const r of engines) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
});

async function startEngine(extra: string[]): Promise<Engine> {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, ['--feed', 'sim', '--sim-speed', '10', '--state-dir', stateDir, '--latency-ms', '50-100', ...extra]);
  engines.push(r);
  const port = await embeddedSimPort(r);
  await waitFor('market data', () => readEvents(stateDir).some((e) => e.event === 'WsConnected'), 20_000);
  return { r, stateDir, port };
}

async function stopWithKillFile(e: Engine): Promise<{ reason: string; errors: number; badFrames: number; reconnects: number; exitCode: number }> {
  writeFileSync(path.join(e.stateDir, 'kill.txt'), 'stop\n');
  const { code } = await e.r.exit;
  assert.equal(code, 0, `exit code ${code}\n${e.r.stderr()}\n${e.r.stdout().slice(-3000)}`);
  return readJson(path.join(e.stateDir, 'final_report.json'));
}

/** What a failed wait shows: the engine's events since the cut and the end of its output. */
function explainRun(e: Engine, since: number): string {
  const events = readEvents(e.stateDir)
    .filter((x) => x.ts >= since - 2000)
    .map((x) => JSON.stringify(x));
  return `events since the cut:\n${events.join('\n')}\nstdout tail:\n${e.r.stdout().slice(-4000)}\nstderr:\n${e.r.stderr().slice(-2000)}`;
}

const connects = (dir: string): Entry[] => readEvents(dir).filter((e) => e.event === 'WsConnected');

/** Open a position, cut the network, move the price through the stop while deaf, let the server back. */
async function cutThroughStop(cutMs: number, extra: string[]): Promise<void> {
  const e = await startEngine(['--strategy', path.join(FIXTURES, 'flip-strategy.mjs'), '--stop-bps', '40', '--tp-r', '20', '--max-ws-errors', '30', ...extra]);
  const fill = await waitFor('a Fill', () => readEvents(e.stateDir).find((x) => x.event === 'Fill'), 60_000, 50);
  const side = fill.side as string;
  // The server refuses from some instant between these two clocks until cutMs after it: no connect can
  // succeed before refusedFrom + cutMs, and the server is back by backBy at the latest.
  const refusedFrom = Date.now();
  await postSimFault(e.port, { kind: 'refuse', ms: cutMs });
  const backBy = Date.now() + cutMs;
  await postSimFault(e.port, { kind: 'drop' });
  // while the engine is deaf the price gaps 3 % against the position: far through its 0.4 % stop
  await postSimFault(e.port, { kind: 'jump', bps: side === 'LONG' ? -300 : 300 });
  const cutBack = refusedFrom + cutMs;
  await waitFor(
    'the reconnect after the cut',
    () => connects(e.stateDir).some((c) => c.ts > cutBack),
    cutMs + 90_000,
    100,
    () => explainRun(e, refusedFrom),
  );
  const events = readEvents(e.stateDir);
  const resumed = events.find((c) => c.event === 'WsConnected' && c.ts > cutBack)!;
  const delays = events
    .filter((x) => x.event === 'WsDisconnected')
    .filter((x) => x.ts >= refusedFrom)
    .map((x) => x.retryInMs);
  const longestStep = Math.max(...delays);
  assert.ok(resumed.ts - backBy <= longestStep + 1500, `data resumed ${resumed.ts - backBy} ms after the server came back (backoff step ${longestStep} ms)`);
  const exit = await waitFor(
    'the stop to be honoured',
    () =>
      readEvents(e.stateDir)
        .filter((x) => x.event === 'Exit')
        .find((x) => x.orderId === fill.orderId),
    15_000,
    100,
  );
  assert.equal(exit.reason, 'SL', 'the stop crossed during the cut closes the position as a stop');
  const sl = fill.sl as number;
  assert.ok(side === 'LONG' ? (exit.price as number) <= sl : (exit.price as number) >= sl, `a gap fills at the worse price (exit ${exit.price}, stop ${sl})`);
  const report = await stopWithKillFile(e);
  assert.equal(report.errors, 0, 'network faults are warnings, not session errors');
  assert.ok(report.reconnects >= 1);
}

describe('network faults against the simulator', { concurrency: 3 }, () => {
  test('a 90 s cut (backoff 2 s → 20 s)', async () => {
    await cutThroughStop(90_000, ['--backoff-base', '2', '--backoff-max', '20']);
  });

  test('a 5 s cut', async () => {
    await cutThroughStop(5_000, []);
  });

  test('connects refused for 20 s', async () => {
    const e = await startEngine([]);
    const backAt = Date.now() + 20_000; // taken before the fault, so no connect can succeed before it
    await postSimFault(e.port, { kind: 'refuse', ms: 20_000 });
    await postSimFault(e.port, { kind: 'drop' });
    await waitFor(
      'data after the refusals',
      () => connects(e.stateDir).some((c) => c.ts > backAt),
      60_000,
      100,
      () => explainRun(e, backAt - 20_000),
    );
    const refused = readEvents(e.stateDir).filter((x) => x.event === 'WsDisconnected');
    assert.ok(refused.length >= 2, 'several refused attempts were made');
    const report = await stopWithKillFile(e);
    assert.equal(report.errors, 0);
  });

  test('a server that goes silent without closing', async () => {
    const e = await startEngine(['--idle-timeout', '3', '--stale-timeout', '6', '--backoff-base', '1', '--backoff-max', '4']);
    const silentAt = Date.now(); // taken before the fault, so no data can flow before silentAt + 12 s
    await postSimFault(e.port, { kind: 'silence', ms: 12_000 });
    await waitFor(
      'the idle timeout to drop the silent socket',
      () => readEvents(e.stateDir).some((x) => x.event === 'WsDisconnected' && String(x.reason).startsWith('idle')),
      15_000,
      100,
    );
    await waitFor('StaleData', () => readEvents(e.stateDir).some((x) => x.event === 'StaleData'), 15_000, 100);
    await waitFor('data after the silence', () => connects(e.stateDir).some((c) => c.ts > silentAt + 12_000), 60_000, 100);
    const report = await stopWithKillFile(e);
    assert.equal(report.errors, 0);
  });

  test('garbage and oversized frames mixed into the stream', async () => {
    const e = await startEngine([]);
    await postSimFault(e.port, { kind: 'garbage', count: 60 });
    // garbage is mixed into the stream one frame per tick: all of it is on the socket before the oversized frame
    await waitFor('the garbage to be sent', async () => (await simStatus(e.port)).garbagePending === 0, 30_000, 100);
    const before = connects(e.stateDir).length;
    await postSimFault(e.port, { kind: 'oversized' });
    // a frame over maxPayload (64 KiB) errors the socket: the engine reconnects instead of crashing
    await waitFor('the reconnect after the oversized frame', () => connects(e.stateDir).length > before, 20_000, 100);
    const drop = readEvents(e.stateDir).find((x) => x.event === 'WsDisconnected');
    assert.ok(drop, 'the oversized frame closed the socket');
    const report = await stopWithKillFile(e);
    assert.equal(report.errors, 0);
    assert.ok(report.badFrames >= 30, `bad frames counted (${report.badFrames})`);
    const bad = readEvents(e.stateDir)
      .filter((x) => x.event === 'BadFrames')
      .at(-1)!;
    assert.ok(Object.keys(bad.byReason as object).length >= 3, `counted by reason: ${JSON.stringify(bad.byReason)}`);
  });

  test('minutes of klines skipped are backfilled from REST', async () => {
    const e = await startEngine([]);
    await postSimFault(e.port, { kind: 'skipKlines', minutes: 3 });
    const gap = await waitFor('GapBackfilled', () => readEvents(e.stateDir).find((x) => x.event === 'GapBackfilled'), 60_000, 100);
    assert.equal(gap.candles, 3);
    await new Promise((r) => setTimeout(r, 7000)); // a candle after the gap
    const report = await stopWithKillFile(e);
    assert.equal(report.errors, 0);
    const ts = (await import('node:fs'))
      .readFileSync(path.join(e.stateDir, 'candles.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    for (let i = 1; i < ts.length; i++) assert.equal(ts[i]! - ts[i - 1]!, 60_000, `candles contiguous at ${new Date(ts[i]!).toISOString()}`);
  });

  test('--max-ws-errors consecutive failures end the session with exit code 1', async () => {
    const e = await startEngine(['--max-ws-errors', '3', '--backoff-base', '1', '--backoff-max', '2']);
    await postSimFault(e.port, { kind: 'refuse', ms: 600_000 });
    await postSimFault(e.port, { kind: 'drop' });
    const { code } = await e.r.exit;
    assert.equal(code, 1);
    const events = readEvents(e.stateDir);
    assert.ok(events.some((x) => x.event === 'WsFatal'));
    const report = readJson<{ reason: string; exitCode: number }>(path.join(e.stateDir, 'final_report.json'));
    assert.equal(report.reason, 'ws_fatal');
    assert.equal(report.exitCode, 1);
  });
});
