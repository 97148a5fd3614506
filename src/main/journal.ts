// The session's side of events.jsonl: stamps each event with the next seq and the wall time and
// group-commits batches to the persistence worker once per macrotask (what the reports need of each
// event, the session's SessionRecord keeps). Nothing here waits on the disk; a failed write is counted
// and reported, never thrown.
import type { EngineEvent, JournalEntry } from '../shared/events.js';

/** How long to wait before retrying a batch the disk refused. */
const RETRY_MS = 1000;

export interface JournalSink {
  append(entries: JournalEntry[]): Promise<void>;
}

export class Journal {
  private pending: JournalEntry[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | null = null;
  private seqValue: number;
  /** Highest seq the sink acknowledged as durable (fsynced). */
  durableSeq: number;

  constructor(
    private readonly sink: JournalSink,
    lastSeq: number,
    private readonly now: () => number,
    private readonly onError: (err: Error) => void,
  ) {
    this.seqValue = lastSeq;
    this.durableSeq = lastSeq;
  }

  /** Seq of the last recorded event: a snapshot taken now includes every event up to it. */
  get seq(): number {
    return this.seqValue;
  }

  record(ev: EngineEvent): JournalEntry {
    const entry = { ...ev, seq: ++this.seqValue, ts: this.now() } as JournalEntry;
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return entry;
  }

  /**
   * Hand the pending events to the sink, one batch at a time and in seq order; resolves when everything
   * recorded so far has been attempted (check `durableSeq` for what is on disk).
   */
  flush(): Promise<void> {
    this.scheduled = false;
    this.inFlight = this.inFlight.then(() => this.appendPending());
    return this.inFlight;
  }

  private async appendPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    try {
      await this.sink.append(batch);
      const last = batch[batch.length - 1]!.seq;
      if (last > this.durableSeq) this.durableSeq = last;
    } catch (err) {
      // Keep the batch, in order, ahead of anything newer, and try again later: a gap in the journal
      // would make it disagree with the snapshots written once the disk is back.
      this.pending = batch.concat(this.pending);
      if (!this.retryTimer) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          void this.flush();
        }, RETRY_MS);
        this.retryTimer.unref();
      }
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
