// The in-process transport of a replay at --speed max: a worker thread (replay-encoder.ts, started with the
// process) plays the tape (the frames the simulator would send, encoded by the shared codec) into a shared frame
// ring, and the frames go on to the same handlers here. A frame comes decoded by the socket path's decoder on
// that thread (frame-records.ts), or as its text (always with --record, and while this thread keeps up) and is
// decoded here, as the socket's would be. No socket, no simulator, no wall-clock pace: market time is the tape's,
// and nothing waits for a quiet connection. Frames come in batches with a turn of the event loop between them, so
// the journal, snapshots and timers run.
import { decodeFrame, type Frame, FrameReader, frameSlots } from '../shared/bitunix/index.js';
import type { Clock } from '../shared/clock.js';
import { FrameRecordReader, isFrameRecord } from '../shared/frame-records.js';
import { FrameRingReader } from '../shared/frame-ring.js';
import type { FrameSink } from './frame-recorder.js';
import type { FeedHandlers, FeedState, MarketDataFeed } from './market-feed.js';
import type { ReplayEncoder } from './replay-encoder.js';

/** Frames decoded per event-loop turn. */
const FRAMES_PER_TURN = 8192;
/** While the ring is empty, look again at least this often. */
const EMPTY_POLL_MS = 50;

export interface TapeFeedHandlers extends Pick<FeedHandlers, 'onFrame' | 'onOpen' | 'onData'> {
  /** The tape has served its last frame. */
  onExhausted(): void;
  /** The encoding thread failed: the replay cannot go on. */
  onFailure(message: string): void;
}

export class TapeFeed implements MarketDataFeed {
  private stateValue: FeedState = 'idle';
  private lastFrameAt = 0;
  private gotData = false;
  /**
   * Both readers write into one Frame per kind, valid until the next frame: the core reads a frame during its
   * call and copies what it keeps (the price guard, a frame it holds; the candle builder, a kline's values).
   */
  private readonly slots = frameSlots();
  private readonly decoder = new FrameReader(this.slots);
  private readonly records = new FrameRecordReader(this.slots);
  private readonly ring: FrameRingReader;
  private readonly take = (bytes: Buffer, start: number, end: number): void => this.deliver(bytes, start, end);
  readonly reconnects = 0;

  /** `encoder` plays `channels` into its ring, decoded unless `recorder` wants their text. */
  constructor(
    private readonly encoder: ReplayEncoder,
    channels: string[],
    private readonly clock: Clock,
    private readonly handlers: TapeFeedHandlers,
    /** --record: each frame's text, as the socket would have received it. */
    private readonly recorder: FrameSink | null = null,
  ) {
    const play = encoder.play;
    if (play === null || play.decoded !== (recorder === null) || play.channels.join() !== channels.join()) {
      throw new Error(
        `replay: the encoder plays ${play === null ? 'nothing' : `${play.channels.join()}${play.decoded ? ' decoded' : ' as text'}`}, not this feed's frames`,
      );
    }
    this.ring = new FrameRingReader(play.ring);
  }

  get state(): FeedState {
    return this.stateValue;
  }

  get lastFrameWall(): number {
    return this.lastFrameAt;
  }

  /** The encoder is already playing (the ring may be full): from now on its frames are read. */
  start(): void {
    this.stateValue = 'open';
    this.encoder.watch((message) => {
      if (this.stateValue === 'open') this.handlers.onFailure(message);
    });
    this.handlers.onOpen();
    this.pump();
  }

  /** A replay has no connection to lose. */
  forceReconnect(): void {}

  async stop(): Promise<void> {
    this.stateValue = 'stopped';
    await this.encoder.terminate();
  }

  private pump(): void {
    if (this.stateValue !== 'open') return;
    this.lastFrameAt = this.clock.now();
    const n = this.ring.read(FRAMES_PER_TURN, this.take);
    if (this.stateValue !== 'open') return;
    if (n > 0) {
      setImmediate(() => this.pump());
      return;
    }
    if (this.ring.finished && this.ring.read(1, this.take) === 0) {
      this.stateValue = 'idle';
      this.handlers.onExhausted();
      return;
    }
    void this.ring.whenWritten(EMPTY_POLL_MS).then(() => this.pump());
  }

  /**
   * One frame: its decoded record, or its bytes as the socket would deliver them, through the same decoder (the
   * byte reader, else the text). The frames of one turn share its wall time; the stop decision, a measure of
   * the live socket path, is not timed.
   */
  private deliver(bytes: Buffer, start: number, end: number): void {
    if (this.stateValue !== 'open') return;
    let frame: Frame | null;
    if (isFrameRecord(bytes, start)) {
      frame = this.records.read(bytes, start, end);
      if (frame === null) return; // a name, for the records after it
    } else {
      if (this.recorder !== null) this.recorder.frame(bytes.toString('utf8', start, end), this.lastFrameAt);
      frame = this.decoder.decodeAt(bytes, start, end) ?? decodeFrame(bytes.toString('latin1', start, end));
    }
    if (!this.gotData && (frame.type === 'book' || frame.type === 'trade' || frame.type === 'kline' || frame.type === 'price')) {
      this.gotData = true;
      this.handlers.onData();
    }
    this.handlers.onFrame(frame, this.lastFrameAt, -1);
  }
}
