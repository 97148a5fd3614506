// Every event the session journals goes four ways: the status counters, the journal (which gives it its seq),
// the session's market record for its reports, and the webhooks, in that order, so a webhook never announces
// an event the journal has not numbered.
import type { EngineEvent } from '../../shared/events.js';
import type { SessionRecord } from '../../shared/session-record.js';
import type { Journal } from '../journal.js';
import type { WebhookNotifier } from '../notifier.js';
import type { SessionStatus } from './status.js';

export class EventFanout {
  constructor(
    private readonly status: SessionStatus,
    private readonly journal: Journal,
    private readonly notifier: WebhookNotifier | null,
    /** The session's market record for its reports (it keeps what they need of every entry). */
    private readonly market: SessionRecord | null = null,
  ) {}

  /** Journal `e` (counted, then sent to the webhooks); returns its seq. */
  record(e: EngineEvent): number {
    this.status.count(e);
    const entry = this.journal.record(e);
    this.market?.entry(entry);
    this.notifier?.notify(entry);
    return entry.seq;
  }
}
