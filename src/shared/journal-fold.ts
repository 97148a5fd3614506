// Recovery's arithmetic: the broker state is the snapshot's (or a fresh one) with every broker event
// journaled after it folded in, in seq order. Fed one entry at a time while the journal is read, so a
// restart holds the state and nothing of the journal, however long the tail. The persistence worker restores
// a start with it, and scripts/torture.ts checks the engine's files against the same fold.
import { applyEvent, freshBrokerState } from './broker-state.js';
import { isBrokerEvent, type JournalEntry } from './events.js';
import { brokerStateOf } from './state-schema.js';
import type { BrokerState, StateSnapshot } from './types.js';

/**
 * Market time a fresh broker state starts from: the breaker's day starts at the epoch, so the first tick
 * rolls it to the market's own UTC day (a journaled BreakerReset), which for a replay is years before
 * the wall clock.
 */
export const GENESIS_AT = 0;

export class JournalFold {
  private state: BrokerState | null;
  /** Entries up to this seq are in the snapshot already. */
  private readonly afterSeq: number;
  private genesisBalance: number | null = null;
  /** Entries folded (broker events or not). */
  replayed = 0;
  /** Newest market time (`at`) among the broker events folded; null when there were none. */
  lastBrokerAt: number | null = null;

  /**
   * `from`: the snapshot to restore (its broker state; only the entries after its seq fold in), or null to
   * rebuild from the journal; then a fresh state starts with the balance of the journal's first SessionStart,
   * or `balance` when it has none.
   */
  constructor(
    from: StateSnapshot | null,
    private readonly balance: number,
  ) {
    this.state = from && brokerStateOf(from);
    this.afterSeq = from?.seq ?? 0;
  }

  /** Fold the next entry (seq order). Throws when an event contradicts the state: the journal is corrupt. */
  add(e: JournalEntry): void {
    if (e.seq <= this.afterSeq) return;
    this.replayed++;
    if (this.state === null && this.genesisBalance === null && e.event === 'SessionStart' && typeof e.balance === 'number') {
      this.genesisBalance = e.balance;
    }
    if (!isBrokerEvent(e)) return;
    this.state = applyEvent(this.state ?? this.fresh(), e);
    if (this.lastBrokerAt === null || e.at > this.lastBrokerAt) this.lastBrokerAt = e.at;
  }

  get result(): BrokerState {
    return this.state ?? this.fresh();
  }

  private fresh(): BrokerState {
    return freshBrokerState(this.genesisBalance ?? this.balance, GENESIS_AT);
  }
}
