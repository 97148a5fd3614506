// Market data in: the source opened (Bitunix, the embedded simulator, a candle tape or a frame log), REST history
// beside it (written to the frame log with --record), span recovery and funding on that history, then the feed
// started with the session's handlers. The shutdown stops it again part by part, in its own order.
import { type Frame, marketChannels } from '../../shared/bitunix/index.js';
import { SPAN_CANDLE_MS } from '../../shared/blind-spans.js';
import type { Rng } from '../../shared/rng.js';
import type { EngineConfig } from '../config.js';
import type { EmbeddedSim } from '../embedded-sim.js';
import { isFrameLog } from '../frame-log-reader.js';
import type { FrameRecorder } from '../frame-recorder.js';
import type { MarketDataFeed } from '../market-feed.js';
import { MinuteCandles } from '../minute-candles.js';
import type { MarketHistory } from '../replay-history.js';
import type { ReplaySource } from '../replay-source.js';
import { RestClient } from '../rest-client.js';
import { createRecorder, createSocketFeed, createTapeFeed, recordedHistory, restOptionsOf, type FeedParts } from './compose.js';
import type { MarketEvents } from './market-events.js';
import { logFunding, seedCandles, type HistoryParts } from './market-history.js';
import { openFrameLogReplay, openMarketSource } from './market-source.js';
import { simStartTs } from './recovery.js';
import { ReplayRun } from './replay-run.js';
import type { SessionControl } from './session-control.js';

export interface MarketIntakeDeps extends SessionControl {
  cfg: EngineConfig;
  rng: Rng;
  version: string;
  market: MarketEvents;
}

export class MarketIntake {
  private feedValue: MarketDataFeed | null = null;
  /** --record: the frame log being written. */
  private recorder: FrameRecorder | null = null;
  private rest: MarketHistory | null = null;
  private minutes: MinuteCandles | null = null;
  private sim: EmbeddedSim | null = null;
  // ── replay: market time is the tape's (see replay-source.ts) ──
  private replay: ReplaySource | null = null;
  private replayRunValue: ReplayRun | null = null;

  constructor(private readonly d: MarketIntakeDeps) {}

  /** The feed, once started. */
  get feed(): MarketDataFeed | null {
    return this.feedValue;
  }

  /** A candle tape (not a frame log) is being replayed: its warm-up candles are seeded before its first frame. */
  get tapeReplay(): boolean {
    return this.replay !== null;
  }

  /** Open the market source (`sessionStart`: wall ms, for the frame log's header) and start the feed. */
  async start(sessionStart: number): Promise<void> {
    const { cfg, log, clock, version } = this.d;
    if (cfg.feed === 'replay' && isFrameLog(cfg.replay!)) {
      await this.startFrameLogReplay(sessionStart);
      return;
    }
    const source = await openMarketSource(cfg, log, {
      simStartTs: () => simStartTs(this.d.core().broker.state, clock.now(), cfg.intervalMs),
      lastMarketTs: () => this.d.core().lastMarketTs,
      replaySent: () => this.onReplaySent(),
    });
    this.sim = source.sim;
    this.replay = source.replay;
    const { wsUrl, restUrl } = source;
    this.recorder = createRecorder(cfg, { version, sessionStart, log, maxFutureMs: cfg.feed === 'bitunix' ? 60_000 : null });
    const history = this.replay?.history ?? null;
    this.useHistory(
      history ? recordedHistory(history, cfg.symbol, this.recorder, clock) : new RestClient(restUrl, cfg.symbol, restOptionsOf(version, this.recorder, clock)),
    );
    await this.startFeed(wsUrl, null);
  }

  /** REST history for the feed in use (set before the feed starts). */
  history(): HistoryParts {
    if (!this.rest || !this.minutes) throw new Error('market history used before the feed was set up');
    const d = this.d;
    return { rest: this.rest, minutes: this.minutes, core: d.core(), interval: d.cfg.interval, log: d.log, record: (e) => d.record(e) };
  }

  /** The session's REST history, and the 1-minute candles its gaps and blind spans share. */
  private useHistory(rest: MarketHistory): void {
    const d = this.d;
    this.rest = rest;
    this.minutes = new MinuteCandles({ rest, screen: (c) => d.core().screenCandles(c, SPAN_CANDLE_MS), marketNow: () => d.core().lastMarketTs });
  }

  /** No more replay timers. */
  stopReplay(): void {
    this.replayRunValue?.stop();
  }

  /** No more frames (and no replay encoder, whether or not a feed took it). */
  async stopFeed(): Promise<void> {
    await this.feedValue?.stop();
    await this.replay?.encoder.terminate();
  }

  /** Close the frame log being recorded (if any); settles once it is on disk. */
  closeRecorder(): Promise<void> | undefined {
    return this.recorder?.close().then((r) => this.d.log.info({ recording: r }, 'frame log closed'));
  }

  async stopSim(): Promise<void> {
    await this.sim?.stop();
  }

  /** Span recovery and funding on this.rest, then the feed (a socket to wsUrl, the tape, or `source`). */
  private async startFeed(wsUrl: string, source: MarketDataFeed | null): Promise<void> {
    const d = this.d;
    d.market.recoverSpansFrom(this.minutes!);

    void logFunding(this.history());
    // A replay's history is the one closed before its first streamed candle, seeded before any frame is read.
    if (this.replay) await seedCandles(this.history(), this.replay.tape.firstLiveTs);

    const channels = marketChannels(d.cfg.interval);
    const handlers = d.market.feedHandlers(
      wsUrl,
      this.replay ? this.tapeFrameHandler(this.replay) : (frame, recv, recvHr) => d.core().onFrame(frame, recv, recvHr),
    );
    const parts: FeedParts = { cfg: d.cfg, rng: d.rng, clock: d.clock, log: d.log, recorder: this.recorder, channels, handlers };
    this.feedValue =
      source ??
      (this.replay?.transport === 'memory'
        ? createTapeFeed(
            parts,
            this.replay.encoder,
            () => this.onReplaySent(),
            (message) => {
              d.fail(message);
              d.stop('replay_end', 1);
            },
          )
        : createSocketFeed(parts, wsUrl, this.replay !== null));
    this.feedValue.start();
  }

  /** A candle tape's frames: looked up once, not per frame (a month is a million of them). */
  private tapeFrameHandler(replay: ReplaySource): (frame: Frame, recv: number, recvHr: number) => void {
    const run = this.replayRun;
    const endTs = replay.tape.endTs;
    return (frame, recv, recvHr) => run.onTapeFrame(frame, recv, recvHr, endTs);
  }

  /** The whole tape was sent (the in-process tape, or the simulator's socket). */
  private onReplaySent(): void {
    const tape = this.replay!.tape;
    this.replayRun.onSent(tape.liveCandles, tape.endTs);
  }

  private get replayRun(): ReplayRun {
    const d = this.d;
    this.replayRunValue ??= new ReplayRun({
      core: d.core(),
      clock: d.clock,
      log: d.log,
      intervalMs: d.cfg.intervalMs,
      refreshTradingState: () => d.refreshTradingState(),
      end: (exitCode) => d.stop('replay_end', exitCode),
      fail: (message) => d.fail(message),
      stopping: () => d.stopping(),
      lastFrameWall: () => this.feedValue?.lastFrameWall ?? 0,
    });
    return this.replayRunValue;
  }

  private async startFrameLogReplay(sessionStart: number): Promise<void> {
    const d = this.d;
    const onError = (message: string): void => {
      d.fail(message);
      d.stop('fatal', 1);
    };
    const handlers = this.replayRun.recordingHandlers(() => d.market.onData(), onError);
    const played = openFrameLogReplay(d.cfg, { clock: d.clock, log: d.log, version: d.version, sessionStart, handlers });
    this.recorder = played.recorder;
    this.useHistory(played.rest);
    await this.startFeed('', played.feed);
  }
}
