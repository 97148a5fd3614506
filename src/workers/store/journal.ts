// The append-only journal events.jsonl: one JSON object per line, seq strictly increasing across
// restarts, group-committed (one write + one fsync per batch). A crash mid-write can only tear the last
// line; opening the journal cuts that line off so later appends start on a clean line boundary.
// Opening reads the file in chunks and hands each entry to the caller, never holding the journal: with
// a position to resume at (the line of a snapshot's seq, checked against its hash), only what follows it
// is read; the whole file is read only when there is no such position or it does not check out.
import { createHash } from 'node:crypto';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { JournalEntry } from '../../shared/events.js';
import { validateJournalEntry } from '../../shared/state-schema.js';
import type { JournalPosition } from '../../shared/types.js';
import { fsyncDir } from './durable-file.js';

export interface JournalScan {
  /** Valid entries in file order, seq strictly increasing (collected only when no `onEntry` is given). */
  entries: JournalEntry[];
  /** Lines skipped (1-based line numbers, counted from where the read began) and why. */
  skipped: { line: number; reason: string }[];
  /** Set when a torn last line was found; `open` truncates it off the file. */
  torn: { offset: number; bytes: number; line: string } | null;
}

/** Where a line lies: its first byte and its length without the newline. */
interface LineSpan {
  offset: number;
  bytes: number;
}

/** Where to resume reading: the journal line of `seq` should lie at `at`. */
export interface ResumePoint {
  seq: number;
  at: JournalPosition;
}

export interface OpenOptions {
  /** Read only after this line when it checks out. */
  resume?: ResumePoint;
  /** Called with every valid entry read, in file order (the entries are then not collected). */
  onEntry?: (entry: JournalEntry) => void;
}

/** How the open read the file. */
export interface JournalRead {
  /** Byte offset the read began at (0: the whole file). */
  from: number;
  bytes: number;
  /** Why the resume point was not used (null when it was, or none was given). */
  resumeProblem: string | null;
  /** Lines skipped in all; `scan.skipped` lists the first SKIPPED_LISTED of them. */
  skippedLines: number;
}

const CHUNK_BYTES = 1 << 20;
/** Skipped lines listed one by one: a journal of garbage must not become a list as long as itself. */
const SKIPPED_LISTED = 100;
/** Appended lines whose place is remembered, for the snapshots that name them (a snapshot trails its seq by a batch or two). */
const RECENT_SPANS = 16_384;

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Judges lines one at a time in file order: a last line that is unterminated or unparseable is "torn"; others are skipped. */
class LineJudge implements JournalScan {
  entries: JournalEntry[] = [];
  skipped: JournalScan['skipped'] = [];
  torn: JournalScan['torn'] = null;
  /** The last valid entry's seq and place. */
  last: { seq: number; span: LineSpan } | null = null;
  skippedLines = 0;
  private lineNo = 0;

  constructor(
    private lastSeq: number,
    /** File size: a line ending here is the last one. */
    private readonly end: number,
    private readonly onEntry: ((e: JournalEntry) => void) | undefined,
  ) {}

  /** The line in buf[start, stop) lies at file offset `at`; `terminated` when a newline follows it. */
  line(buf: Buffer, start: number, stop: number, at: number, terminated: boolean): void {
    this.lineNo++;
    const text = buf.toString('utf8', start, stop);
    const isLast = at + (stop - start) + (terminated ? 1 : 0) >= this.end;
    let reason: string | null = null;
    let value: unknown;
    if (text.trim() === '') {
      reason = 'blank';
    } else {
      try {
        value = JSON.parse(text);
        reason = validateJournalEntry(value);
      } catch {
        reason = 'unparseable JSON';
      }
      if (reason === null && (value as JournalEntry).seq <= this.lastSeq) {
        reason = `seq ${(value as JournalEntry).seq} not after ${this.lastSeq}`;
      }
    }
    if (reason === 'blank') return; // empty lines carry nothing; ignore silently
    if (isLast && reason !== null) {
      this.torn = { offset: at, bytes: this.end - at, line: text };
    } else if (reason !== null) {
      if (++this.skippedLines <= SKIPPED_LISTED) this.skipped.push({ line: this.lineNo, reason });
    } else {
      // (a complete last entry whose newline never made it to disk is kept too; open() adds the newline)
      const entry = value as JournalEntry;
      this.lastSeq = entry.seq;
      this.last = { seq: entry.seq, span: { offset: at, bytes: stop - start } };
      if (this.onEntry) this.onEntry(entry);
      else this.entries.push(entry);
    }
  }
}

/** Parse journal bytes held in memory (small journals and tests; the file itself is read in chunks). */
export function scanJournal(buf: Buffer): JournalScan {
  const judge = new LineJudge(0, buf.length, undefined);
  let offset = 0;
  while (offset < buf.length) {
    const nl = buf.indexOf(0x0a, offset);
    const stop = nl === -1 ? buf.length : nl;
    judge.line(buf, offset, stop, offset, nl !== -1);
    offset = stop + 1;
  }
  return { entries: judge.entries, skipped: judge.skipped, torn: judge.torn };
}

/** Feed bytes [from, end) of the file to `judge` line by line, one chunk in memory at a time. */
async function readLines(fh: FileHandle, from: number, end: number, judge: LineJudge): Promise<void> {
  let carry = Buffer.alloc(0);
  let carryAt = from;
  let pos = from;
  while (pos < end) {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, end - pos));
    const { bytesRead } = await fh.read(chunk, 0, chunk.length, pos);
    if (bytesRead === 0) throw new Error(`journal: ${end - pos} bytes vanished while reading (the file shrank at ${pos})`);
    pos += bytesRead;
    const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl !== -1; nl = buf.indexOf(0x0a, start)) {
      judge.line(buf, start, nl, carryAt + start, true);
      start = nl + 1;
    }
    carry = buf.subarray(start);
    carryAt += start;
  }
  if (carry.length > 0) judge.line(carry, 0, carry.length, carryAt, false);
}

/** null when the line of `p.seq` is where `p.at` says, whole and unchanged; otherwise why not. */
async function checkResumePoint(fh: FileHandle, size: number, p: ResumePoint): Promise<string | null> {
  const { offset, bytes, sha256: want } = p.at;
  if (offset + bytes + 1 > size) return `line at byte ${offset} runs past the end of the file (${size} bytes)`;
  const lead = offset > 0 ? 1 : 0; // the byte before the line must end the previous one
  const buf = Buffer.alloc(lead + bytes + 1);
  const { bytesRead } = await fh.read(buf, 0, buf.length, offset - lead);
  if (bytesRead !== buf.length) return `short read at byte ${offset}`;
  if (lead === 1 && buf[0] !== 0x0a) return `byte ${offset} does not start a line`;
  if (buf[buf.length - 1] !== 0x0a) return `line at byte ${offset} is not ${bytes} bytes long`;
  const line = buf.subarray(lead, lead + bytes);
  if (sha256(line) !== want) return `line at byte ${offset} does not match the snapshot's hash`;
  let seq: unknown;
  try {
    seq = (JSON.parse(line.toString('utf8')) as { seq?: unknown }).seq;
  } catch {
    return `line at byte ${offset} is not JSON`;
  }
  return seq === p.seq ? null : `line at byte ${offset} has seq ${String(seq)}, expected ${p.seq}`;
}

export class Journal {
  /** Place of recently appended (or last read) lines by seq, oldest first. */
  private readonly recent = new Map<number, LineSpan>();

  private constructor(
    readonly file: string,
    private fh: FileHandle,
    private size: number,
    private last: number,
    /** How the open read the file. */
    readonly readAtOpen: JournalRead,
  ) {}

  /**
   * Open (creating if absent) and read the journal, from `opts.resume` when it checks out, else from the
   * start; cut a torn last line off the file. Entries go to `opts.onEntry`, or are collected in
   * `scan.entries` without it.
   */
  static async open(file: string, opts: OpenOptions = {}): Promise<{ journal: Journal; scan: JournalScan }> {
    const existed = await stat(file).then(
      () => true,
      (e: unknown) => {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        return false;
      },
    );
    const fh = await open(file, 'a+'); // appends always go to the end; reads take explicit positions
    try {
      let size = (await fh.stat()).size;
      let from = 0;
      let judge = new LineJudge(0, size, opts.onEntry);
      let resumeProblem: string | null = null;
      if (opts.resume) {
        resumeProblem = await checkResumePoint(fh, size, opts.resume);
        if (resumeProblem === null) {
          const { seq, at } = opts.resume;
          from = at.offset + at.bytes + 1;
          judge = new LineJudge(seq, size, opts.onEntry);
          judge.last = { seq, span: { offset: at.offset, bytes: at.bytes } };
        }
      }
      await readLines(fh, from, size, judge);
      const read: JournalRead = { from, bytes: size - from, resumeProblem, skippedLines: judge.skippedLines };
      if (judge.torn) {
        size = judge.torn.offset;
        await fh.truncate(size);
        await fh.sync();
      } else if (size > 0 && (await lastByte(fh, size)) !== 0x0a) {
        await fh.write('\n'); // terminate a complete last entry so the next append starts a new line
        await fh.sync();
        size += 1;
      }
      if (!existed) await fsyncDir(path.dirname(file));
      const journal = new Journal(file, fh, size, judge.last?.seq ?? 0, read);
      if (judge.last) journal.remember(judge.last.seq, judge.last.span);
      return { journal, scan: { entries: judge.entries, skipped: judge.skipped, torn: judge.torn } };
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
  }

  /** Highest seq in the file (0 when empty). */
  get lastSeq(): number {
    return this.last;
  }

  /**
   * Group commit: all lines in one write, then one fsync. Seqs must continue strictly increasing. On a
   * failed write the file is cut back to its last committed size, so a half-written batch never sits in
   * front of the next one.
   */
  async append(entries: JournalEntry[]): Promise<void> {
    if (entries.length === 0) return;
    let prev = this.last;
    for (const e of entries) {
      const err = validateJournalEntry(e);
      if (err) throw new Error(`journal: invalid entry (${err})`);
      if (e.seq <= prev) throw new Error(`journal: seq ${e.seq} is not after ${prev}`);
      prev = e.seq;
    }
    const lines = entries.map((e) => JSON.stringify(e));
    const data = Buffer.from(lines.join('\n') + '\n', 'utf8');
    try {
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.fh.write(data, done, data.length - done);
        done += bytesWritten;
      }
      await this.fh.sync();
    } catch (e) {
      await this.fh.truncate(this.size).catch(() => {});
      throw e;
    }
    let offset = this.size;
    for (const [i, line] of lines.entries()) {
      const bytes = Buffer.byteLength(line, 'utf8');
      this.remember(entries[i]!.seq, { offset, bytes });
      offset += bytes + 1;
    }
    this.size += data.length;
    this.last = prev;
  }

  /**
   * Where the line of `seq` lies, with its hash read back from the file, for a snapshot that includes
   * everything up to `seq`; null when that line is not among the recently written ones.
   */
  async positionOf(seq: number): Promise<JournalPosition | null> {
    const span = this.recent.get(seq);
    if (!span) return null;
    const buf = Buffer.alloc(span.bytes);
    const { bytesRead } = await this.fh.read(buf, 0, span.bytes, span.offset);
    if (bytesRead !== span.bytes) throw new Error(`journal: short read of seq ${seq} at byte ${span.offset}`);
    return { offset: span.offset, bytes: span.bytes, sha256: sha256(buf) };
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  private remember(seq: number, span: LineSpan): void {
    this.recent.set(seq, span);
    if (this.recent.size > RECENT_SPANS) this.recent.delete(this.recent.keys().next().value!);
  }
}

async function lastByte(fh: FileHandle, size: number): Promise<number> {
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, size - 1);
  return b[0]!;
}
