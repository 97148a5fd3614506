// What the session persists through: the persistence worker, or, with --dry-run, nothing at all
// (docs/session-lifecycle.md §3: a dry run writes no state files; logs and the status line only).
import { existsSync, unlinkSync } from 'node:fs';
import { freshBrokerState } from '../shared/broker-state.js';
import type { JournalEntry } from '../shared/events.js';
import { GENESIS_AT } from '../shared/journal-fold.js';
import type { ControlFiles, LoadResult, OpenOptions, PersistenceApi } from '../shared/persistence-api.js';
import type { StateSnapshot } from '../shared/types.js';
import { isLockedError, PersistenceClient } from './persistence-client.js';

export type { LoadResult } from '../shared/persistence-api.js';
export { isLockedError };

export type FaultKind = 'compromised' | 'crashed';

export interface StateStore extends PersistenceApi {
  onFault?(cb: (kind: FaultKind, message: string) => void): void;
  /** Stop the worker (after close()). */
  terminate(): Promise<void>;
}

/** --dry-run: starts fresh every time and keeps nothing. */
export class DryRunStore implements StateStore {
  async open(opts: OpenOptions): Promise<LoadResult> {
    return {
      source: 'fresh',
      snapshot: null,
      state: freshBrokerState(opts.balance, GENESIS_AT),
      replayed: 0,
      replayedAt: null,
      lastSeq: 0,
      quarantined: [],
      journalTruncated: null,
      journalRead: { from: 0, bytes: 0, positionProblem: null },
      warnings: [],
    };
  }
  async append(_entries: JournalEntry[]): Promise<void> {}
  async snapshot(_s: StateSnapshot): Promise<void> {}
  async writeFile(_name: string, _content: string | Uint8Array): Promise<void> {}
  async writeCandlesCsv(_name: string, _rows: Float64Array): Promise<void> {}
  async formatCandlesCsv(_rows: Float64Array): Promise<void> {}
  /** A dry run still honours the kill switch (it keeps no halt, having no state). */
  async controlFiles(killFile: string): Promise<ControlFiles> {
    if (!existsSync(killFile)) return { kill: false, halted: false };
    try {
      unlinkSync(killFile);
    } catch {
      // seen is what matters: stop either way
    }
    return { kill: true, halted: false };
  }
  async removeFile(_name: string): Promise<void> {}
  async close(): Promise<void> {}
  async terminate(): Promise<void> {}
}

export function openStateStore(dryRun: boolean): StateStore {
  return dryRun ? new DryRunStore() : new PersistenceClient();
}
