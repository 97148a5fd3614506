// The session's side of events.jsonl: stamps each event with the next seq and the wall time, keeps it
// in memory for the run's reports, and group-commits batches to the persistence worker once per
// macrotask. Nothing here waits on the disk; a failed write is counted and reported, never thrown.
import type { EngineEvent, JournalEntry } from '../shared/events.js';

export interface JournalSink {
  append(entries: JournalEntry[]): Promise<void>;
}

export class Journal {
  private pending: JournalEntry[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();
  /** Every event of this run, for the end-of-session report. */
  readonly entries: JournalEntry[] = [];
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
    this.entries.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return entry;
  }

  /** Hand the pending batch to the sink; resolves when everything recorded so far is durable. */
  flush(): Promise<void> {
    this.scheduled = false;
    if (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const last = batch[batch.length - 1]!.seq;
      this.inFlight = this.sink.append(batch).then(
        () => {
          if (last > this.durableSeq) this.durableSeq = last;
        },
        (err: unknown) => {
          this.onError(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }
    return this.inFlight;
  }
}
