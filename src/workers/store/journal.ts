// The append-only journal events.jsonl (SPEC §5): one JSON object per line, seq strictly increasing across
// restarts, group-committed (one write + one fsync per batch). A crash mid-write can only tear the last
// line; opening the journal cuts that line off so later appends start on a clean line boundary.
import { open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { JournalEntry } from '../../shared/events.js';
import { validateJournalEntry } from '../../shared/state-schema.js';
import { fsyncDir } from './durable-file.js';

export interface JournalScan {
  /** Valid entries in file order, seq strictly increasing. */
  entries: JournalEntry[];
  /** Lines skipped (1-based line numbers) and why. */
  skipped: { line: number; reason: string }[];
  /** Set when a torn last line was found; `open` truncates it off the file. */
  torn: { offset: number; bytes: number; line: string } | null;
}

/** Parse journal bytes. A last line that is unterminated or unparseable is "torn"; others are skipped. */
export function scanJournal(buf: Buffer): JournalScan {
  const entries: JournalEntry[] = [];
  const skipped: JournalScan['skipped'] = [];
  let torn: JournalScan['torn'] = null;
  let lastSeq = 0;
  let offset = 0;
  let lineNo = 0;
  while (offset < buf.length) {
    lineNo++;
    const nl = buf.indexOf(0x0a, offset);
    const end = nl === -1 ? buf.length : nl;
    const next = nl === -1 ? buf.length : nl + 1;
    const text = buf.subarray(offset, end).toString('utf8');
    const isLast = next >= buf.length;
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
      if (reason === null && (value as JournalEntry).seq <= lastSeq) {
        reason = `seq ${(value as JournalEntry).seq} not after ${lastSeq}`;
      }
    }
    if (isLast && reason !== null && reason !== 'blank') {
      torn = { offset, bytes: buf.length - offset, line: text };
    } else if (isLast && nl === -1 && reason === null) {
      // A complete entry whose newline never made it to disk: keep it; open() adds the newline.
      entries.push(value as JournalEntry);
      lastSeq = (value as JournalEntry).seq;
    } else if (reason === 'blank') {
      // Empty lines carry nothing; ignore silently.
    } else if (reason !== null) {
      skipped.push({ line: lineNo, reason });
    } else {
      entries.push(value as JournalEntry);
      lastSeq = (value as JournalEntry).seq;
    }
    offset = next;
  }
  return { entries, skipped, torn };
}

export class Journal {
  private constructor(
    readonly file: string,
    private fh: FileHandle,
    private size: number,
    private last: number,
  ) {}

  /** Open (creating if absent) and scan the journal; cut a torn last line off the file. */
  static async open(file: string): Promise<{ journal: Journal; scan: JournalScan }> {
    let buf: Buffer;
    let existed = true;
    try {
      buf = await readFile(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      buf = Buffer.alloc(0);
      existed = false;
    }
    const scan = scanJournal(buf);
    const fh = await open(file, 'a');
    let size = buf.length;
    try {
      if (scan.torn) {
        size = scan.torn.offset;
        await fh.truncate(size);
        await fh.sync();
      } else if (size > 0 && buf[size - 1] !== 0x0a) {
        await fh.write('\n'); // terminate a complete last entry so the next append starts a new line
        await fh.sync();
        size += 1;
      }
      if (!existed) await fsyncDir(path.dirname(file));
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    const last = scan.entries.length > 0 ? scan.entries[scan.entries.length - 1]!.seq : 0;
    return { journal: new Journal(file, fh, size, last), scan };
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
    const data = Buffer.from(entries.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8');
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
    this.size += data.length;
    this.last = prev;
  }

  /** Entries with seq > `seq`, re-read from disk (the journal is not kept in memory). */
  async readAfter(seq: number): Promise<JournalEntry[]> {
    const buf = await readFile(this.file);
    return scanJournal(buf.subarray(0, this.size)).entries.filter((e) => e.seq > seq);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
