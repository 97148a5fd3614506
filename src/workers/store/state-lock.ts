// The state-directory lock (SPEC §5): one engine per state dir, held for the whole run through
// proper-lockfile (notes/node-libraries.md §3). A live holder refreshes the lock's mtime every `update` ms,
// so a second instance can tell "held" from "left by a killed process" without waiting for `stale`:
// if the mtime moves while it watches, the holder is alive and it fails at once (exit 3); if it stays
// still, the holder is presumed dead and the lock is taken over once stale. Waiting only in that case
// matters under pm2: a restart right after a SIGKILL must not exit 3, which pm2 would never restart.
import lockfile from 'proper-lockfile';
import { stat } from 'node:fs/promises';
import path from 'node:path';

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

async function lockMtime(dir: string): Promise<number | null> {
  try {
    return (await stat(`${lockTarget(dir)}.lock`)).mtimeMs;
  } catch {
    return null; // gone: the holder released it meanwhile
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Take the lock on `dir` for the whole run. Rejects with LockedError (naming the dir) when a live
 * engine holds it; takes over a lock whose holder stopped refreshing once it is stale.
 * `onCompromised` is called if another process takes the lock from under us: stop writing.
 */
export async function acquireStateLock(
  dir: string,
  onCompromised: (err: Error) => void,
  staleMs: number = DEFAULT_LOCK_STALE_MS,
): Promise<HeldLock> {
  const t = lockTimings(staleMs);
  const base = { realpath: false, stale: t.stale, update: t.update, onCompromised };
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
  try {
    return wrap(await lockfile.lock(lockTarget(dir), { ...base, retries: 0 }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ELOCKED') throw e;
  }
  // Held and fresh. Watch whether the holder is still refreshing it.
  const first = await lockMtime(dir);
  const deadline = Date.now() + t.watch;
  while (Date.now() < deadline) {
    await sleep(100);
    const now = await lockMtime(dir);
    if (now === null) break; // released meanwhile: just take it
    if (now !== first) throw new LockedError(dir);
  }
  // Nobody refreshed it: the holder is dead. proper-lockfile removes it once stale.
  try {
    return wrap(await lockfile.lock(lockTarget(dir), { ...base, retries: t.retries }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ELOCKED') throw new LockedError(dir);
    throw e;
  }
}
