// --record, the main thread's side: every frame and REST body is pushed onto a flat buffer (no encoding,
// no I/O on the tick path) and handed to the recorder worker every FLUSH_MS or BATCH_ITEMS items. The
// worker's backlog is bounded: past MAX_IN_FLIGHT_CHARS unacknowledged, items are dropped and counted, never
// queued without bound. A failed recording (a full disk) is warned about once and stops; trading goes on.
import type { Worker } from 'node:worker_threads';
import { ITEM_DOWN, ITEM_OPEN, ITEM_REST, ITEM_WS, type FrameLogHeader, type ItemKind } from '../shared/frame-log.js';
import type { RecorderData, RecorderIn, RecorderOut } from '../workers/recorder.js';
import type { Logger } from './logger.js';
import { spawnWorker } from './spawn-worker.js';

const FLUSH_MS = 50;
const BATCH_ITEMS = 2048;
const MAX_IN_FLIGHT_CHARS = 32 * 1024 * 1024;
const CLOSE_TIMEOUT_MS = 5000;

/** What the feed and the REST client call while recording. */
export interface FrameSink {
  frame(text: string, t: number): void;
  rest(pathAndQuery: string, body: string, t: number): void;
  opened(url: string, t: number): void;
  down(reason: string, t: number): void;
}

export interface RecorderStats {
  dir: string;
  items: number;
  dropped: number;
  failed: string | null;
  files: number;
  bytes: number;
}

export class FrameRecorder implements FrameSink {
  private readonly worker: Worker;
  private items: (number | string | null)[] = [];
  private chars = 0;
  private inFlightChars = 0;
  private timer: NodeJS.Timeout | null = null;
  private failed: string | null = null;
  private closing: Promise<RecorderStats> | null = null;
  private recorded = 0;
  private dropped = 0;
  private dropWarned = false;
  private final = { files: 0, bytes: 0 };

  constructor(
    private readonly dir: string,
    header: FrameLogHeader,
    private readonly log: Logger,
  ) {
    const data: RecorderData = { kind: 'recorder', dir, header };
    this.worker = spawnWorker('recorder', { workerData: data });
    this.worker.on('message', (m: RecorderOut) => {
      if (m.type === 'written') this.inFlightChars -= m.chars;
      else if (m.type === 'failed') this.stopRecording(m.message);
      else if (m.type === 'closed') this.final = { files: m.files, bytes: m.bytes };
    });
    this.worker.on('error', (err) => this.stopRecording(`recorder worker failed: ${err.message}`));
    // The recorder never keeps the process alive on its own.
    this.worker.unref();
  }

  frame(text: string, t: number): void {
    this.push(t, ITEM_WS, text, null);
  }

  rest(pathAndQuery: string, body: string, t: number): void {
    this.push(t, ITEM_REST, body, pathAndQuery);
  }

  opened(url: string, t: number): void {
    this.push(t, ITEM_OPEN, url, null);
  }

  down(reason: string, t: number): void {
    this.push(t, ITEM_DOWN, reason, null);
  }

  private push(t: number, kind: ItemKind, text: string, path: string | null): void {
    if (this.failed !== null || this.closing) return;
    const size = text.length + (path?.length ?? 0) + 16;
    if (this.inFlightChars + this.chars + size > MAX_IN_FLIGHT_CHARS) {
      this.dropped++;
      if (!this.dropWarned) {
        this.dropWarned = true;
        this.log.warn({ dir: this.dir }, 'recording: the writer is behind; frames are dropped (and counted) until it catches up');
      }
      return;
    }
    this.items.push(t, kind, text, path);
    this.chars += size;
    this.recorded++;
    if (this.items.length >= BATCH_ITEMS * 4) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.items.length === 0 || this.failed !== null) return;
    const msg: RecorderIn = { type: 'batch', items: this.items, chars: this.chars };
    this.inFlightChars += this.chars;
    this.items = [];
    this.chars = 0;
    this.worker.postMessage(msg);
  }

  /** One warning, then nothing is recorded any more. */
  private stopRecording(message: string): void {
    if (this.failed !== null) return;
    this.failed = message;
    this.items = [];
    this.chars = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.log.warn({ dir: this.dir, err: message, recorded: this.recorded }, 'recording stopped: the frame log cannot be written; trading goes on');
  }

  /** Write what is buffered, close the files, end the worker. Never throws. */
  close(): Promise<RecorderStats> {
    this.closing ??= new Promise<RecorderStats>((resolve) => {
      this.flush();
      let finished = false;
      const done = (): void => {
        if (finished) return;
        finished = true;
        clearTimeout(force);
        void this.worker.terminate().then(() => resolve({ dir: this.dir, items: this.recorded, dropped: this.dropped, failed: this.failed, ...this.final }));
      };
      const force = setTimeout(() => {
        this.log.warn({ dir: this.dir }, 'recording: the writer did not finish in time; the last frames may be missing');
        done();
      }, CLOSE_TIMEOUT_MS);
      this.worker.on('message', (m: RecorderOut) => {
        if (m.type === 'closed') done();
      });
      this.worker.once('exit', done);
      this.worker.postMessage({ type: 'close' } satisfies RecorderIn);
    });
    return this.closing;
  }
}
