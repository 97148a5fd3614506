// --feed replay of a frame log: the recorded frame texts go through the same decoder and the same handlers as
// a live socket's, in process, at the recorded pace (receive-time gaps / --speed) or as fast as they are
// consumed (--speed max). REST is answered from the recording, and an answer lands before the next frame,
// so a replay's journal does not depend on how busy the machine is. The replay never reconnects; where the
// recorded socket went down, the session is told, so it is blind there as the live session was.
import { decodeFrame, FrameReader, type DecodeOptions, type Frame } from '../shared/bitunix/index.js';
import type { Clock } from '../shared/clock.js';
import type { FrameSink } from './frame-recorder.js';
import { frameLogFiles, readFrameLogEntries, type FrameLogFile } from './frame-log-reader.js';
import type { MarketDataFeed, FeedState } from './market-feed.js';
import { RecordedRest, type RecordedResponse } from './recorded-rest.js';

export interface FrameLogFeedHandlers {
  onFrame(frame: Frame, recvTime: number, recvHr: number): void;
  /** The first data frame has been handled (so market time is the recording's). */
  onData(): void;
  /** The recorded session's socket went down here: what it did not see from now to its next tick is a blind span. */
  onRecordedDown(reason: string): void;
  /** Every frame has been handled; `frames` in all. */
  onEnd(frames: number): void;
  /** The log could not be read: the replay ends early. */
  onError(message: string): void;
}

export interface FrameLogFeedOptions {
  files: readonly FrameLogFile[];
  speed: number | 'max';
  rest: RecordedRest;
  /** --record of a replay: the frames again, at this replay's receive times. */
  recorder?: FrameSink | null;
}

/**
 * The frame log of `symbol` at `target` (a directory or one file), checked against the session's interval,
 * with every REST reply it holds ready to answer.
 */
export function openFrameLog(target: string, symbol: string, interval: string): { files: FrameLogFile[]; rest: RecordedRest; frames: number } {
  const files = frameLogFiles(target, symbol);
  const wrong = files.find((f) => f.header.interval !== interval);
  if (wrong) throw new Error(`${wrong.file}: recorded at --interval ${wrong.header.interval}; replay it with --interval ${wrong.header.interval}`);
  const responses: RecordedResponse[] = [];
  let frames = 0;
  for (const { file } of files) {
    for (const e of readFrameLogEntries(file)) {
      if (e.kind === 'rest') responses.push({ t: e.t, path: e.path, body: e.body });
      else if (e.kind === 'ws') frames++;
    }
  }
  return { files, rest: new RecordedRest(responses), frames };
}

/** At --speed max, frames handled per event-loop turn, so timers, signals and the kill file are served. */
const FRAMES_PER_TURN = 256;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class FrameLogFeed implements MarketDataFeed {
  private stateValue: FeedState = 'idle';
  private lastFrameAt = 0;
  /** Receive time (in the recording) of the entry being played: REST answers are chosen by it. */
  cursor = 0;
  readonly reconnects = 0;

  constructor(
    private readonly opts: FrameLogFeedOptions,
    private readonly clock: Clock,
    private readonly handlers: FrameLogFeedHandlers,
  ) {}

  get state(): FeedState {
    return this.stateValue;
  }

  get lastFrameWall(): number {
    return this.lastFrameAt;
  }

  private get stopped(): boolean {
    return this.stateValue === 'stopped';
  }

  start(): void {
    this.stateValue = 'open';
    this.play().then(
      (frames) => {
        if (frames !== null) this.handlers.onEnd(frames);
      },
      (err: unknown) => {
        if (this.stopped) return;
        this.stateValue = 'fatal';
        this.handlers.onError(`frame log replay failed: ${(err as Error).message}`);
      },
    );
  }

  /** Nothing to reconnect to: the recording plays on. */
  forceReconnect(): void {}

  async stop(): Promise<void> {
    this.stateValue = 'stopped';
  }

  /** Frames handled, or null when stopped first. */
  private async play(): Promise<number | null> {
    const { speed, rest, recorder } = this.opts;
    const reader = new FrameReader();
    let frames = 0;
    let gotData = false;
    let turn = 0;
    let answered = rest.answered;
    let firstT = -1;
    let firstWall = 0;
    for (const { file, header } of this.opts.files) {
      const entries = readFrameLogEntries(file);
      const decodeOpts: DecodeOptions | undefined = header.maxFutureMs === null ? undefined : { nowMs: 0, maxFutureMs: header.maxFutureMs };
      for (const e of entries) {
        if (this.stopped) return null;
        this.cursor = e.t;
        if (e.kind === 'down') this.handlers.onRecordedDown(e.reason);
        if (e.kind !== 'ws') continue;
        if (speed === 'max') {
          if (++turn >= FRAMES_PER_TURN) {
            turn = 0;
            await nextTurn();
          }
        } else {
          if (firstT < 0) {
            firstT = e.t;
            firstWall = this.clock.now();
          }
          const wait = firstWall + (e.t - firstT) / speed - this.clock.now();
          if (wait >= 1) await sleep(wait);
          else if (++turn >= FRAMES_PER_TURN) {
            turn = 0;
            await nextTurn();
          }
        }
        if (this.stopped) return null;
        const recvHr = performance.now();
        const recv = this.clock.now();
        this.lastFrameAt = recv;
        recorder?.frame(e.text, recv);
        // The decoder judges "too far in the future" against the time the frame was received live.
        if (decodeOpts) decodeOpts.nowMs = e.t;
        const frame = reader.decode(Buffer.from(e.text), decodeOpts) ?? decodeFrame(e.text, decodeOpts);
        this.handlers.onFrame(frame, recv, recvHr);
        frames++;
        if (!gotData && (frame.type === 'book' || frame.type === 'trade' || frame.type === 'kline' || frame.type === 'price')) {
          gotData = true;
          this.handlers.onData();
        }
        // A frame that asked REST something: its answers (and whatever they trigger) land before the next frame.
        if (rest.answered !== answered) {
          await nextTurn();
          answered = rest.answered;
        }
      }
    }
    return frames;
  }
}
