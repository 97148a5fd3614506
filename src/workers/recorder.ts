// The frame log writer (--record): batches of received frames and REST bodies from the main thread are
// encoded, gzipped and appended here, off the tick path. Each second's lines become one complete gzip member
// (a crash loses at most the last second; readers decompress the members as one stream). A new file starts
// with every UTC hour of receive time. The first write error (a full disk) ends the recording: it is reported
// once and everything after it is dropped; the trading never waits for this thread.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { encodeHeader, encodeItem, frameLogFileName, hourOf, type FrameLogHeader, type ItemKind } from '../shared/frame-log.js';
import { answerMemoryCensus } from './memory-census.js';

answerMemoryCensus('recorder');

export interface RecorderData {
  kind: 'recorder';
  dir: string;
  header: FrameLogHeader;
  /** Wall ms between gzip members (default 1000). */
  flushEveryMs?: number;
}

/** Main → worker. `items` is flat: [t, kind, text, path|null, t, kind, ...]. */
export type RecorderIn = { type: 'batch'; items: (number | string | null)[]; chars: number } | { type: 'close' };

/** Worker → main. */
export type RecorderOut =
  | { type: 'written'; chars: number }
  | { type: 'failed'; message: string }
  | { type: 'closed'; files: number; bytes: number; lines: number };

/** Pending text above this size is compressed at once rather than at the next second. */
const MEMBER_MAX_CHARS = 1 << 20;

class FrameLogWriter {
  private fd: number | null = null;
  private hour = -1;
  private pending: string[] = [];
  private pendingChars = 0;
  private failed = false;
  files = 0;
  bytes = 0;
  lines = 0;

  constructor(
    private readonly dir: string,
    private readonly header: FrameLogHeader,
    private readonly onFail: (message: string) => void,
  ) {}

  add(items: (number | string | null)[]): void {
    if (this.failed) return;
    for (let i = 0; i + 3 < items.length; i += 4) {
      const t = items[i] as number;
      const h = hourOf(t);
      if (h !== this.hour) this.rotate(h);
      if (this.failed) return;
      const line = encodeItem(t, items[i + 1] as ItemKind, items[i + 2] as string, items[i + 3] as string | null);
      this.pending.push(line);
      this.pendingChars += line.length;
      this.lines++;
      if (this.pendingChars >= MEMBER_MAX_CHARS) this.flush();
    }
  }

  /** Compress and append what is pending as one gzip member. */
  flush(): void {
    if (this.failed || this.pending.length === 0 || this.fd === null) return;
    const member = gzipSync(this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
    try {
      let off = 0;
      while (off < member.length) off += writeSync(this.fd, member, off);
      this.bytes += member.length;
    } catch (err) {
      this.fail(err as Error);
    }
  }

  close(): void {
    this.flush();
    this.closeFile();
  }

  private rotate(hour: number): void {
    this.flush();
    this.closeFile();
    this.hour = hour;
    try {
      mkdirSync(this.dir, { recursive: true });
      this.fd = openSync(path.join(this.dir, frameLogFileName(this.header.symbol, hour, this.header.sessionStart)), 'a');
      this.files++;
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    const line = encodeHeader(this.header);
    this.pending.push(line);
    this.pendingChars += line.length;
  }

  private closeFile(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch (err) {
      this.fail(err as Error);
    }
    this.fd = null;
  }

  private fail(err: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.pending = [];
    this.pendingChars = 0;
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // the recording has already failed with the first error; a second one says nothing new
      }
      this.fd = null;
    }
    this.onFail(err.message);
  }
}

if (parentPort) {
  const port = parentPort;
  const data = workerData as RecorderData;
  const writer = new FrameLogWriter(data.dir, data.header, (message) => port.postMessage({ type: 'failed', message } satisfies RecorderOut));
  const timer = setInterval(() => writer.flush(), data.flushEveryMs ?? 1000);
  port.on('message', (m: RecorderIn) => {
    if (m.type === 'batch') {
      writer.add(m.items);
      port.postMessage({ type: 'written', chars: m.chars } satisfies RecorderOut);
    } else if (m.type === 'close') {
      clearInterval(timer);
      writer.close();
      port.postMessage({ type: 'closed', files: writer.files, bytes: writer.bytes, lines: writer.lines } satisfies RecorderOut);
      port.close();
    }
  });
}
