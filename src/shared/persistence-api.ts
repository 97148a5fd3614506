// The contract between the session (main thread) and the persistence worker, which alone touches the
// state directory (docs/architecture.md, ownership table). Types and message tags only: both threads import this.
import type { JournalEntry } from './events.js';
import type { BrokerState, StateSnapshot } from './types.js';

export interface LoadResult {
  source: 'primary' | 'backup' | 'journal' | 'fresh';
  /** The valid snapshot used, as the session sealed it (null for 'journal'/'fresh'). */
  snapshot: StateSnapshot | null;
  /**
   * The broker state to resume: the snapshot's with every journal event after its seq folded in, or,
   * without a snapshot, a fresh state (the journal's first SessionStart balance, else `balance`) with
   * the whole journal folded in. The worker folds while it reads, so no start holds the journal.
   */
  state: BrokerState;
  /** Journal entries folded into `state` (seq > snapshot.seq; all of them without a snapshot). */
  replayed: number;
  /** Newest market time (`at`) among the broker events folded into `state`; null when there were none. */
  replayedAt: number | null;
  /** Highest seq in the journal (or snapshot.seq if larger); the next event gets lastSeq + 1. */
  lastSeq: number;
  /** Files renamed <name>.corrupt.<epochms>. */
  quarantined: string[];
  /** Torn last journal line removed. */
  journalTruncated: { bytes: number; line: string } | null;
  /**
   * What of events.jsonl was read: from byte `from` (just after the snapshot's journal line when its
   * recorded position checks out, else 0), `bytes` of it; `positionProblem` says why a recorded
   * position was not used.
   */
  journalRead: { from: number; bytes: number; positionProblem: string | null };
  warnings: string[];
  /** `halt.json` as the kill switch left it: the engine stays HALTED until resumed (null when absent). */
  halt?: HaltRecord | null;
}

/** What `halt.json` holds: why and when trading was halted by the operator. */
export interface HaltRecord {
  reason: 'kill_switch';
  /** Wall ms. */
  at: number;
  pid: number;
}

/** The operator's files, as the persistence worker found them on one poll. */
export interface ControlFiles {
  /** The kill file was there (and has been removed). */
  kill: boolean;
  /** `halt.json` is there. */
  halted: boolean;
  /** The kill file was seen but could not be removed. */
  killError?: string;
}

export const HALT_FILE = 'halt.json';

export interface OpenOptions {
  dir: string;
  symbol: string;
  /** Backup generations kept next to state.json (docs/reliability.md §4, --backups). */
  backups: number;
  /** Equity of a fresh state when the journal has no SessionStart to take it from (--balance). */
  balance: number;
  /** Lock staleness (tests only; every process must use the same value). */
  lockStaleMs?: number;
}

export interface PersistenceStatus {
  lastError: string | null;
  snapshotsWritten: number;
  entriesAppended: number;
  locked: boolean;
}

export interface PersistenceApi {
  /** Take the lock for the whole run (LockedError → caller exits 3), remove stale tmp files, load. */
  open(opts: OpenOptions): Promise<LoadResult>;
  /** Group-commit journal entries (fsync once per call). Resolves when durable. */
  append(entries: JournalEntry[]): Promise<void>;
  /** Coalesced durable snapshot write with rotation. Resolves when this snapshot (or a newer one) is durable. */
  snapshot(s: StateSnapshot): Promise<void>;
  /**
   * Atomically replace a side file in the state dir (heartbeat.json, final_report.json, metrics.csv, report.html).
   * Not rotated. Written after every append and snapshot requested before it, and after the side files before it. Content may be UTF-8 bytes: a view of a SharedArrayBuffer is read in place, not copied (the
   * caller must leave those bytes alone until the write resolves).
   */
  writeFile(name: string, content: string | Uint8Array): Promise<void>;
  /**
   * Write candles.csv (as `name`) from packed candle rows (CandleRows.rows(), shared memory read in place): the
   * worker formats it, so the main thread builds the next file meanwhile. The caller leaves the rows alone until
   * it resolves.
   */
  writeCandlesCsv(name: string, rows: Float64Array): Promise<void>;
  /**
   * Format candles.csv from these rows now, ahead of its writing (the worker is idle while the final snapshot is
   * on its way to the disk): the next writeCandlesCsv of rows equal to these writes the bytes made here.
   */
  formatCandlesCsv(rows: Float64Array): Promise<void>;
  /** Poll the operator's files: the kill file (removed when seen, wherever --kill-file points) and halt.json. */
  controlFiles(killFile: string): Promise<ControlFiles>;
  /** Remove a side file (halt.json on --resume); absent is fine. */
  removeFile(name: string): Promise<void>;
  /** Flush everything pending, release the lock. Idempotent. */
  close(): Promise<void>;
}

/**
 * What the worker serves: the API plus its counters. The engine never reads them (a failed write reaches it as
 * a rejected call); they let a test see what the worker did, e.g. how many snapshot writes it coalesced.
 */
export interface PersistenceWorkerApi extends PersistenceApi {
  /** Last error (disk full, EACCES...) or null, and counters. */
  status(): Promise<PersistenceStatus>;
}

/** `Error.name` of a refused lock: comlink keeps an error's name and message, not its class or code. */
export const LOCKED_ERROR_NAME = 'LockedError';

/** Message the worker posts to its parent (outside comlink) when the state lock was taken from it. */
export interface CompromisedMessage {
  type: 'persistence:compromised';
  message: string;
}
export const COMPROMISED_MESSAGE_TYPE = 'persistence:compromised';
