// The frozen-loop watchdog (SPEC §6): when the main thread stops stamping its heartbeat for longer than
// the limit, the watchdog thread kills the process so pm2 can restart it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/engine.js';

test('a main loop frozen past the limit is killed by the watchdog thread', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests', 'fixtures', 'frozen-loop.ts'), '700'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const started = Date.now();
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (c, s) => resolve({ code: c, signal: s })));
  const seconds = (Date.now() - started) / 1000;
  assert.match(out, /frozen/);
  assert.doesNotMatch(out, /survived/, 'the frozen loop never got to finish');
  assert.equal(signal, 'SIGKILL', `exit ${code} ${signal}: ${err}`);
  assert.match(err, /main loop frozen/, 'it says why, on stderr, before killing');
  assert.ok(seconds < 25, `killed well before the 30 s busy loop ended (${seconds.toFixed(1)} s)`);
});
