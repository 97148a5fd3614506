// State that cannot be saved, or a state lock another process took: no new positions and no fills from then on
// (a fill the journal cannot hold would be lost on the next start). The first cause is the one reported.
import type { FaultKind } from '../state-store.js';
import type { SessionControl } from './session-control.js';

export class PersistFault {
  /** Why state cannot be saved, or null while it can. */
  reason: string | null = null;

  constructor(private readonly d: SessionControl) {}

  /** A write failed (journal, snapshot or side file): counted once, trading goes on without new positions. */
  saveFailed(err: Error): void {
    if (this.reason !== null) return;
    this.reason = err.message;
    this.d.refreshTradingState();
    this.d.core().blockFills('state cannot be saved');
    this.d.fail(`state could not be saved: ${err.message}; no new positions until it can`);
  }

  /** The persistence worker's out-of-band fault: a compromised lock ends the session, anything else is a failed save. */
  onFault(kind: FaultKind, message: string): void {
    if (kind !== 'compromised') return this.saveFailed(new Error(message));
    this.reason ??= `state lock compromised: ${message}`;
    this.d.core().blockFills('state lock lost');
    this.d.refreshTradingState();
    this.d.fail(`state lock compromised: ${message}`);
    this.d.stop('lock_compromised', 1);
  }
}
