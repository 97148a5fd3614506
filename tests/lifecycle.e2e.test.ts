// Every way a session ends (issue 5, SPEC §6), in a real child process with a real signal or file:
// the exit code, the final snapshot, SessionEnd {reason}, the position closed or kept as specified,
// the lock released. And the status endpoint: /health follows the data, /metrics is Prometheus text.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { embeddedSimPort, FIXTURES, flipArgs, MAIN, postSimFault, readEvents, readJson, run, tempDir, waitFor, type Run } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';

/** An engine on the embedded simulator, flip strategy, wide stop. */
function flipEngine(stateDir: string, extra: string[]): Run {
  return run(MAIN, flipArgs(stateDir, extra));
}

/** An engine on the embedded simulator that holds a position (wide stop, flip strategy). */
async function holding(extra: string[] = []): Promise<{ r: Run; stateDir: string; orderId: string }> {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = flipEngine(stateDir, extra);
  const fill = await waitFor('a Fill', () => readEvents(stateDir).find((e) => e.event === 'Fill'), 60_000, 100);
  return { r, stateDir, orderId: fill.orderId as string };
}

interface Ended {
  code: number | null;
  reason: string;
  position: { orderId: string } | null;
}

async function ended(h: { r: Run; stateDir: string }): Promise<Ended> {
  const { code } = await h.r.exit;
  const events = readEvents(h.stateDir);
  const end = events.filter((e) => e.event === 'SessionEnd').at(-1);
  assert.ok(end, `SessionEnd journaled\n${h.r.stderr()}\n${h.r.stdout().slice(-2000)}`);
  const state = readJson<{ position: { orderId: string } | null; seq: number }>(path.join(h.stateDir, 'state.json'));
  assert.equal(state.seq, events.at(-1)!.seq, 'the final snapshot includes every journal event');
  assert.ok(!existsSync(path.join(h.stateDir, 'state.json.lock')), 'the lock is released');
  const report = readJson<{ reason: string; exitCode: number }>(path.join(h.stateDir, 'final_report.json'));
  assert.equal(report.reason, end.reason);
  assert.equal(report.exitCode, code);
  return { code, reason: end.reason as string, position: state.position };
}

describe('shutdown causes', { concurrency: 2 }, () => {
  test('SIGINT: exit 0, the position is kept for the next start', async () => {
    const h = await holding();
    h.r.child.kill('SIGINT');
    const e = await ended(h);
    assert.deepEqual([e.code, e.reason], [0, 'signal']);
    assert.equal(e.position?.orderId, h.orderId);
  });

  test('SIGTERM: exit 0, the position is kept for the next start', async () => {
    const h = await holding();
    h.r.child.kill('SIGTERM');
    const e = await ended(h);
    assert.deepEqual([e.code, e.reason], [0, 'signal']);
    assert.equal(e.position?.orderId, h.orderId);
  });

  test('kill file: exit 0, the position is closed (FORCE_CLOSE), the file is removed', async () => {
    const h = await holding();
    const kill = path.join(h.stateDir, 'kill.txt');
    writeFileSync(kill, 'stop\n');
    const e = await ended(h);
    assert.deepEqual([e.code, e.reason, e.position], [0, 'kill_file', null]);
    assert.ok(!existsSync(kill), 'the kill file is removed when seen');
    const exit = readEvents(h.stateDir)
      .filter((x) => x.event === 'Exit')
      .find((x) => x.orderId === h.orderId);
    assert.equal(exit?.reason, 'FORCE_CLOSE');
  });

  test('duration: exit 0, the position is closed (FORCE_CLOSE)', async () => {
    const h = await holding(['--duration', '0.25']);
    const e = await ended(h);
    assert.deepEqual([e.code, e.reason, e.position], [0, 'duration', null]);
  });

  test('memory cap: a graceful stop with exit 1 (pm2 restarts it), position kept', async () => {
    // Any engine is over 64 MB at its first heartbeat, so the position is opened by a first run and the capped
    // run starts holding it (a cap from the start would race the first fill).
    const first = await holding();
    first.r.child.kill('SIGINT');
    assert.equal((await ended(first)).position?.orderId, first.orderId);
    const h = { r: flipEngine(first.stateDir, ['--max-rss-mb', '64']), stateDir: first.stateDir, orderId: first.orderId };
    const e = await ended(h);
    assert.deepEqual([e.code, e.reason], [1, 'memory']);
    assert.equal(e.position?.orderId, h.orderId);
    assert.match(readJson<{ lastError: string }>(path.join(h.stateDir, 'final_report.json')).lastError, /memory cap/);
  });

  test('a second SIGINT while stopping changes nothing (shutdown is idempotent)', async () => {
    const h = await holding();
    h.r.child.kill('SIGINT');
    h.r.child.kill('SIGINT');
    const e = await ended(h);
    assert.deepEqual([e.code, e.reason], [0, 'signal']);
    assert.equal(readEvents(h.stateDir).filter((x) => x.event === 'SessionEnd').length, 1);
  });
});

test('status endpoint: /health 503 while the simulator is silent, 200 after; /metrics passes promtool with histograms', async (t) => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, ['--feed', 'sim', '--sim-speed', '5', '--state-dir', stateDir, '--http-port', '0', '--stale-timeout', '3', '--idle-timeout', '2']);
  try {
    const url = await waitFor(
      'the status endpoint',
      () => /"url":"(http:\/\/127\.0\.0\.1:\d+)\/"[^\n]*status endpoint listening/.exec(r.stdout())?.[1],
      20_000,
      50,
    );
    const simPort = await embeddedSimPort(r);
    const health = async (): Promise<{ status: number; body: { healthy: boolean; reason: string } }> => {
      const res = await fetch(`${url}/health`);
      return { status: res.status, body: (await res.json()) as { healthy: boolean; reason: string } };
    };
    await waitFor('/health 200 once data flows', async () => (await health()).status === 200, 20_000, 200);

    // The old la_* gauges (la_loop_lag_p99_ms, la_rss_mb, ...) failed promtool's lint; the conventions'
    // names, histograms and prom-client's process_* metrics replace them.
    await waitFor(
      'ticks in the tick-age histogram',
      async () => /laptop_agents_tick_age_seconds_count\{[^}]*\} [1-9]/.test(await (await fetch(`${url}/metrics`)).text()),
      20_000,
      250,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' });
    if (promtool.error) lacking(t, `promtool not installed (${promtool.error.message}): the lint is not run`);
    else assert.equal(promtool.status, 0, `promtool check metrics:\n${promtool.stdout}${promtool.stderr}`);
    for (const n of [
      'laptop_agents_ticks_total',
      'laptop_agents_bad_frames_total',
      'laptop_agents_reconnects_total',
      'laptop_agents_equity',
      'laptop_agents_unrealized_pnl',
      'laptop_agents_position_size',
      'laptop_agents_last_tick_age_seconds',
      'process_resident_memory_bytes',
    ]) {
      assert.match(metrics, new RegExp(`^${n}(\\{[^}]*\\})? `, 'm'), n);
    }
    for (const h of ['stop_decision', 'tick_age', 'event_loop_lag']) {
      assert.match(metrics, new RegExp(`^# TYPE laptop_agents_${h}_seconds histogram$`, 'm'));
      assert.match(metrics, new RegExp(`^laptop_agents_${h}_seconds_bucket\\{le="\\+Inf",symbol="BTCUSDT"\\} \\d+$`, 'm'));
    }
    assert.match(metrics, /^laptop_agents_websocket_state\{symbol="BTCUSDT",state="open"\} 1$/m);
    assert.match(metrics, /^laptop_agents_trading_state\{symbol="BTCUSDT",state="ACTIVE",reason=""\} 1$/m);
    assert.match(metrics, /^laptop_agents_trading_state\{symbol="BTCUSDT",state="HALTED",reason=""\} 0$/m);
    assert.match(metrics, /^laptop_agents_blind_spans_total\{symbol="BTCUSDT"\} \d+$/m);

    await postSimFault(simPort, { kind: 'silence', ms: 10_000 });
    const down = await waitFor(
      '/health 503 while silent',
      async () => {
        const h = await health();
        return h.status === 503 ? h : null;
      },
      15_000,
      200,
    );
    assert.equal(down.body.healthy, false);
    const up = await waitFor(
      '/health 200 after recovery',
      async () => {
        const h = await health();
        return h.status === 200 ? h : null;
      },
      40_000,
      250,
    );
    assert.equal(up.body.healthy, true);
  } finally {
    r.child.kill('SIGINT');
    assert.equal((await r.exit).code, 0);
  }
});

test('error budget: the 20th session error ends the session with exit 1, errors counted, state saved', async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, ['--feed', 'sim', '--sim-speed', '240', '--state-dir', stateDir, '--strategy', path.join(FIXTURES, 'always-throw-strategy.mjs')]);
  const { code } = await r.exit;
  assert.equal(code, 1, r.stderr());
  const report = readJson<{ reason: string; errors: number; status: string }>(path.join(stateDir, 'final_report.json'));
  assert.deepEqual([report.reason, report.errors, report.status], ['error_budget', 20, 'error']);
  assert.equal(readEvents(stateDir).filter((e) => e.event === 'StrategyError').length, 20);
  assert.ok(!existsSync(path.join(stateDir, 'state.json.lock')));
});
