// The replay encoder's thread (src/workers/tape-encoder.ts) as the main thread holds it. It is started as the
// process starts, so that its boot and the parse of the candle file overlap the loading of the engine's code and
// the opening of the session; it hands over the file's candles, then (at --speed max) plays them into the frame
// ring the in-process feed reads (replay-feed.ts), filling it and waiting there until the feed starts. What it
// plays is fixed by the config (channels of the interval, decoded unless --record), so nothing is asked of the
// feed but to read. Every thread started here ends by `stopReplayEncoders`, whatever path the process takes.
import { statSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import { marketChannels } from '../shared/bitunix/channels.js';
import { CandleColumns } from '../shared/candle-pack.js';
import { createFrameRing } from '../shared/frame-ring.js';
import type { TapeEncoderData, TapeEncoderMessage, TapePlay } from '../workers/tape-encoder.js';
import type { EngineConfig } from './config.js';
import { spawnWorker } from './spawn-worker.js';

/** What decides the thread's work: the file, and how the tape is played (--speed max) or not (a paced replay). */
export type ReplayEncoderConfig = Pick<EngineConfig, 'replay' | 'symbol' | 'speed' | 'interval' | 'record'>;

const RING_BYTES = 1 << 21;
/**
 * The encoder's old generation, sized from the file's size (known before the thread starts; the candle count, the
 * old measure, is known only once the file is parsed, there). Playing needs a constant: the candles are in shared
 * memory, outside its heap, and a month or a year of them plays in 12 MB (the base leaves room for the codec's
 * churn). The parse needs room for the longest line, at most the whole file: its text, and a bad row's error,
 * which quotes it, posted to the main thread (a 40 MB line needed about 2x, hence 3x).
 */
const ENCODER_OLD_BASE_MB = 24;
const ENCODER_OLD_PER_FILE_BYTE = 3;

export class ReplayEncoder {
  /** The file's candles, gap-free, in shared memory; rejects with the file's error (`file:line: ...`). */
  readonly candles: Promise<CandleColumns>;
  /** How it plays the tape; null: it reads the file only. */
  readonly play: TapePlay | null;
  private readonly worker: Worker;
  private read = false;
  /** The thread failed after the read: the feed reports it once it starts. */
  private failure: string | null = null;
  private onFailure: ((message: string) => void) | null = null;
  private stopped: Promise<void> | null = null;

  constructor(readonly c: ReplayEncoderConfig) {
    const file = c.replay!;
    this.play = c.speed === 'max' ? { channels: marketChannels(c.interval), ring: createFrameRing(RING_BYTES), decoded: c.record === null } : null;
    const data: TapeEncoderData = { kind: 'tape-encoder', file, symbol: c.symbol, play: this.play };
    // The encoder's garbage stays in a small heap of its own. A file that cannot be read is the read's to
    // report, with the message a read on this thread gave; its size counts as none here.
    const resourceLimits = {
      maxYoungGenerationSizeMb: 2,
      maxOldGenerationSizeMb: ENCODER_OLD_BASE_MB + Math.ceil((fileSize(file) * ENCODER_OLD_PER_FILE_BYTE) / 1048576),
    };
    this.worker = spawnWorker('tape-encoder', { workerData: data, resourceLimits });
    let settle: { resolve(c: CandleColumns): void; reject(err: Error): void } | null = null;
    this.candles = new Promise<CandleColumns>((resolve, reject) => (settle = { resolve, reject }));
    this.candles.catch(() => {}); // not handled here: openReplay awaits this same promise and throws its error
    const done = settle!;
    const failed = (message: string): void => {
      if (!this.read) {
        this.read = true;
        done.reject(new Error(message));
      } else if (this.failure === null) {
        this.failure = message;
        this.onFailure?.(message);
      }
    };
    this.worker.on('message', (m: TapeEncoderMessage) => {
      if (m.kind === 'failed') return failed(`replay encoder failed: ${m.message}`);
      this.read = true;
      if (m.kind === 'candles') done.resolve(new CandleColumns(m.data));
      else done.reject(Object.assign(new Error(m.message), { stack: m.stack }));
    });
    // Its own end (out of memory, say): before the candles, the replay cannot open; after, the feed fails.
    this.worker.on('error', (err) => failed(`replay encoder failed: ${err.message}`));
    this.worker.once('exit', (code) => {
      if (!this.read) done.reject(new Error(`replay encoder exited (code ${code}) before the candles were read`));
      live.delete(this);
    });
    live.add(this);
  }

  /** The feed reads the ring from now on: a failure of the thread (before or after this) goes to `onFailure`. */
  watch(onFailure: (message: string) => void): void {
    this.onFailure = onFailure;
    const failed = this.failure;
    if (failed !== null) setImmediate(() => onFailure(failed));
  }

  /** Idempotent. */
  terminate(): Promise<void> {
    this.onFailure = null;
    this.stopped ??= this.worker.terminate().then(() => {});
    return this.stopped;
  }

  /** Started for this config (the same file, read for the same feed). */
  serves(c: ReplayEncoderConfig): boolean {
    const a = this.c;
    return (
      a.replay === c.replay &&
      a.symbol === c.symbol &&
      (a.speed === 'max') === (c.speed === 'max') &&
      a.interval === c.interval &&
      (a.record === null) === (c.record === null)
    );
  }
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** Every encoder not yet ended. */
const live = new Set<ReplayEncoder>();
/** The one started ahead of openReplay (the process plays one file). */
let ahead: ReplayEncoder | null = null;

/**
 * Start the encoder now, while the engine's code loads and the state opens; openReplay takes it. A file that
 * cannot be read or parsed rejects there, where the session expects it (and not at all when the session never
 * gets that far, as before).
 */
export function readReplayAhead(c: ReplayEncoderConfig): void {
  ahead = new ReplayEncoder(c);
}

/** The encoder started ahead for `c`, else a new one (an ahead one for another config is ended). */
export function takeReplayEncoder(c: ReplayEncoderConfig): ReplayEncoder {
  const taken = ahead;
  ahead = null;
  if (taken?.serves(c)) return taken;
  void taken?.terminate();
  return new ReplayEncoder(c);
}

/** End every encoder thread still running (the session's own ends with its feed); the process may then exit. */
export async function stopReplayEncoders(): Promise<void> {
  ahead = null;
  await Promise.all([...live].map((e) => e.terminate()));
}
