// A replay's end is decided by the tape's market time, and its trading state is refreshed per closed candle (not
// by the wall-clock heartbeat), so its journal lines fall at the same frame on every run.
import type { Frame } from '../../shared/bitunix/index.js';
import type { Clock } from '../../shared/clock.js';
import type { FrameLogFeedHandlers } from '../frame-log-feed.js';
import type { Logger } from '../logger.js';
import type { TradingCore } from '../trading/trading-core.js';

/** A replay whose stream was all sent but whose last frame never arrived gives up after this long without a frame. */
const REPLAY_GIVE_UP_MS = 15_000;

export interface ReplayRunDeps {
  core: TradingCore;
  clock: Clock;
  log: Logger;
  intervalMs: number;
  refreshTradingState(): void;
  /** The session stops with this exit code (0: the replay ran to its end). */
  end(exitCode: 0 | 1): void;
  fail(message: string): void;
  stopping(): boolean;
  /** Wall time the feed last delivered a frame. */
  lastFrameWall(): number;
}

export class ReplayRun {
  private ended = false;
  /** Closed candles the trading state was last refreshed at. */
  private bars = 0;
  private giveUp: NodeJS.Timeout | null = null;

  constructor(private readonly d: ReplayRunDeps) {}

  /** A candle tape's frame; the replay ends on its last frame, before anything else is read. */
  onTapeFrame(frame: Frame, recv: number, recvHr: number, endTs: number): void {
    const core = this.d.core;
    core.onFrame(frame, recv, recvHr);
    this.refreshPerCandle();
    if (core.lastMarketTs >= endTs && !this.ended) {
      this.ended = true;
      this.closeLastCandle();
    }
  }

  /** A frame log's frame: candles close on the recording's clock, frame by frame, not at whichever frame a timer meets. */
  onRecordedFrame(frame: Frame, recv: number, recvHr: number): void {
    this.d.core.onFrame(frame, recv, recvHr);
    this.d.core.onMarketTime();
    this.refreshPerCandle();
  }

  /** A frame log's feed handlers: its frames, where the recorded socket went down (blind, as live), its end. */
  recordingHandlers(onData: () => void, onError: (message: string) => void): FrameLogFeedHandlers {
    const { core, log } = this.d;
    return {
      onFrame: (frame, recv, recvHr) => this.onRecordedFrame(frame, recv, recvHr),
      onData,
      onRecordedDown: (reason) => {
        log.info({ reason }, 'the recorded socket went down here: blind until its next tick');
        core.blind('disconnect');
      },
      onEnd: (frames) => {
        log.info({ frames }, 'frame log replayed to its end');
        this.closeLastCandle();
      },
      onError,
    };
  }

  /**
   * The whole tape was sent. Its last frame normally follows at once; one that never arrives (a socket that
   * lost it) is an error, never a silent end.
   */
  onSent(liveCandles: number, endTs: number): void {
    const d = this.d;
    d.log.info({ candles: liveCandles }, 'replay finished sending');
    const check = setInterval(() => {
      if (this.ended || d.stopping()) return clearInterval(check);
      if (d.clock.now() - d.lastFrameWall() < REPLAY_GIVE_UP_MS) return;
      clearInterval(check);
      d.fail(`replay: the stream stopped at market time ${d.core.lastMarketTs}, before its last frame at ${endTs}`);
      d.end(1);
    }, 250);
    this.giveUp = check;
  }

  stop(): void {
    if (this.giveUp) clearInterval(this.giveUp);
  }

  private closeLastCandle(): void {
    const core = this.d.core;
    core.onMarketTime(core.lastMarketTs + 2 * this.d.intervalMs);
    this.d.refreshTradingState();
    this.d.end(0);
  }

  private refreshPerCandle(): void {
    if (this.d.core.barIndex !== this.bars) {
      this.bars = this.d.core.barIndex;
      this.d.refreshTradingState();
    }
  }
}
