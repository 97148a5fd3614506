// Under pm2 (issue 5): the app from ecosystem.config.cjs reaches `online` after the engine's `ready`,
// a kill -9 is restarted by pm2 and resumes the open position, and `pm2 stop` ends it cleanly with its
// state saved. PM2_HOME is a temp folder; `pm2 kill` always runs at the end.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { flipArgs, readEvents, readJson, ROOT, tempDir, waitFor, waitForSnapshotPosition } from './helpers/engine.js';

const exec = promisify(execFile);
const PM2 = path.join(ROOT, 'node_modules', '.bin', 'pm2');
const home = tempDir('la-pm2-home-');
const env = { ...process.env, PM2_HOME: home };
const pm2 = async (...args: string[]): Promise<string> => (await exec(PM2, args, { env, cwd: ROOT, timeout: 60_000 })).stdout;

after(async () => {
  await pm2('kill').catch(() => {});
});

interface Proc {
  name: string;
  pid: number;
  pm2_env: { status: string; restart_time: number };
}
const list = async (): Promise<Proc[]> => JSON.parse(await pm2('jlist')) as Proc[];

test('pm2: online after ready, kill -9 restarted and resumed, pm2 stop saves and exits cleanly', async () => {
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  // The project's own app definition, pointed at the simulator and a temp state directory.
  const require = createRequire(import.meta.url);
  const eco = require(path.join(ROOT, 'ecosystem.config.cjs')) as { apps: Array<Record<string, unknown>> };
  const app = eco.apps.find((a) => a.name === 'engine-BTCUSDT');
  assert.ok(app, 'ecosystem.config.cjs defines engine-BTCUSDT');
  assert.equal(app.wait_ready, true);
  // 0 is not a stop code: pm2 reports a signal death as exit 0, and a killed engine must come back
  assert.deepEqual(app.stop_exit_codes, [2, 3]);
  const testApp = {
    ...app,
    args: ['--symbol', 'BTCUSDT', ...flipArgs(stateDir, ['--sim-seed', '8'])],
    out_file: path.join(home, 'out.log'),
    error_file: path.join(home, 'err.log'),
  };
  const ecoFile = path.join(home, 'ecosystem.config.cjs' /* pm2 only reads *.config.cjs as app definitions */);
  writeFileSync(ecoFile, `module.exports = ${JSON.stringify({ apps: [testApp] })};\n`);

  await pm2('start', ecoFile, '--only', 'engine-BTCUSDT'); // returns once the engine sent 'ready'
  const first = (await list()).find((p) => p.name === 'engine-BTCUSDT')!;
  assert.equal(first.pm2_env.status, 'online');
  const fill = await waitFor('a Fill', () => readEvents(stateDir).find((e) => e.event === 'Fill'), 60_000);
  await waitForSnapshotPosition(stateDir, fill.orderId);

  process.kill(first.pid, 'SIGKILL');
  const restarted = await waitFor(
    'a new online engine and its StateLoaded',
    () => {
      const loaded = readEvents(stateDir).filter((e) => e.event === 'StateLoaded');
      return loaded.length >= 2 ? loaded : null;
    },
    60_000,
  );
  assert.equal(restarted[1]!.source, 'primary');
  const procs = await list();
  const now = procs.find((p) => p.name === 'engine-BTCUSDT')!;
  assert.notEqual(now.pid, first.pid);
  assert.ok(now.pm2_env.restart_time >= 1, 'pm2 counted the restart');
  await waitFor('the resumed engine to be ready', () => readEvents(stateDir).filter((e) => e.event === 'WsConnected').length >= 2, 30_000);

  await pm2('stop', 'engine-BTCUSDT');
  const stopped = (await list()).find((p) => p.name === 'engine-BTCUSDT')!;
  assert.equal(stopped.pm2_env.status, 'stopped');
  const events = readEvents(stateDir);
  const end = events.filter((e) => e.event === 'SessionEnd').at(-1)!;
  assert.equal(end.reason, 'signal');
  assert.equal(end.exitCode, 0);
  const state = readJson<{ position: { orderId: string } | null; seq: number }>(path.join(stateDir, 'state.json'));
  assert.equal(state.position?.orderId, fill.orderId, 'a signal stop keeps the resumed position for the next start');
  assert.equal(state.seq, events.at(-1)!.seq, 'the final snapshot includes the whole journal');
});
