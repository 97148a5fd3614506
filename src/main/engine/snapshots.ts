// Snapshots: at most one every 200 ms after the broker state changed, and each written only once the journal
// holds every event it includes, so the journal always folds to the newest snapshot.
import type { Clock } from '../../shared/clock.js';
import { sealSnapshot } from '../../shared/state-schema.js';
import type { Journal } from '../journal.js';
import type { StateStore } from '../state-store.js';
import type { TradingCore } from '../trading/trading-core.js';

const SNAPSHOT_EVERY_MS = 200;

export interface SnapshotDeps {
  symbol: string;
  clock: Clock;
  store: StateStore;
  core(): TradingCore;
  journal(): Journal;
  persistError(err: Error): void;
}

export class Snapshots {
  private timer: NodeJS.Timeout | null = null;
  /** Market time in the newest snapshot requested (a position's snapshot follows market time each second). */
  private marketTs = 0;

  constructor(private readonly d: SnapshotDeps) {}

  /** The broker state changed: a snapshot within 200 ms. */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write();
    }, SNAPSHOT_EVERY_MS);
  }

  /** With a position open, a restart must know how far the market was seen: keep the snapshot's market time fresh. */
  keepFresh(): void {
    const core = this.d.core();
    if (core.broker.state.position && core.lastTickMarketTs > this.marketTs) this.schedule();
  }

  /** No more scheduled snapshots (the shutdown writes the last one itself). */
  stop(): void {
    if (this.timer) clearTimeout(this.timer);
  }

  /**
   * The state as of now. If the journal could not be written, the snapshot is skipped (the journal retries; the
   * next snapshot catches up).
   */
  write(): Promise<void> {
    const core = this.d.core();
    const journal = this.d.journal();
    this.marketTs = core.lastTickMarketTs;
    const seen = core.seenMinute;
    const snap = sealSnapshot({
      ...core.broker.state,
      version: 1,
      symbol: this.d.symbol,
      seq: journal.seq,
      savedAt: this.d.clock.now(),
      marketTs: this.marketTs,
      ...(seen ? { seenMinute: seen } : {}),
    });
    const save = (): Promise<void> | undefined => {
      if (journal.durableSeq < snap.seq) return;
      return this.d.store.snapshot(snap).catch((err: unknown) => this.d.persistError(err as Error));
    };
    // With every event it includes on disk already, the worker gets the snapshot now (the shutdown goes on
    // folding the session record meanwhile), not after a turn of the event loop.
    if (journal.durableSeq >= snap.seq) return Promise.resolve(save());
    return journal.flush().then(save);
  }
}
