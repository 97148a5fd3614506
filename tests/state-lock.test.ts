// One engine per state dir: a live holder makes a second acquirer fail without waiting for `stale`, with a
// message naming the dir; a lock left by a SIGKILLed process is taken over once stale.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockedError, acquireStateLock, lockTimings } from '../src/workers/store/state-lock.js';

const STALE = 2000; // proper-lockfile's minimum, to keep the test short
const tmpDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'state-lock-'));
const noCompromise = (err: Error): void => assert.fail(`lock compromised: ${err.message}`);

test('timings: refresh at most every stale/2, takeover wait longer than stale', () => {
  for (const stale of [2000, 10_000]) {
    const t = lockTimings(stale);
    assert.ok(t.update <= stale / 2 && t.update >= 1000, `update ${t.update}`);
    assert.ok(t.watch > t.update, 'watch sees at least one refresh of a live holder');
    assert.ok(t.retries.retries * t.retries.minTimeout > stale + 1000, 'waits past stale + mtime rounding');
  }
  assert.equal(lockTimings(10_000).stale, 10_000);
  assert.equal(lockTimings(10_000).update, 2000);
  assert.equal(lockTimings(500).stale, 2000); // clamped like proper-lockfile does
});

test('a second acquirer on a held dir gets LockedError naming the dir; after release it succeeds', async () => {
  const dir = tmpDir();
  const first = await acquireStateLock(dir, noCompromise, STALE);
  assert.equal(existsSync(path.join(dir, 'state.json.lock')), true);
  await assert.rejects(acquireStateLock(dir, noCompromise, STALE), (e: unknown) => {
    assert.ok(e instanceof LockedError);
    assert.equal(e.name, 'LockedError');
    assert.equal(e.message, `state directory ${dir} is locked by another running engine`);
    return true;
  });
  await first.release();
  await first.release(); // idempotent
  assert.equal(existsSync(path.join(dir, 'state.json.lock')), false);
  const second = await acquireStateLock(dir, noCompromise, STALE);
  await second.release();
});

test('a lock left by a SIGKILLed process is taken over once stale', async () => {
  const dir = tmpDir();
  const script = path.join(dir, 'holder.mjs');
  const moduleUrl = new URL('../src/workers/store/state-lock.ts', import.meta.url).href;
  writeFileSync(
    script,
    `import { acquireStateLock } from ${JSON.stringify(moduleUrl)};\n` +
      `await acquireStateLock(${JSON.stringify(dir)}, () => {}, ${STALE});\n` +
      `process.stdout.write('locked\\n');\n` +
      `setInterval(() => {}, 1000);\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
    assert.equal(chunk.toString(), 'locked\n');
    // Alive and refreshing: refused.
    await assert.rejects(acquireStateLock(dir, noCompromise, STALE), LockedError);
  } finally {
    child.kill('SIGKILL');
  }
  await once(child, 'exit');
  assert.equal(child.signalCode, 'SIGKILL');
  assert.equal(existsSync(path.join(dir, 'state.json.lock')), true, 'SIGKILL leaves the lock behind');
  // Dead holder: no refresh is seen, so the acquirer waits until the lock is stale and takes it.
  const taken = await acquireStateLock(dir, noCompromise, STALE);
  assert.equal(existsSync(path.join(dir, 'state.json.lock')), true);
  await taken.release();
  assert.equal(existsSync(path.join(dir, 'state.json.lock')), false);
});
