// The persistence worker (docs/reliability.md §4, docs/architecture.md): the only code that touches the state directory. It holds
// the state lock for the whole run, loads the newest valid generation at start, and then serves journal
// appends, coalesced snapshot writes and side files over comlink, so the main thread never waits on disk.
// It never logs and never crashes on an I/O error: every failure comes back as a rejected call with a
// clear message and is kept in status().lastError. No top-level await (docs/node-traps.md §8).
import { parentPort } from 'node:worker_threads';
import { mkdir, readFile, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
// comlink's ES module build, as its node adapter's: its CommonJS main would be scanned for exports at start (docs/node-traps.md §11).
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { JournalEntry } from '../shared/events.js';
import type { StateSnapshot } from '../shared/types.js';
import {
  COMPROMISED_MESSAGE_TYPE,
  HALT_FILE,
  type CompromisedMessage,
  type ControlFiles,
  type HaltRecord,
  type LoadResult,
  type OpenOptions,
  type PersistenceStatus,
  type PersistenceWorkerApi,
} from '../shared/persistence-api.js';
import { writeCandlesCsv } from '../shared/candles-csv-text.js';
import { JournalFold } from '../shared/journal-fold.js';
import { sealSnapshot, validateSnapshot } from '../shared/state-schema.js';
import { backupName, quarantine, removeStaleTmp, rotateAndWrite, writeDurable } from './store/durable-file.js';
import { Journal } from './store/journal.js';
import { acquireStateLock, type HeldLock } from './store/state-lock.js';
import { answerMemoryCensus } from './memory-census.js';

answerMemoryCensus('persistence');

export const STATE_FILE = 'state.json';
export const JOURNAL_FILE = 'events.jsonl';

interface Waiter {
  resolve(): void;
  reject(e: Error): void;
}
interface PendingSnapshot {
  snap: StateSnapshot;
  /** Settles once every append requested before `snap` is durable (or failed). */
  barrier: Promise<void>;
  waiters: Waiter[];
}

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** candles.csv of packed rows: about 82 bytes a row for 1-minute BTC candles, room for that and a little more. */
function formatCandles(rows: Float64Array): Uint8Array {
  const { bytes, length } = writeCandlesCsv(rows, Buffer.allocUnsafe(4096 + rows.length * 16), Buffer.allocUnsafe);
  return bytes.subarray(0, length);
}

/** Whether two packed row sets hold the same numbers. */
function sameRows(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The snapshot as the session sealed it: the journal position is the worker's own bookkeeping. */
function withoutJournalPosition(s: StateSnapshot): StateSnapshot {
  if (s.journalAt === undefined) return s;
  const { journalAt: _at, ...rest } = s;
  return sealSnapshot(rest);
}

/** Side files the session may replace: plain names, never the journal, the snapshot generations or the lock. */
function sideFileProblem(name: string): string | null {
  if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name)) return 'not a plain file name';
  if (name.startsWith(STATE_FILE) || name.startsWith(JOURNAL_FILE)) return 'reserved for state and journal';
  if (name.endsWith('.tmp') || name.endsWith('.lock')) return 'reserved suffix';
  return null;
}

/** The API served to the main thread. `notifyParent` carries the out-of-band "lock compromised" message. */
export function createPersistence(notifyParent: (msg: CompromisedMessage) => void): PersistenceWorkerApi {
  let dir = '';
  let symbol = '';
  let backups = 0;
  let lock: HeldLock | null = null;
  let journal: Journal | null = null;
  let state: 'new' | 'opening' | 'open' | 'closed' = 'new';
  let closing: Promise<void> | null = null;
  /** candles.csv formatted ahead of its writing (formatCandlesCsv), with the rows it was made of. */
  let preparedCsv: { rows: Float64Array; bytes: Uint8Array } | null = null;
  let compromised: string | null = null;
  let lastError: string | null = null;
  let snapshotsWritten = 0;
  let entriesAppended = 0;
  /** Appends run one after another in call order; this tail never rejects. */
  let journalTail: Promise<void> = Promise.resolve();
  let sideTail: Promise<void> = Promise.resolve();
  /** Seq of the newest durable snapshot: nothing older is ever written after it. */
  let durableSeq = -1;
  let pending: PendingSnapshot | null = null;
  let writer: Promise<void> | null = null;

  const compromisedError = (): Error => new Error(`persistence: the state lock on ${dir} was compromised (${compromised}); writes are stopped`);

  /** Throws unless writes are allowed now. */
  function assertWritable(): void {
    if (compromised !== null) throw compromisedError();
    if (state !== 'open' || closing) throw new Error(`persistence: not open (${closing ? 'closed' : state})`);
  }

  function failure(what: string, e: unknown): Error {
    if (compromised !== null) return compromisedError();
    lastError = `${what} failed: ${describe(e)}`;
    return new Error(`persistence: ${lastError}`);
  }

  /** candles.csv of `rows`: the bytes formatted ahead when they were made of the same numbers, else made now. */
  function candlesCsvOf(rows: Float64Array): Uint8Array {
    const prepared = preparedCsv;
    preparedCsv = null;
    return prepared !== null && sameRows(prepared.rows, rows) ? prepared.bytes : formatCandles(rows);
  }

  /** Side files are written one after another in call order; `content` is made when its turn comes. */
  function writeSideFile(name: string, content: () => string | Uint8Array): Promise<void> {
    try {
      assertWritable();
      const bad = sideFileProblem(name);
      if (bad) throw new Error(`persistence: refusing to write side file '${name}': ${bad}`);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = sideTail.then(async () => {
      // After every append and snapshot requested before it: the end of a session hands its files over while
      // the final snapshot is still on its way, and they land after it.
      await journalTail;
      while (writer) await writer;
      if (compromised !== null) throw compromisedError();
      try {
        await writeDurable(path.join(dir, name), content());
      } catch (e) {
        throw failure(`writing ${name}`, e);
      }
    });
    sideTail = run.catch(() => {}); // the caller gets the rejection; the next side file still runs
    return run;
  }

  /** Close the journal, then release the lock (a failed open and close() end the same way). */
  async function releaseFiles(): Promise<void> {
    await journal?.close().catch(() => {}); // the handle goes either way; the lock release below is what matters
    journal = null;
    await lock?.release();
    lock = null;
  }

  function onCompromised(err: Error): void {
    compromised = describe(err);
    lastError = `state lock compromised: ${compromised}`;
    notifyParent({ type: COMPROMISED_MESSAGE_TYPE, message: compromisedError().message });
  }

  async function load(freshBalance: number): Promise<LoadResult> {
    const quarantined: string[] = [];
    const warnings: string[] = [];
    const stale = await removeStaleTmp(dir);
    if (stale.length > 0) warnings.push(`removed ${stale.length} temp file(s) left by an interrupted write`);

    let snapshot: StateSnapshot | null = null;
    let source: LoadResult['source'] = 'fresh';
    const primary = path.join(dir, STATE_FILE);
    const candidates = [primary, ...Array.from({ length: backups }, (_, i) => backupName(primary, i + 1))];
    for (const [i, file] of candidates.entries()) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`${path.basename(file)}: unreadable (${describe(e)})`);
        continue;
      }
      let value: unknown;
      let reason: string | null = null;
      if (text.length === 0) reason = 'empty file';
      else {
        try {
          value = JSON.parse(text);
        } catch {
          reason = 'unparseable JSON';
        }
      }
      reason ??= validateSnapshot(value);
      if (reason === null && (value as StateSnapshot).symbol !== symbol) {
        reason = `symbol ${(value as StateSnapshot).symbol}, expected ${symbol}`;
      }
      if (reason !== null) {
        const moved = await quarantine(file);
        quarantined.push(moved);
        warnings.push(`${path.basename(file)}: ${reason}; quarantined as ${path.basename(moved)}`);
        continue;
      }
      snapshot = value as StateSnapshot;
      source = i === 0 ? 'primary' : 'backup';
      break;
    }

    // With a snapshot whose journal position checks out, only the lines after it are read; without one
    // (or when it does not check out) the whole journal is, to rebuild or to find the snapshot's seq.
    const fold = new JournalFold(snapshot, freshBalance);
    const snapSeq = snapshot?.seq ?? 0;
    const opened = await Journal.open(path.join(dir, JOURNAL_FILE), {
      resume: snapshot?.journalAt ? { seq: snapshot.seq, at: snapshot.journalAt } : undefined,
      onEntry: (e) => {
        try {
          fold.add(e);
        } catch (err) {
          throw new Error(`${JOURNAL_FILE} seq ${e.seq} cannot be replayed: ${describe(err)}`);
        }
      },
    });
    journal = opened.journal;
    const { scan } = opened;
    const read = journal.readAtOpen;
    if (read.resumeProblem !== null) {
      warnings.push(`${JOURNAL_FILE}: the snapshot's position does not check out (${read.resumeProblem}); read the whole journal`);
    }
    const where = read.from > 0 ? ` after byte ${read.from}` : '';
    for (const s of scan.skipped) warnings.push(`${JOURNAL_FILE} line ${s.line}${where} skipped: ${s.reason}`);
    const unlisted = read.skippedLines - scan.skipped.length;
    if (unlisted > 0) warnings.push(`${JOURNAL_FILE}: ${unlisted} more lines${where} skipped`);
    if (scan.torn) warnings.push(`${JOURNAL_FILE}: torn last line (${scan.torn.bytes} bytes) truncated`);
    if (snapshot === null && journal.lastSeq > 0) source = 'journal';
    durableSeq = snapshot?.seq ?? -1;
    return {
      source,
      snapshot: snapshot && withoutJournalPosition(snapshot),
      state: fold.result,
      replayed: fold.replayed,
      replayedAt: fold.lastBrokerAt,
      lastSeq: Math.max(journal.lastSeq, snapSeq),
      quarantined,
      journalTruncated: scan.torn ? { bytes: scan.torn.bytes, line: scan.torn.line } : null,
      journalRead: { from: read.from, bytes: read.bytes, positionProblem: read.resumeProblem },
      warnings,
    };
  }

  /** The snapshot as written: sealed again with the place of its seq's journal line, when that is known. */
  async function withJournalPosition(s: StateSnapshot): Promise<StateSnapshot> {
    const at = await journal!.positionOf(s.seq);
    const plain = withoutJournalPosition(s);
    return at === null ? plain : sealSnapshot({ ...plain, journalAt: at });
  }

  /** halt.json, if the kill switch left one; an unreadable one still halts (the operator meant it). */
  async function readHalt(warnings: string[]): Promise<HaltRecord | null> {
    let text: string;
    try {
      text = await readFile(path.join(dir, HALT_FILE), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      warnings.push(`${HALT_FILE}: unreadable (${describe(e)}); staying halted`);
      return { reason: 'kill_switch', at: 0, pid: 0 };
    }
    try {
      const v = JSON.parse(text) as Partial<HaltRecord>;
      return { reason: 'kill_switch', at: typeof v.at === 'number' ? v.at : 0, pid: typeof v.pid === 'number' ? v.pid : 0 };
    } catch {
      warnings.push(`${HALT_FILE}: not JSON; staying halted`);
      return { reason: 'kill_switch', at: 0, pid: 0 };
    }
  }

  /** One snapshot write in flight; whatever is pending when it ends is written next (newest wins). */
  async function drainSnapshots(): Promise<void> {
    while (pending) {
      const p = pending;
      pending = null;
      await p.barrier; // the journal holds every event the snapshot includes before the snapshot lands
      try {
        if (compromised !== null) throw compromisedError();
        if (p.snap.seq >= durableSeq) {
          await rotateAndWrite(path.join(dir, STATE_FILE), JSON.stringify(await withJournalPosition(p.snap)), backups);
          durableSeq = p.snap.seq;
          snapshotsWritten++;
        }
        for (const w of p.waiters) w.resolve();
      } catch (e) {
        const err = failure('snapshot write', e);
        for (const w of p.waiters) w.reject(err);
      }
    }
    writer = null;
  }

  return {
    async open(opts: OpenOptions): Promise<LoadResult> {
      if (state !== 'new') throw new Error(`persistence: open called twice (state ${state})`);
      if (typeof opts?.dir !== 'string' || opts.dir === '') throw new Error('persistence: open needs a dir');
      if (typeof opts.symbol !== 'string' || opts.symbol === '') throw new Error('persistence: open needs a symbol');
      if (!Number.isInteger(opts.backups) || opts.backups < 0) throw new Error('persistence: backups must be an integer >= 0');
      if (!(Number.isFinite(opts.balance) && opts.balance > 0)) throw new Error('persistence: balance must be a finite number > 0');
      state = 'opening';
      dir = path.resolve(opts.dir);
      symbol = opts.symbol;
      backups = opts.backups;
      try {
        await mkdir(dir, { recursive: true });
        lock = await acquireStateLock(dir, onCompromised, opts.lockStaleMs);
        const result = await load(opts.balance);
        result.halt = await readHalt(result.warnings);
        state = 'open';
        return result;
      } catch (e) {
        await releaseFiles();
        state = 'new'; // a failed open (e.g. locked) may be retried
        throw e;
      }
    },

    append(entries: JournalEntry[]): Promise<void> {
      try {
        assertWritable();
      } catch (e) {
        return Promise.reject(e);
      }
      const j = journal!;
      const run = journalTail.then(async () => {
        if (compromised !== null) throw compromisedError();
        try {
          await j.append(entries);
        } catch (e) {
          throw failure('journal append', e);
        }
        entriesAppended += entries.length;
      });
      journalTail = run.catch(() => {});
      return run;
    },

    snapshot(s: StateSnapshot): Promise<void> {
      try {
        assertWritable();
        const invalid = validateSnapshot(s);
        if (invalid) throw new Error(`persistence: refusing an invalid snapshot (${invalid})`);
        if (s.symbol !== symbol) throw new Error(`persistence: snapshot is for ${s.symbol}, state dir is for ${symbol}`);
      } catch (e) {
        return Promise.reject(e);
      }
      if (s.seq < durableSeq) return Promise.resolve(); // a newer snapshot is already durable
      return new Promise<void>((resolve, reject) => {
        const w = { resolve, reject };
        if (pending === null) pending = { snap: s, barrier: journalTail, waiters: [w] };
        else if (s.seq < pending.snap.seq)
          pending.waiters.push(w); // the pending newer one covers it
        else {
          pending.snap = s;
          pending.barrier = journalTail;
          pending.waiters.push(w);
        }
        writer ??= drainSnapshots();
      });
    },

    writeFile(name: string, content: string | Uint8Array): Promise<void> {
      return writeSideFile(name, () => content);
    },

    writeCandlesCsv(name: string, rows: Float64Array): Promise<void> {
      // Formatted as the call comes (or ahead of it, by formatCandlesCsv), while the side files before it are on
      // their way to the disk; a failure is this file's, in its turn.
      let csv: () => Uint8Array;
      try {
        const bytes = candlesCsvOf(rows);
        csv = () => bytes;
      } catch (e) {
        csv = () => {
          throw e;
        };
      }
      return writeSideFile(name, csv);
    },

    formatCandlesCsv(rows: Float64Array): Promise<void> {
      try {
        // a copy of the rows: the shared memory they are read from could change before the write
        preparedCsv = { rows: rows.slice(), bytes: formatCandles(rows) };
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(failure('formatting candles.csv', e));
      }
    },

    async controlFiles(killFile: string): Promise<ControlFiles> {
      assertWritable();
      let kill = false;
      let killError: string | undefined;
      try {
        await unlink(killFile);
        kill = true;
      } catch (e) {
        // Seen but not removable (no permission, a directory): it still means stop.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
          kill = true;
          killError = describe(e);
        }
      }
      let halted = true;
      try {
        await readFile(path.join(dir, HALT_FILE));
      } catch (e) {
        halted = (e as NodeJS.ErrnoException).code !== 'ENOENT';
      }
      return killError === undefined ? { kill, halted } : { kill, halted, killError };
    },

    async removeFile(name: string): Promise<void> {
      assertWritable();
      const bad = sideFileProblem(name);
      if (bad) throw new Error(`persistence: refusing to remove '${name}': ${bad}`);
      await rm(path.join(dir, name), { force: true });
    },

    close(): Promise<void> {
      closing ??= (async () => {
        if (state === 'opening') throw new Error('persistence: close during open');
        await journalTail;
        while (writer) await writer;
        await sideTail;
        await releaseFiles();
        state = 'closed';
      })();
      return closing;
    },

    async status(): Promise<PersistenceStatus> {
      return { lastError, snapshotsWritten, entriesAppended, locked: lock !== null && compromised === null };
    },
  };
}

if (parentPort) {
  const port = parentPort;
  Comlink.expose(
    createPersistence((msg) => port.postMessage(msg)),
    nodeEndpoint(port),
  );
}
