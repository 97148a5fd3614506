// Measures reconnect times: server back → first tick, for network cuts of several lengths,
// with the default backoff (first retry immediate, then 5 s × 2^n with jitter, capped at 60 s).
//   npm run build && node --import tsx scripts/reconnect-times.ts [--cuts 5,20,45]
import path from 'node:path';
import { MAIN, readEvents, run, tempDir, waitFor } from '../tests/helpers/engine.js';

const i = process.argv.indexOf('--cuts');
const cuts = (i > 0 ? process.argv[i + 1]! : '5,20,45').split(',').map(Number);
const stateDir = path.join(tempDir('la-reconnect-'), 'BTCUSDT');
const engine = run(MAIN, ['--feed', 'sim', '--sim-speed', '1', '--state-dir', stateDir, '--max-ws-errors', '50']);
const rows: string[] = [];
try {
  const port = await waitFor('the simulator port', () => /"port":(\d+)[^\n]*embedded simulator listening/.exec(engine.stdout())?.[1], 20_000, 50);
  await waitFor('market data', () => readEvents(stateDir).some((e) => e.event === 'WsConnected'), 20_000);
  const fault = (f: object): Promise<Response> => fetch(`http://127.0.0.1:${port}/sim/fault`, { method: 'POST', body: JSON.stringify(f) });
  for (const cut of cuts) {
    await fault({ kind: 'refuse', ms: cut * 1000 });
    await fault({ kind: 'drop' });
    const back = Date.now() + cut * 1000;
    const resumed = await waitFor(
      'data after the cut',
      () => readEvents(stateDir).find((e) => e.event === 'WsConnected' && e.ts > back),
      cut * 1000 + 120_000,
      50,
    );
    const attempts = readEvents(stateDir).filter((e) => e.event === 'WsDisconnected' && e.ts >= back - cut * 1000).length;
    rows.push(`| ${cut} s | ${((resumed.ts - back) / 1000).toFixed(2)} s | ${attempts} |`);
    process.stderr.write(`cut ${cut} s: first tick ${((resumed.ts - back) / 1000).toFixed(2)} s after the server came back (${attempts} failed attempts)\n`);
    await new Promise((r) => setTimeout(r, 2000));
  }
} finally {
  engine.child.kill('SIGINT');
  await engine.exit;
}
console.log(['| network cut | server back → first tick | failed attempts |', '|---|---|---|', ...rows].join('\n'));
