// One engine per state dir: a live holder makes a second acquirer fail at once with a message naming the
// dir; a lock whose recorded owner is dead (SIGKILLed, or its pid reused) is taken over at once; a lock
// without an owner record falls back to the mtime watch and the stale takeover; a lock taken from under
// its holder calls onCompromised.
import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os, { hostname } from 'node:os';
import path from 'node:path';
import { LockedError, OWNER_FILE, acquireStateLock, lockDir, lockTimings, ownerAlive, selfOwner, type LockOwner } from '../src/workers/store/state-lock.js';

const STALE = 2000; // proper-lockfile's minimum, to keep the fallback tests short
const tmpDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'state-lock-'));
const noCompromise = (err: Error): void => assert.fail(`lock compromised: ${err.message}`);
const readOwnerFile = (dir: string): LockOwner => JSON.parse(readFileSync(path.join(lockDir(dir), OWNER_FILE), 'utf8')) as LockOwner;
/** A lock directory as another process would leave it, with the given owner record (or none). */
function plantLock(dir: string, owner: LockOwner | null): void {
  mkdirSync(lockDir(dir));
  if (owner) writeFileSync(path.join(lockDir(dir), OWNER_FILE), JSON.stringify(owner));
}
/** The pid of a process that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

/** A child process that takes the lock (default 10 s staleness, as the engine) and reports 'locked'. */
async function holder(dir: string): Promise<ChildProcess> {
  const script = path.join(dir, 'holder.mjs');
  const moduleUrl = new URL('../src/workers/store/state-lock.ts', import.meta.url).href;
  writeFileSync(
    script,
    `import { acquireStateLock } from ${JSON.stringify(moduleUrl)};\n` +
      `await acquireStateLock(${JSON.stringify(dir)}, () => {});\n` +
      `process.stdout.write('locked\\n');\n` +
      `setInterval(() => {}, 1000);\n`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: new URL('..', import.meta.url).pathname,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [chunk] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.equal(chunk.toString(), 'locked\n');
  return child;
}

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

test('the lock records its owner; a second acquirer gets LockedError naming the dir; release removes it all', async () => {
  const dir = tmpDir();
  const first = await acquireStateLock(dir, noCompromise, STALE);
  assert.deepEqual(readOwnerFile(dir), selfOwner());
  assert.equal(readOwnerFile(dir).pid, process.pid);
  assert.equal(ownerAlive(readOwnerFile(dir)), true);
  await assert.rejects(acquireStateLock(dir, noCompromise, STALE), (e: unknown) => {
    assert.ok(e instanceof LockedError);
    assert.equal(e.name, 'LockedError');
    assert.equal(e.message, `state directory ${dir} is locked by another running engine`);
    return true;
  });
  await first.release();
  await first.release(); // idempotent
  assert.equal(existsSync(lockDir(dir)), false, 'the lock dir and its owner file are removed');
  const second = await acquireStateLock(dir, noCompromise, STALE);
  await second.release();
});

test("writing the owner file does not trip proper-lockfile's own mtime check over several refreshes", async () => {
  const dir = tmpDir();
  let compromised: Error | null = null;
  const held = await acquireStateLock(dir, (e) => (compromised = e), STALE);
  await new Promise((r) => setTimeout(r, 3 * lockTimings(STALE).update + 300));
  assert.equal(compromised, null);
  await held.release();
  assert.equal(existsSync(lockDir(dir)), false);
});

const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
/**
 * Run `decide` with the clock frozen: `Date` and, where no lock is taken, `setTimeout` too. The owner-file
 * paths decide from the file alone; the mtime watch sleeps between readings until `Date.now()` passes its
 * deadline and the stale takeover waits for `Date.now()` to age the lock, so on a frozen clock they never end
 * (the guard, on the real timer and far longer than any file read, reports it) or refuse where a takeover was
 * due. A taken lock arms its refresh timer, so a takeover freezes `Date` only.
 */
async function withFrozenClock<T>(what: string, apis: ('Date' | 'setTimeout')[], decide: () => Promise<T>): Promise<T> {
  const guardMs = 30_000;
  let guard: NodeJS.Timeout | undefined;
  mock.timers.enable({ apis, now: Date.now() });
  try {
    return await Promise.race([
      decide(),
      new Promise<never>((_, reject) => {
        guard = realSetTimeout(() => reject(new Error(`${what} waited on the clock (mtime watch or stale wait), not the owner file`)), guardMs);
      }),
    ]);
  } finally {
    realClearTimeout(guard);
    mock.timers.reset();
  }
}

test('a live holder in another process is refused at once; after its SIGKILL the lock is taken at once', async () => {
  const dir = tmpDir();
  const child = await holder(dir);
  try {
    assert.equal(readOwnerFile(dir).pid, child.pid);
    // Both paths answer from the owner file: no mtime watch and no stale wait, so no clock has to move.
    await assert.rejects(
      withFrozenClock('the refusal', ['Date', 'setTimeout'], () => acquireStateLock(dir, noCompromise)),
      LockedError,
    );
  } finally {
    child.kill('SIGKILL');
  }
  await once(child, 'exit');
  assert.equal(child.signalCode, 'SIGKILL');
  assert.equal(existsSync(lockDir(dir)), true, 'SIGKILL leaves the lock behind');
  const taken = await withFrozenClock('the takeover', ['Date'], () => acquireStateLock(dir, noCompromise)); // default staleness
  assert.equal(readOwnerFile(dir).pid, process.pid, 'the owner file now names the new holder');
  await taken.release();
  assert.equal(existsSync(lockDir(dir)), false);
});

test('a recorded owner whose pid is gone, or reused by another process, is dead: taken at once', async () => {
  for (const owner of [
    { pid: deadPid(), start: selfOwner().start, host: hostname() },
    { pid: process.pid, start: 'started-at-another-time', host: hostname() }, // our pid, another process's start
  ]) {
    const dir = tmpDir();
    plantLock(dir, owner);
    assert.equal(ownerAlive(owner), false);
    const taken = await acquireStateLock(dir, noCompromise); // default staleness: would wait ≥ 8 s otherwise
    assert.deepEqual(readOwnerFile(dir), selfOwner());
    assert.deepEqual(
      readdirSync(dir).filter((n) => n.includes('.dead-')),
      [],
      'the dead lock moved aside is removed',
    );
    await taken.release();
  }
});

test('no owner record (older lock, or another host): a refreshed lock is refused, a still one taken once stale', async () => {
  // Live holder without a usable record: the test refreshes the mtime like proper-lockfile would.
  for (const owner of [null, { pid: deadPid(), start: '1', host: 'another-host' }]) {
    const dir = tmpDir();
    plantLock(dir, owner);
    const bump = setInterval(() => {
      const t = new Date();
      utimesSync(lockDir(dir), t, t);
    }, 300);
    try {
      await assert.rejects(acquireStateLock(dir, noCompromise, STALE), LockedError);
    } finally {
      clearInterval(bump);
    }
    rmSync(lockDir(dir), { recursive: true });
  }
  // Nobody refreshes it: presumed dead, taken once stale (proper-lockfile removes it even with a file inside).
  const dir = tmpDir();
  plantLock(dir, null);
  writeFileSync(path.join(lockDir(dir), 'leftover'), 'x');
  const taken = await acquireStateLock(dir, noCompromise, STALE);
  assert.deepEqual(readOwnerFile(dir), selfOwner());
  assert.equal(existsSync(path.join(lockDir(dir), 'leftover')), false);
  await taken.release();
});

test('a lock removed from under its holder calls onCompromised instead of throwing', async () => {
  const dir = tmpDir();
  let resolve!: (e: Error) => void;
  const compromised = new Promise<Error>((r) => (resolve = r));
  const held = await acquireStateLock(dir, (e) => resolve(e), STALE);
  rmSync(lockDir(dir), { recursive: true });
  const keepAlive = setInterval(() => {}, 100); // proper-lockfile's refresh timer is unref'd
  const err = await compromised;
  clearInterval(keepAlive);
  assert.equal((err as NodeJS.ErrnoException).code, 'ECOMPROMISED');
  await held.release(); // safe after a compromise
});
