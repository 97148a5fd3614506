// The state-directory lock (docs/contracts.md): one engine per state dir, held for the whole run through
// proper-lockfile (docs/node-traps.md §3). The lock is the directory `<dir>/state.json.lock`; this
// module writes an `owner` file inside it (pid, process start token, host) as part of creating it, so a
// newcomer can tell at once who holds it (docs/targets.md §4: kill -9 → trading-ready in < 2 s):
//   - owner alive → LockedError at once (exit 3);
//   - owner dead (no such pid, a zombie, or the pid reused by another process) → the lock is moved
//     aside and taken at once, no stale wait. Under pm2 a restart right after a SIGKILL must not exit 3,
//     which pm2 would never restart, and must not wait for staleness either.
//   - no owner file (a lock from an older version, being created right now, or another host) → the
//     mtime watch: if the holder refreshes the mtime while we watch it is alive (LockedError), else it
//     is presumed dead and taken over once stale.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type lockfileModule from 'proper-lockfile';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';

// Required, not imported: an import of a CommonJS package scans its source for exports at start (docs/node-traps.md §11).
const lockfile = createRequire(import.meta.url)('proper-lockfile') as typeof lockfileModule;

/** Lock timings; every process must use the same values (a shorter `stale` only in tests). */
export interface LockTimings {
  /** A lock whose mtime is older than this is stale and may be taken over. proper-lockfile's minimum is 2000. */
  stale: number;
  /** How often the holder refreshes the mtime (≤ stale/2, ≥ 1000). */
  update: number;
  /** How long a newcomer watches the mtime before deciding the holder is dead. */
  watch: number;
  /** Retry schedule for the takeover wait; its total exceeds stale + the 1 s mtime rounding. */
  retries: { retries: number; factor: number; minTimeout: number; maxTimeout: number };
}

export const DEFAULT_LOCK_STALE_MS = 10_000;

export function lockTimings(staleMs: number = DEFAULT_LOCK_STALE_MS): LockTimings {
  const stale = Math.max(2000, staleMs);
  const update = Math.max(1000, Math.min(2000, stale / 2));
  const interval = 250;
  return {
    stale,
    update,
    // A refresh lands every `update` ms; mtimes may be rounded up to the next second.
    watch: update + 1500,
    retries: { retries: Math.ceil((stale + 2000) / interval), factor: 1, minTimeout: interval, maxTimeout: interval },
  };
}

/** The state dir is held by a live engine. `name` survives comlink's error serialisation; `code` does not. */
export class LockedError extends Error {
  constructor(readonly dir: string) {
    super(`state directory ${dir} is locked by another running engine`);
    this.name = 'LockedError';
  }
}

export interface HeldLock {
  /** Release the lock; safe to call twice, and after a compromise. */
  release(): Promise<void>;
}

/** The file the lock protects; the lock itself is the directory `<dir>/state.json.lock`. */
export const lockTarget = (dir: string): string => path.join(dir, 'state.json');
export const lockDir = (dir: string): string => `${lockTarget(dir)}.lock`;
/** The holder's identity, inside the lock directory. */
export const OWNER_FILE = 'owner';

/** Who holds a lock. `start` tells a live holder from another process that got the same pid later. */
export interface LockOwner {
  pid: number;
  /** Process start: /proc starttime (clock ticks since boot) on Linux, else estimated epoch ms. */
  start: string;
  host: string;
}

// ── process identity ────────────────────────────────────────────────────────

/** State letter and start time of a pid from /proc; 'gone' when it does not exist; null without procfs. */
function procStat(pid: number): { state: string; start: string } | 'gone' | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return fs.existsSync('/proc/self/stat') ? 'gone' : null;
  }
  // "pid (comm) S ppid ...": comm may contain spaces and parens; fields restart after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '?', start: fields[19] ?? '?' };
}

/** This process's owner record (the same in every thread of the process). */
export function selfOwner(): LockOwner {
  const ps = procStat(process.pid);
  const start = ps && ps !== 'gone' ? ps.start : `~${Math.round(Date.now() - process.uptime() * 1000)}`;
  return { pid: process.pid, start, host: hostname() };
}

/** Whether the process that wrote `owner` (on this host) is still running. */
export function ownerAlive(owner: LockOwner): boolean {
  const ps = procStat(owner.pid);
  if (ps === 'gone') return false;
  if (ps !== null) return ps.state !== 'Z' && ps.state !== 'X' && ps.start === owner.start; // zombie/dead or pid reused
  // No procfs: a signal-0 probe; for our own pid compare the estimated start (another thread of ours holds it).
  if (owner.pid === process.pid) {
    return Math.abs(Number(owner.start.slice(1)) - (Date.now() - process.uptime() * 1000)) < 2000;
  }
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
  }
}

/** The owner record of the lock in `lockPath`, or null when absent or unreadable. */
export async function readOwner(lockPath: string): Promise<LockOwner | null> {
  try {
    const v = JSON.parse(await readFile(path.join(lockPath, OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    if (Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.start === 'string' && typeof v.host === 'string') {
      return { pid: v.pid as number, start: v.start, host: v.host };
    }
  } catch {
    // missing, half-written or foreign: the caller falls back to the mtime watch
  }
  return null;
}

// ── the fs proper-lockfile uses ────────────────────────────────────────────

/**
 * node:fs with the lock directory's creation and removal extended: mkdir also writes the owner file (temp +
 * rename, best effort: a lock without an owner is still a lock), before proper-lockfile stamps the mtime it
 * then keeps checking; removal deletes the directory's contents too (proper-lockfile uses plain rmdir, which
 * a non-empty directory refuses — for release, stale takeover and the exit hook alike).
 */
const lockFs = {
  ...fs,
  mkdir(p: string, cb: (err: NodeJS.ErrnoException | null) => void): void {
    fs.mkdir(p, (err) => {
      if (err) return cb(err);
      const tmp = path.join(p, `${OWNER_FILE}.${randomBytes(4).toString('hex')}.tmp`);
      fs.writeFile(tmp, JSON.stringify(selfOwner()), (werr) => {
        if (werr) return fs.rm(tmp, { force: true }, () => cb(null));
        fs.rename(tmp, path.join(p, OWNER_FILE), () => cb(null));
      });
    });
  },
  rmdir(p: string, cb: (err: NodeJS.ErrnoException | null) => void): void {
    fs.rm(p, { recursive: true }, cb);
  },
  rmdirSync(p: string): void {
    fs.rmSync(p, { recursive: true });
  },
};

// ── acquisition ─────────────────────────────────────────────────────────────

async function lockMtime(dir: string): Promise<number | null> {
  try {
    return (await stat(lockDir(dir))).mtimeMs;
  } catch {
    return null; // gone: the holder released it meanwhile
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sameOwner = (a: LockOwner | null, b: LockOwner): boolean => a !== null && a.pid === b.pid && a.start === b.start && a.host === b.host;

/**
 * Remove the lock of a dead owner: move it aside under a unique name first (atomic), then check that what
 * was moved is still that owner's lock. If another newcomer replaced it in between, put it back and report
 * failure rather than steal a live lock.
 */
async function removeDeadLock(dir: string, dead: LockOwner): Promise<boolean> {
  const grave = `${lockDir(dir)}.dead-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockDir(dir), grave);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true; // already gone
    throw e;
  }
  if (!sameOwner(await readOwner(grave), dead)) {
    await rename(grave, lockDir(dir)).catch(() => {});
    return false;
  }
  await rm(grave, { recursive: true, force: true });
  return true;
}

/**
 * Take the lock on `dir` for the whole run. Rejects with LockedError (naming the dir) when a live
 * engine holds it; takes over at once a lock whose recorded owner is dead, and otherwise one whose
 * holder stopped refreshing once it is stale.
 * `onCompromised` is called if another process takes the lock from under us: stop writing.
 */
export async function acquireStateLock(dir: string, onCompromised: (err: Error) => void, staleMs: number = DEFAULT_LOCK_STALE_MS): Promise<HeldLock> {
  const t = lockTimings(staleMs);
  const base = { realpath: false, stale: t.stale, update: t.update, onCompromised, fs: lockFs };
  const wrap = (release: () => Promise<void>): HeldLock => {
    let released = false;
    return {
      async release() {
        if (released) return;
        released = true;
        await release().catch(() => {}); // ERELEASED after a compromise: nothing left to release
      },
    };
  };
  const tryLock = async (): Promise<HeldLock | null> => {
    try {
      return wrap(await lockfile.lock(lockTarget(dir), { ...base, retries: 0 }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
      return null;
    }
  };

  const first = await tryLock();
  if (first) return first;

  // Held. Ask the owner file; a lock being created right now may not have one for a few ms yet.
  let owner = await readOwner(lockDir(dir));
  for (let i = 0; owner === null && i < 5 && (await lockMtime(dir)) !== null; i++) {
    await sleep(50);
    owner = await readOwner(lockDir(dir));
  }
  if (owner !== null && owner.host === hostname()) {
    if (ownerAlive(owner)) throw new LockedError(dir);
    if (await removeDeadLock(dir, owner)) {
      const taken = await tryLock();
      if (taken) return taken;
    }
    throw new LockedError(dir); // another newcomer got there first
  }

  // No usable owner record: watch whether the holder is still refreshing the mtime.
  const mtime = await lockMtime(dir);
  const deadline = Date.now() + t.watch;
  while (Date.now() < deadline) {
    await sleep(100);
    const now = await lockMtime(dir);
    if (now === null) break; // released meanwhile: just take it
    if (now !== mtime) throw new LockedError(dir);
  }
  // Nobody refreshed it: the holder is dead. proper-lockfile removes it once stale.
  try {
    return wrap(await lockfile.lock(lockTarget(dir), { ...base, retries: t.retries }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') throw new LockedError(dir);
    throw e;
  }
}
