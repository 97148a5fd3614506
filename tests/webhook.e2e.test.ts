// --webhook against a running engine: a local receiver gets a JSON notification for a fill, an exit
// and the session end, with the journal's fields; receivers that hang or answer 500 cost counted
// warnings but the session trades on, ends on time with exit 0, and its stop-decision latency stays
// where it is without webhooks; the kill switch's HALTED state is notified before the session end.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, logLines, MAIN, readEvents, readJson, run, tempDir, waitFor } from './helpers/engine.js';

async function receiver(answer: 'ok' | 'hang' | '500'): Promise<{ url: string; bodies: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      bodies.push(JSON.parse(body) as Record<string, unknown>);
      if (answer === 'hang') return;
      res.statusCode = answer === '500' ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    bodies,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * A short, busy simulated session: an entry on every candle, tight stops, so fills and exits come fast.
 * Small positions and a low fee keep it inside the daily loss limit, so it holds positions (and decides
 * stops) all session long, not only in its first seconds.
 */
function session(stateDir: string, webhooks: string[]) {
  return run(MAIN, [
    '--feed',
    'sim',
    '--sim-speed',
    '240',
    '--sim-seed',
    '5',
    '--seed',
    '5',
    '--duration',
    '0.3',
    '--strategy',
    path.join(FIXTURES, 'fast-strategy.mjs'),
    '--min-trade-interval',
    '0',
    '--stop-bps',
    '8',
    '--latency-ms',
    '20-60',
    '--risk-pct',
    '0.1',
    '--taker-bps',
    '1',
    '--max-drawdown-pct',
    '100',
    '--max-losses',
    '1000',
    '--state-dir',
    stateDir,
    ...webhooks.flatMap((u) => ['--webhook', u]),
  ]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]!;
}

test('a local receiver gets a notification for each fill and exit and for the session end', async () => {
  const rx = await receiver('ok');
  try {
    const stateDir = path.join(tempDir(), 'BTCUSDT');
    const r = session(stateDir, [rx.url]);
    const { code } = await r.exit;
    assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
    const events = readEvents(stateDir);
    const journalFills = events.filter((e) => e.event === 'Fill');
    const journalExits = events.filter((e) => e.event === 'Exit');
    assert.ok(journalFills.length >= 1 && journalExits.length >= 1, `the session traded (${journalFills.length} fills, ${journalExits.length} exits)`);
    const got = (name: string): Record<string, unknown>[] => rx.bodies.filter((b) => b.event === name);
    assert.equal(got('Fill').length, journalFills.length, 'one notification per fill');
    assert.equal(got('Exit').length, journalExits.length, 'one notification per exit');
    assert.equal(got('SessionEnd').length, 1, 'the session end was delivered before the process exited');
    assert.equal(rx.bodies.at(-1)!.event, 'SessionEnd');
    const fill = journalFills[0]!;
    const doc = got('Fill').find((b) => b.seq === fill.seq)!;
    assert.ok(doc, 'the notification carries the journal seq');
    for (const k of ['orderId', 'side', 'price', 'qty', 'fee', 'sl', 'tp', 'at'] as const) assert.deepEqual(doc[k], fill[k], k);
    assert.equal(doc.symbol, 'BTCUSDT');
    assert.match(String(doc.text), /^BTCUSDT: opened (LONG|SHORT) /);
    assert.match(String(got('Exit')[0]!.text), /^BTCUSDT: closed by (SL|TP|TRAIL|FORCE_CLOSE|BREAKER) /);
    assert.match(String(got('SessionEnd')[0]!.text), /^BTCUSDT: session ended \(duration, exit 0/);
    assert.ok(!rx.bodies.some((b) => ['OrderQueued', 'WsConnected', 'StopMoved'].includes(String(b.event))), 'only the notified events');
  } finally {
    await rx.close();
  }
});

test('receivers that hang or answer 500: counted warnings, the session trades on and ends on time, stop decisions as fast', async (t) => {
  const hang = await receiver('hang');
  const failing = await receiver('500');
  try {
    // Both sessions run at once, so a busy machine slows them alike and the comparison stays fair.
    const baseDir = path.join(tempDir(), 'BTCUSDT');
    const dir = path.join(tempDir(), 'BTCUSDT');
    const started = Date.now();
    const base = session(baseDir, []);
    const r = session(dir, [hang.url, failing.url]);
    const { code } = await r.exit;
    const wallSec = (Date.now() - started) / 1000;
    assert.equal((await base.exit).code, 0, base.stderr());
    assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
    assert.ok(wallSec < 18 + 15, `the session ended on time (${wallSec.toFixed(1)} s for an 18 s session)`);

    const report = readJson<{ trades: number; errors: number }>(path.join(dir, 'final_report.json'));
    const baseReport = readJson<{ trades: number }>(path.join(baseDir, 'final_report.json'));
    assert.equal(report.errors, 0, 'a failing webhook is not a session error');
    assert.ok(report.trades >= 1, `it traded (${report.trades} round trips; ${baseReport.trades} without webhooks)`);
    assert.ok(hang.bodies.length >= 1 && failing.bodies.length >= 1, 'both receivers were tried');

    const warns = logLines(r.stdout()).filter((l) => l.level === 40 && String(l.msg).startsWith('webhook notification'));
    assert.ok(
      warns.some((w) => w.url === failing.url && w.err === 'HTTP 500'),
      'the 500s are warned about',
    );
    assert.ok(
      warns.some((w) => w.url === hang.url && /no answer within/.test(String(w.err))) ||
        logLines(r.stdout()).some((l) => l.msg === 'webhook notifications not delivered before shutdown'),
      'the hanging receiver is warned about',
    );

    const p99 = (out: string): number[] =>
      logLines(out)
        .filter((l) => l.hb === true && Number(l.stopDecisionP99Us) > 0)
        .map((l) => Number(l.stopDecisionP99Us));
    // one figure per heartbeat with a position: a median over the session, not over its cold start
    const hookSamples = p99(r.stdout());
    const baseSamples = p99(base.stdout());
    assert.ok(
      hookSamples.length >= 10 && baseSamples.length >= 10,
      `stop decisions all session long (${hookSamples.length} and ${baseSamples.length} seconds)`,
    );
    const withHooks = median(hookSamples);
    const without = median(baseSamples);
    t.diagnostic(`stop decision p99 median ${withHooks} µs with failing webhooks, ${without} µs without (${hookSamples.length}/${baseSamples.length} s)`);
    // the notifier does no work on the tick path: the same seeded session decides stops as fast
    assert.ok(withHooks <= Math.max(3 * without, without + 500), `stop decision p99 median: ${withHooks} µs with failing webhooks, ${without} µs without`);
  } finally {
    await hang.close();
    await failing.close();
  }
});

test('the kill switch: the receiver is told trading is HALTED (kill_switch), then that the session ended', async () => {
  const rx = await receiver('ok');
  try {
    const stateDir = path.join(tempDir(), 'BTCUSDT');
    const r = run(MAIN, ['--feed', 'sim', '--sim-speed', '60', '--state-dir', stateDir, '--webhook', rx.url]);
    await waitFor('the first tick', () => readEvents(stateDir).some((e) => e.event === 'WsConnected'), 30_000, 100);
    writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
    assert.equal((await r.exit).code, 0, r.stderr() + r.stdout().slice(-2000));
    const halted = rx.bodies.find((b) => b.event === 'TradingState' && b.state === 'HALTED');
    assert.ok(halted, `a TradingState notification (got ${rx.bodies.map((b) => b.event).join(', ')})`);
    assert.equal(halted.reason, 'kill_switch');
    assert.match(String(halted.text), /^BTCUSDT: trading HALTED \(kill_switch\)/);
    const end = rx.bodies.at(-1)!;
    assert.deepEqual([end.event, end.reason], ['SessionEnd', 'kill_file']);
  } finally {
    await rx.close();
  }
});
