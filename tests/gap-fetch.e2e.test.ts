// A candle gap with a position open needs the gap's 1-minute candles twice: to backfill the missing candles and
// to judge the position on what the engine did not see (a blind span). The real engine, recording its frame log,
// trades against its embedded simulator; with a position open the simulator withholds three minutes of klines and
// serves them from REST with a low of 1. The exchange is asked once for those minutes, and each corrupt candle is
// refused (and counted) once.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { after, test } from 'node:test';
import { KLINE_PATH } from '../src/shared/bitunix/index.js';
import { embeddedSimPort, FIXTURES, logLines, MAIN, postSimFault, readEvents, readJson, run, tempDir, waitFor, type Run } from './helpers/engine.js';

const engines: Run[] = [];
after(() => {
  for (const r of engines) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
});

/** The REST requests the session made, from its frame log: [wall ms, path and query]. */
function restRequests(recording: string): [number, string][] {
  const out: [number, string][] = [];
  for (const f of readdirSync(recording).filter((n) => n.endsWith('.frames.jsonl.gz'))) {
    for (const line of gunzipSync(readFileSync(path.join(recording, f)))
      .toString('utf8')
      .split('\n')) {
      if (!line.includes('"rest":')) continue;
      const l = JSON.parse(line) as { t: number; rest?: string };
      if (l.rest !== undefined) out.push([l.t, l.rest]);
    }
  }
  return out;
}

test('a candle gap with a position open: one REST request for its minutes, each corrupt candle counted once', { timeout: 180_000 }, async () => {
  const root = tempDir('la-gap-fetch-');
  const stateDir = path.join(root, 'BTCUSDT');
  const recording = path.join(root, 'rec');
  // biome-ignore format: flag and value pairs
  const r = run(MAIN, ['--feed', 'sim', '--sim-speed', '10', '--state-dir', stateDir, '--record', recording, '--latency-ms', '50-100',
    '--strategy', path.join(FIXTURES, 'fast-strategy.mjs'), '--stop-bps', '3000', '--tp-r', '20']);
  engines.push(r);
  const port = await embeddedSimPort(r);
  const fill = await waitFor('a Fill', () => readEvents(stateDir).find((e) => e.event === 'Fill'), 60_000, 100);
  const skippedAt = Date.now();
  await postSimFault(port, { kind: 'skipKlines', minutes: 3, restLow: 1 });
  const gap = await waitFor('the skipped minutes backfilled', () => readEvents(stateDir).find((e) => e.event === 'GapBackfilled'), 90_000, 200);
  assert.equal(gap.candles, 0, 'every corrupt candle was refused');
  await waitFor('the gap judged as a blind span', () => logLines(r.stdout()).find((l) => l.msg === 'blind span judged on its candles'), 30_000, 200);
  writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));

  const spans = readEvents(stateDir).filter((e) => e.event === 'BlindSpan');
  assert.deepEqual(
    spans.map((s) => s.causes),
    [['gap']],
    'the gap, with the position open, is one blind span',
  );
  const exit = readEvents(stateDir).find((e) => e.event === 'Exit' && e.orderId === fill.orderId && e.recovered === true);
  assert.equal(exit, undefined, 'no corrupt candle closed the position');
  const klineAsks = restRequests(recording)
    .filter(([t, q]) => t >= skippedAt && q.startsWith(KLINE_PATH))
    .map(([, q]) => q);
  assert.equal(klineAsks.length, 1, `one kline request for the gap's minutes, shared by the backfill and the span: ${JSON.stringify(klineAsks)}`);
  const bad = readEvents(stateDir)
    .filter((e) => e.event === 'BadFrames')
    .at(-1);
  const byReason = (bad?.byReason ?? {}) as Record<string, number>;
  assert.equal(byReason.rest_implausible_price, 3, `three corrupt minutes, each refused once: ${JSON.stringify(byReason)}`);
  const report = readJson<{ errors: number; badFrames: number }>(path.join(stateDir, 'final_report.json'));
  assert.equal(report.errors, 0);
  assert.equal(report.badFrames, bad?.total, 'the final report counts what the journal does');
});
