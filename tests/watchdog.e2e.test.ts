// The frozen-loop watchdog (SPEC §6): when the main thread stops stamping its heartbeat for longer than
// the limit, the watchdog thread kills the process so pm2 can restart it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/engine.js';

test('a main loop frozen past the limit is killed by the watchdog thread', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests', 'fixtures', 'frozen-loop.ts'), '700'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const started = Date.now();
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (c, s) => resolve({ code: c, signal: s })),
  );
  const seconds = (Date.now() - started) / 1000;
  assert.match(out, /frozen/);
  assert.doesNotMatch(out, /survived/, 'the frozen loop never got to finish');
  assert.equal(signal, 'SIGKILL', `exit ${code} ${signal}: ${err}`);
  assert.match(err, /main loop frozen/, 'it says why, on stderr, before killing');
  assert.ok(seconds < 25, `killed well before the 30 s busy loop ended (${seconds.toFixed(1)} s)`);
});

test('a process suspended (SIGSTOP) for longer than the limit is not killed when it continues', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tests', 'fixtures', 'suspended-loop.ts'), '700', '7000'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (c, s) => resolve({ code: c, signal: s })));
  try {
    const deadline = Date.now() + 20_000;
    while (!out.includes('beating') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, /beating/, `the fixture started: ${err}`);
    await new Promise((r) => setTimeout(r, 500)); // some healthy beats first
    child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3000)); // four limits
    child.kill('SIGCONT');
    const { code, signal } = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running 15 s after SIGCONT: ${out}`)), 15_000)),
    ]);
    assert.equal(signal, null, `not killed (${signal}): ${err}`);
    assert.equal(code, 0);
    assert.match(err, /process was suspended for about \d+ ms/, 'the watchdog says why it did not kill');
    assert.match(out, /survived/);
    assert.doesNotMatch(err, /main loop frozen/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
