// The trading session: wires feed → ring → broker → candles → strategy → execution queue → broker →
// journal, and owns the lifecycle tasks (heartbeat, kill switch, duration, stale data, memory, watchdog)
// and the ordered shutdown of docs/session-lifecycle.md §2. Every tick is checked against the open position before the next
// frame is read; nothing on that path waits for the disk or a worker.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import { marketChannels, type Frame } from '../shared/bitunix/index.js';
import { PaperBroker } from '../shared/broker.js';
import { contractKind, DEFAULT_BROKER_CONFIG, type BrokerConfig } from '../shared/broker-config.js';
import { CandleBuilder } from '../shared/candle-builder.js';
import type { Clock } from '../shared/clock.js';
import type { EngineEvent, StopReason } from '../shared/events.js';
import { ReconnectPolicy } from '../shared/reconnect-policy.js';
import { createRng, type Rng } from '../shared/rng.js';
import { sealSnapshot } from '../shared/state-schema.js';
import type { Strategy } from '../shared/strategy.js';
import { TickRing } from '../shared/tick-ring.js';
import type { BrokerState, Candle, Tick } from '../shared/types.js';
import type { EngineConfig } from './config.js';
import { startEmbeddedSim, type EmbeddedSim } from './embedded-sim.js';
import { ExecutionQueue } from './execution-queue.js';
import { Journal } from './journal.js';
import type { Logger } from './logger.js';
import { TradingCore, type CoreSink } from './trading-core.js';
import { MarketFeed, type FeedHandlers, type MarketDataFeed } from './market-feed.js';
import { openReplay, type ReplaySource } from './replay-source.js';
import { TapeFeed } from './replay-feed.js';
import type { MarketHistory } from './replay-history.js';
import { FrameRecorder } from './frame-recorder.js';
import { isFrameLog } from './frame-log-reader.js';
import { FrameLogFeed, openFrameLog } from './frame-log-feed.js';
import { RecordingHistory } from './recording-history.js';
import type { LoadResult, StateStore } from './state-store.js';
import { buildFinalReport, candlesCsv, marketRecord, metricsCsv, summaryText, type FinalReport, type MetricsSample } from './reports.js';
import type { EquityPoint } from '../shared/equity-curve.js';
import { engineUserAgent, RestClient, type RestClientOptions } from './rest-client.js';
import { FRAME_LOG_VERSION } from '../shared/frame-log.js';
import { spawnWorker } from './spawn-worker.js';
import { SpanRecovery } from './span-recovery.js';
import { SPAN_CANDLE_MS, type BlindSpan } from '../shared/blind-spans.js';
import { breakerAt } from '../shared/breaker.js';
import { HALT_FILE, type HaltRecord } from '../shared/persistence-api.js';
import { ReconnectStorm, sameTradingState, tradingStateOf, type TradingState } from '../shared/trading-state.js';
import { PromMetrics } from './prom-metrics.js';
import { WebhookNotifier } from './notifier.js';
import { foldLoopDelay } from './latency-histogram.js';
import { CumulativeBuckets } from '../shared/cumulative-buckets.js';
import { loadChartLib, renderReport } from './report-html.js';
import { startStatusServer, type StatusServer, type StatusSnapshot } from './status-server.js';

export type { StopReason } from '../shared/events.js';

/** Stops that flatten the position; a signal (or a crash) keeps it for the next start. */
const CLOSES_POSITION: ReadonlySet<StopReason> = new Set(['duration', 'kill_file', 'breaker', 'replay_end']);
/** A replay whose stream was all sent but whose last frame never arrived gives up after this long without a frame. */
const REPLAY_GIVE_UP_MS = 15_000;
export { GENESIS_AT } from '../shared/journal-fold.js';
const ERROR_BUDGET = 20;
const SEED_CANDLES = 200;
const SHUTDOWN_DRAIN_MS = 1500;
const SNAPSHOT_EVERY_MS = 200;
/** metrics.csv keeps the last two days of 1 Hz samples (memory stays flat on long runs). */
const MAX_METRIC_SAMPLES = 172_800;
const BAD_FRAME_REPORT_MS = 10_000;
const WATCHDOG_LIMIT_MS = 30_000;
/** Heartbeats are 1 s apart; a longer silence means the whole process was suspended (or frozen): a blind span. */
const SUSPENDED_AFTER_MS = 5_000;
const LOOP_DELAY_RESOLUTION_MS = 10;
/** How long the shutdown waits for webhooks to take the SessionEnd (well inside pm2's kill_timeout). */
const WEBHOOK_SHUTDOWN_MS = 2000;

export interface SessionDeps {
  config: EngineConfig;
  strategy: Strategy;
  store: StateStore;
  log: Logger;
  clock: Clock;
  version: string;
  /** Called once the feed delivers data (pm2 wait_ready). */
  onReady?: () => void;
}

export class Session {
  private readonly cfg: EngineConfig;
  private readonly log: Logger;
  private readonly rng: Rng;
  private readonly ring = TickRing.allocate(1024);
  private readonly builder: CandleBuilder;
  private broker!: PaperBroker;
  private journal!: Journal;
  private feed: MarketDataFeed | null = null;
  /** --record: the frame log being written. */
  private recorder: FrameRecorder | null = null;
  private rest: MarketHistory | null = null;
  private exec: ExecutionQueue | null = null;
  private sim: EmbeddedSim | null = null;
  private watchdog: Worker | null = null;
  private readonly watchdogBeat = new BigInt64Array(new SharedArrayBuffer(8));
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
  /** Event-loop lag since the start, for the /metrics histogram (folded once per heartbeat). */
  private readonly loopLagTotal = new CumulativeBuckets();
  private readonly notifier: WebhookNotifier | null;
  /** The run's mark-to-market equity at every candle close, built with the final report. */
  private equityCurve: EquityPoint[] = [];

  private core!: TradingCore;
  private spanRecovery: SpanRecovery | null = null;
  /** Wall time of the previous heartbeat, to notice a suspended process. */
  private lastHeartbeatWall = 0;
  /** Market time in the newest snapshot requested (a position's snapshot follows market time each second). */
  private snapshotMarketTs = 0;
  /** Blind spans journaled this run. */
  private blindSpansSeen = 0;
  // ── replay: market time is the tape's (see replay-source.ts) ──
  private replay: ReplaySource | null = null;
  private replayEnded = false;
  /** Closed candles the trading state was last refreshed at (a replay refreshes it per candle, not per second). */
  private replayBars = 0;

  // counters
  errors = 0;
  lastError: string | null = null;
  private badFramesReported = 0;
  private lastBadReportWall = 0;
  private persistFault: string | null = null;
  private ready = false;
  /** HALTED(kill_switch): set by the kill file (persisted as halt.json), cleared by --resume or deleting halt.json. */
  private killSwitch = false;
  private tradingState: TradingState = { state: 'ACTIVE', reason: null };
  private readonly storm = new ReconnectStorm();
  private controlPoll: Promise<void> | null = null;

  private startWall = 0;
  private startState!: BrokerState;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private readonly metrics: MetricsSample[] = [];
  private status: StatusServer | null = null;
  /** For /metrics: entry orders queued, fills and exits this run. */
  private readonly counts = { orders: 0, fills: 0, exits: 0 };
  /** The last heartbeat's loop lag and RSS (the lag histogram is reset every heartbeat). */
  private lastLagP99Ms = 0;
  private lastRssMb = 0;
  private stopping: Promise<number> | null = null;
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code once the session has fully stopped. */
  readonly done: Promise<number>;

  constructor(private readonly deps: SessionDeps) {
    this.cfg = deps.config;
    this.log = deps.log;
    this.rng = createRng(this.cfg.seed);
    this.builder = new CandleBuilder(this.cfg.intervalMs);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.notifier = this.cfg.webhooks.length > 0 ? new WebhookNotifier({ urls: this.cfg.webhooks, symbol: this.cfg.symbol, log: this.log }) : null;
  }

  private brokerConfig(): BrokerConfig {
    const c = this.cfg;
    return {
      ...DEFAULT_BROKER_CONFIG,
      symbol: c.symbol,
      kind: contractKind(c.symbol),
      makerBps: c.makerBps,
      takerBps: c.takerBps,
      slipBps: c.slipBps,
      minTradeIntervalMs: c.minTradeInterval * 1000,
      maxDrawdownPct: c.maxDrawdownPct,
      maxLosses: c.maxLosses,
    };
  }

  /**
   * Load state (the store holds the lock), connect, trade. Throws before anything is started when the
   * state cannot be opened (the caller maps a locked directory to exit 3).
   */
  async start(): Promise<void> {
    this.startWall = this.deps.clock.now();
    const loaded = await this.deps.store.open({ dir: this.cfg.stateDir, symbol: this.cfg.symbol, backups: this.cfg.backups, balance: this.cfg.balance });
    this.deps.store.onFault?.((kind, message) => {
      if (kind === 'compromised') {
        this.persistFault ??= `state lock compromised: ${message}`;
        if (this.core) {
          this.core.fillsBlocked ??= 'state lock lost';
          this.refreshTradingState();
        }
        this.fail(`state lock compromised: ${message}`);
        void this.stop('lock_compromised', 1);
      } else this.onPersistError(new Error(message));
    });
    const state = loaded.state; // the snapshot (or a fresh state) with the journal after it folded in
    this.broker = new PaperBroker(this.brokerConfig(), this.rng, state);
    this.startState = this.broker.state;
    this.journal = new Journal(this.deps.store, loaded.lastSeq, () => this.deps.clock.now(), (err) => this.onPersistError(err));
    this.core = new TradingCore(
      {
        symbol: this.cfg.symbol,
        kind: contractKind(this.cfg.symbol),
        intervalMs: this.cfg.intervalMs,
        riskPct: this.cfg.riskPct,
        stopBps: this.cfg.stopBps,
        tpR: this.cfg.tpR,
        latency: { ...this.cfg.latencyMs, rng: this.rng },
        marketTimeExecution: this.cfg.feed === 'replay' ? { capacity: this.cfg.execQueue } : null,
        marketSpeed: this.cfg.feed === 'sim' ? this.cfg.simSpeed : this.cfg.feed === 'replay' ? (this.cfg.speed === 'max' ? Infinity : this.cfg.speed) : 1,
      },
      this.broker,
      this.builder,
      this.ring,
      this.deps.strategy,
      this.coreSink(),
    );
    this.record({
      event: 'SessionStart',
      pid: process.pid,
      version: this.deps.version,
      balance: this.cfg.balance,
      feed: this.cfg.feed,
      strategy: this.deps.strategy.name,
      interval: this.cfg.interval,
      dryRun: this.cfg.dryRun,
      at: this.deps.clock.now(),
    });
    for (const file of loaded.quarantined) this.record({ event: 'StateQuarantined', file });
    if (loaded.journalTruncated) {
      this.log.warn({ bytes: loaded.journalTruncated.bytes }, 'journal: torn last line truncated');
    }
    for (const w of loaded.warnings) this.log.warn(w);
    this.record({ event: 'StateLoaded', source: loaded.source, snapshotSeq: loaded.snapshot?.seq ?? 0, lastSeq: loaded.lastSeq, replayed: loaded.replayed, journalRead: loaded.journalRead });
    this.log.info(
      { source: loaded.source, equity: state.equity, position: state.position, replayed: loaded.replayed },
      `state loaded from ${loaded.source}`,
    );
    if (loaded.halt) await this.onHaltAtStart(loaded.halt);
    // The time the engine was not running is a blind span: from the market time the saved state reached to the
    // first tick now. A replay has no outside market to have missed.
    if (this.broker.state.position && this.cfg.feed !== 'replay') {
      if (loaded.snapshot?.seenMinute) this.core.restoreSeenMinute(loaded.snapshot.seenMinute);
      this.core.blind('restart', this.savedMarketTs(loaded));
    }
    this.refreshTradingState();

    this.startWatchdog();
    this.loopDelay.enable();
    // before connecting: /health answers 503 "starting" while candles are seeded and the feed connects
    if (this.cfg.httpPort !== null) await this.startStatus(this.cfg.httpPort);

    let wsUrl = this.cfg.wsUrl;
    let restUrl = this.cfg.restUrl;
    if (this.cfg.feed === 'sim') {
      this.sim = await startEmbeddedSim({ seed: this.cfg.simSeed, speed: this.cfg.simSpeed, symbols: [this.cfg.symbol], startTs: this.simStartTs() });
      wsUrl = this.sim.wsUrl;
      restUrl = this.sim.restUrl;
      this.log.info({ port: this.sim.port, seed: this.cfg.simSeed, speed: this.cfg.simSpeed }, 'embedded simulator listening');
    } else if (this.cfg.feed === 'replay' && isFrameLog(this.cfg.replay!)) {
      await this.startFrameLogReplay(this.cfg.replay!);
      return;
    } else if (this.cfg.feed === 'replay') {
      const file = this.cfg.replay!;
      this.replay = await openReplay(file, this.cfg.symbol, this.cfg.speed, () => this.core.lastMarketTs);
      const { tape, transport } = this.replay;
      if (transport === 'socket') {
        // Paced replays go through the embedded simulator's socket, like a live feed.
        this.sim = await startEmbeddedSim({ symbols: [this.cfg.symbol], replay: { candles: this.replay.candles, speed: this.cfg.speed } });
        this.sim.onReplayDone(() => this.onReplaySent());
        wsUrl = this.sim.wsUrl;
        restUrl = this.sim.restUrl;
      }
      this.log.info({ file, candles: tape.candles.length, live: tape.liveCandles, speed: this.cfg.speed, transport }, `replaying candles (${transport === 'memory' ? 'in process' : 'through the embedded simulator'})`);
    }
    this.startRecorder(this.cfg.feed === 'bitunix' ? 60_000 : null);
    const history = this.replay?.history ?? null;
    this.rest = history ? this.recordedHistory(history) : new RestClient(restUrl, this.cfg.symbol, this.restOptions());
    await this.startFeed(wsUrl, null);
  }

  /** Span recovery, execution and funding on this.rest, then the feed (a socket to wsUrl, the tape, or `source`) and the timers. */
  private async startFeed(wsUrl: string, source: MarketDataFeed | null): Promise<void> {
    const rest = this.rest!;
    this.spanRecovery = new SpanRecovery({
      pending: () => this.core.pendingSpans,
      fetch: async (fromTs, toTs) => this.core.screenCandles(await rest.minutesThrough(fromTs, toTs), SPAN_CANDLE_MS),
      recover: (spans, candles) => this.core.recoverSpans(spans, candles),
      settled: () => this.refreshTradingState(),
      error: (message) => this.fail(message),
      log: this.log,
    });

    // A replay executes in market time on the tick path (see TradingCore): no worker pool.
    if (this.cfg.feed !== 'replay') this.exec = new ExecutionQueue({
      capacity: this.cfg.execQueue,
      wallMsPerMarketMs: this.wallMsPerMarketMs(),
      ring: this.ring,
      onQuote: (order, quote) => this.core.onQuote(order, quote),
      onFailure: (order, err) => this.fail(`execution of ${order.id} failed: ${err.message}`),
    });

    void this.logFunding();
    // A replay's history is the one closed before its first streamed candle, seeded before any frame is read.
    if (this.replay) await this.seedCandles(this.replay.tape.firstLiveTs);

    const channels = marketChannels(this.cfg.interval);
    const handlers: FeedHandlers = {
      onFrame: this.replay
        ? (frame, recv, recvHr) => this.onReplayFrame(frame, recv, recvHr)
        : (frame, recv, recvHr) => this.core.onFrame(frame, recv, recvHr),
      onOpen: () => this.log.info({ url: wsUrl }, 'ws open, subscribed'),
      onData: () => this.onFeedData(),
      onDown: (reason, retryInMs, failures) => {
        if (this.cfg.feed !== 'replay') this.core.blind('disconnect');
        this.record({ event: 'WsDisconnected', reason, retryInMs, consecutiveFailures: failures });
        this.log.warn({ reason, retryInMs, consecutiveFailures: failures }, 'ws down, reconnecting');
      },
      onFatal: (reason) => {
        this.record({ event: 'WsFatal', reason });
        this.fail(`market data lost: ${reason}`);
        void this.stop('ws_fatal', 1);
      },
    };
    this.feed =
      source ??
      (this.replay?.transport === 'memory'
        ? new TapeFeed(this.cfg.symbol, this.replay.candles, channels, this.deps.clock, {
            ...handlers,
            onExhausted: () => this.onReplaySent(),
            onFailure: (message) => {
              this.fail(message);
              void this.stop('replay_end', 1);
            },
          }, this.recorder)
        : new MarketFeed(
            {
              url: wsUrl,
              symbol: this.cfg.symbol,
              channels,
              // A replay's quiet socket is its own pace, never a dead connection.
              idleTimeoutMs: this.replay ? Infinity : this.cfg.idleTimeout * 1000,
              maxFutureMs: this.cfg.feed === 'bitunix' ? 60_000 : null,
              recorder: this.recorder,
            },
            new ReconnectPolicy(
              { baseMs: this.cfg.backoffBase * 1000, maxMs: this.cfg.backoffMax * 1000, maxFailures: this.cfg.maxWsErrors },
              this.rng,
            ),
            this.deps.clock,
            this.log,
            handlers,
          ));
    this.feed.start();
    this.startTimers();
  }

  /** The status endpoint is an aid, not the trading: a busy port counts as an error, it does not stop the run. */
  private async startStatus(port: number): Promise<void> {
    try {
      const prom = new PromMetrics({
        snapshot: () => this.statusSnapshot(),
        stopDecision: this.core.stopDecision.total,
        tickAge: this.core.tickAge.total,
        loopLag: this.loopLagTotal,
        ...(this.notifier ? { notifier: () => this.notifier!.stats() } : {}),
      });
      this.status = await startStatusServer({
        port,
        getStatus: () => this.statusSnapshot(),
        getMetricsText: () => prom.text(),
        log: this.log,
      });
    } catch (err) {
      this.fail(`status endpoint could not listen on 127.0.0.1:${port}: ${(err as Error).message}`);
    }
  }

  /** The heartbeat fields plus what /health and /metrics need; built per request, off the tick path. */
  private statusSnapshot(now = this.deps.clock.now()): StatusSnapshot {
    const st = this.broker.state;
    return {
      ts: now,
      pid: process.pid,
      status: this.stopping ? 'stopping' : this.core.stale ? 'stale' : this.ready ? 'running' : 'starting',
      symbol: this.cfg.symbol,
      price: this.core.haveBook ? this.core.tick.last : null,
      position: st.position,
      equity: st.equity,
      unrealized: this.core.unrealized(),
      ticks: this.core.ticks,
      badFrames: this.core.badFramesTotal,
      reconnects: this.feed?.reconnects ?? 0,
      wsState: this.feed?.state ?? 'idle',
      queueDepth: (this.exec?.depth ?? 0) + (this.core?.pendingOrders ?? 0),
      loopLagP99Ms: this.lastLagP99Ms,
      rssMb: this.lastRssMb,
      errors: this.errors,
      lastError: this.lastError,
      orders: this.counts.orders,
      fills: this.counts.fills,
      exits: this.counts.exits,
      lastTickAgeMs: this.core.ticks > 0 ? now - this.core.lastTickWall : null,
      stopDecisionP99Us: this.core.stopDecision.last.p99Us,
      staleAfterMs: this.cfg.staleTimeout * 1000,
      tradingState: { ...this.tradingState },
      blindSpans: this.blindSpansSeen,
    };
  }

  /**
   * 200 closed candles from REST, once market data flows (so "closed" is judged on market time, which
   * the accelerated simulator and replays run ahead of or behind the wall clock). With a position
   * open, the candles missed while the engine was down are checked for exits, in order.
   */
  private async seedCandles(now: number): Promise<void> {
    let seeded: Candle[] = [];
    try {
      seeded = this.core.screenCandles(await this.rest!.lastClosed(this.cfg.interval, SEED_CANDLES, now));
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'candle history unavailable; the strategy warms up on live candles');
      return;
    }
    this.core.seed(seeded);
    this.log.info({ candles: seeded.length, last: seeded.at(-1)?.ts }, 'candles seeded from REST');
  }

  /**
   * Where a restart's blind span begins: the market time the snapshot saw, or (older files) the newest market
   * time any saved decision carries, and never before a journaled event replayed on top of it.
   */
  private savedMarketTs(loaded: LoadResult): number {
    const st = this.broker.state;
    let ts = loaded.snapshot?.marketTs ?? Math.max(st.lastEntryAt ?? 0, st.position?.openedAt ?? 0, ...st.recentOrderTimes, st.lastFundingTime ?? 0);
    if (loaded.replayedAt !== null && loaded.replayedAt > ts) ts = loaded.replayedAt;
    return ts;
  }

  /**
   * The accelerated simulator's market clock runs ahead of the wall clock; after a restart it must not
   * start before the market time the saved state already reached, or the same candles (and order ids)
   * would come round again.
   */
  private simStartTs(): number {
    const st = this.broker.state;
    const seen = Math.max(st.lastEntryAt ?? 0, st.position?.openedAt ?? 0, ...st.recentOrderTimes, st.lastFundingTime ?? 0);
    return Math.max(this.deps.clock.now(), seen > 0 ? seen + this.cfg.intervalMs : 0);
  }

  /**
   * --latency-ms is exchange latency in market time. The accelerated simulator runs market time faster
   * than the wall clock, so the workers' wall-clock wait shrinks by the same factor. (Replays execute
   * in market time on the tick path; see TradingCore.)
   */
  private wallMsPerMarketMs(): number {
    return this.cfg.feed === 'sim' ? 1 / this.cfg.simSpeed : 1;
  }

  // ── replay end: decided by the tape's market time ───────────────────────────

  /**
   * Every replay frame goes to the core here. The trading state is refreshed per closed candle (not by the
   * wall-clock heartbeat, so its journal lines fall at the same place on every run), and the replay ends on
   * its last frame: the last candle closes and the session stops before anything else is read.
   */
  private onReplayFrame(frame: Frame, recv: number, recvHr: number): void {
    this.core.onFrame(frame, recv, recvHr);
    this.refreshPerCandle();
    if (this.core.lastMarketTs >= this.replay!.tape.endTs && !this.replayEnded) {
      this.replayEnded = true;
      this.core.onMarketTime(this.core.lastMarketTs + 2 * this.cfg.intervalMs);
      this.refreshTradingState();
      void this.stop('replay_end', 0);
    }
  }

  /** A replay refreshes its trading state when a candle closed, so the journal lines fall at the same frame on every run. */
  private refreshPerCandle(): void {
    if (this.core.barIndex !== this.replayBars) {
      this.replayBars = this.core.barIndex;
      this.refreshTradingState();
    }
  }

  /**
   * The whole tape was sent. Its last frame normally follows at once; one that never arrives (a socket
   * that lost it) is an error, never a silent end.
   */
  private onReplaySent(): void {
    this.log.info({ candles: this.replay!.tape.liveCandles }, 'replay finished sending');
    const check = setInterval(() => {
      if (this.replayEnded || this.stopping) return clearInterval(check);
      if (this.deps.clock.now() - (this.feed?.lastFrameWall ?? 0) < REPLAY_GIVE_UP_MS) return;
      clearInterval(check);
      this.fail(`replay: the stream stopped at market time ${this.core.lastMarketTs}, before its last frame at ${this.replay!.tape.endTs}`);
      void this.stop('replay_end', 1);
    }, 250);
    this.timers.push(check);
  }

  // ── the frame log: --record, and replaying what it wrote ───────────────────

  private startRecorder(maxFutureMs: number | null): void {
    const dir = this.cfg.record;
    if (dir === null) return;
    const { symbol, interval, feed } = this.cfg;
    const header = { frameLog: FRAME_LOG_VERSION, symbol, interval, feed, maxFutureMs, engine: `laptop-agents ${this.deps.version}`, sessionStart: this.startWall };
    this.recorder = new FrameRecorder(dir, header, this.log);
    this.log.info({ dir }, 'recording every frame and REST reply to a frame log');
  }

  /** The engine's User-Agent, and with --record every reply into the frame log. */
  private restOptions(): RestClientOptions {
    const rec = this.recorder;
    const userAgent = engineUserAgent(this.deps.version);
    return rec ? { userAgent, onResponse: (pathAndQuery, body) => rec.rest(pathAndQuery, body, this.deps.clock.now()) } : { userAgent };
  }

  /** History answered in process (a replay's tape), written to the frame log when recording. */
  private recordedHistory(history: MarketHistory): MarketHistory {
    return this.recorder ? new RecordingHistory(history, this.cfg.symbol, this.recorder, this.deps.clock) : history;
  }

  /** A frame log plays in process through the same decoder and core; REST is answered from it. */
  private async startFrameLogReplay(target: string): Promise<void> {
    const recording = openFrameLog(target, this.cfg.symbol, this.cfg.interval);
    this.startRecorder(recording.files[0]!.header.maxFutureMs);
    const feed: FrameLogFeed = new FrameLogFeed(
      { files: recording.files, speed: this.cfg.speed, rest: recording.rest, recorder: this.recorder },
      this.deps.clock,
      {
        onFrame: (frame, recv, recvHr) => {
          this.core.onFrame(frame, recv, recvHr);
          // Candles close on the recording's clock, frame by frame, not at whichever frame a wall-clock timer meets.
          this.core.onMarketTime();
          this.refreshPerCandle();
        },
        onData: () => this.onFeedData(),
        onRecordedDown: (reason) => {
          this.log.info({ reason }, 'the recorded socket went down here: blind until its next tick');
          this.core.blind('disconnect');
        },
        onEnd: (frames) => {
          this.log.info({ frames }, 'frame log replayed to its end');
          this.core.onMarketTime(this.core.lastMarketTs + 2 * this.cfg.intervalMs);
          this.refreshTradingState();
          void this.stop('replay_end', 0);
        },
        onError: (message) => {
          this.fail(message);
          void this.stop('fatal', 1);
        },
      },
    );
    this.rest = new RestClient('', this.cfg.symbol, { ...this.restOptions(), answer: (p) => recording.rest.answer(p, feed.cursor) });
    this.log.info({ target, files: recording.files.length, frames: recording.frames, speed: this.cfg.speed }, 'replaying a frame log');
    await this.startFeed('', feed);
  }

  private async logFunding(): Promise<void> {
    try {
      const f = await this.rest!.fundingRate();
      this.log.info({ rate: f.rate, nextFundingTime: f.nextFundingTime === null ? null : new Date(f.nextFundingTime).toISOString() }, 'funding rate');
    } catch (err) {
      this.log.warn(
        { err: (err as Error).message },
        'funding rate unavailable from REST: funding is applied only from settled rates on the price channel',
      );
    }
  }

  // ── market data ────────────────────────────────────────────────────────────

  private async backfill(fromTs: number, toTs: number): Promise<void> {
    try {
      const candles = this.core.screenCandles(await this.rest!.klinesRange(this.cfg.interval, fromTs, toTs, this.core.lastMarketTs));
      const accepted = this.builder.fill(candles);
      this.core.recordBackfilled(accepted);
      this.record({ event: 'GapBackfilled', fromTs, toTs, candles: accepted.length });
      this.log.info({ fromTs, toTs, candles: accepted.length }, 'candle gap backfilled from REST');
    } catch (err) {
      this.log.warn({ fromTs, toTs, err: (err as Error).message }, 'candle gap backfill failed');
    }
  }

  private coreSink(): CoreSink {
    return {
      record: (e) => this.record(e),
      changed: () => this.scheduleSnapshot(),
      submit: (order) => this.exec?.submit(order) ?? false,
      queueDepth: () => this.exec?.depth ?? 0,
      gap: (fromTs, toTs) => void this.backfill(fromTs, toTs),
      blindSpan: (span) => this.onBlindSpan(span),
      breakerTripped: () => this.onBreakerTripped(),
      error: (message) => this.fail(message),
      info: (obj, msg) => this.log.info(obj, msg),
      warn: (obj, msg) => this.log.warn(obj, msg),
    };
  }

  private onBlindSpan(span: BlindSpan): void {
    this.blindSpansSeen++;
    const { fromTs, toTs, causes } = span;
    this.record({ event: 'BlindSpan', fromTs, toTs, cause: causes[0], causes, seconds: Math.round((toTs - fromTs) / 100) / 10 });
    this.log.warn({ fromTs, toTs, causes, position: this.broker.state.position !== null }, 'blind span: judging the position on its candles');
    this.refreshTradingState();
    this.spanRecovery?.kick();
  }

  private record(e: EngineEvent): number {
    if (e.event === 'OrderQueued') this.counts.orders++;
    else if (e.event === 'Fill') this.counts.fills++;
    else if (e.event === 'Exit') this.counts.exits++;
    const entry = this.journal.record(e);
    this.notifier?.notify(entry);
    return entry.seq;
  }

  private scheduleSnapshot(): void {
    if (this.snapshotTimer) return;
    this.snapshotTimer = setTimeout(() => {
      this.snapshotTimer = null;
      this.writeSnapshot();
    }, SNAPSHOT_EVERY_MS);
  }

  /**
   * The state as of now, written once the journal holds every event it includes: a snapshot is never
   * ahead of the journal, so the journal always folds to it. If the journal could not be written, the
   * snapshot is skipped (the journal retries; the next snapshot catches up).
   */
  private writeSnapshot(): Promise<void> {
    this.snapshotMarketTs = this.core.lastTickMarketTs;
    const seen = this.core.seenMinute;
    const snap = sealSnapshot({
      ...this.broker.state,
      version: 1,
      symbol: this.cfg.symbol,
      seq: this.journal.seq,
      savedAt: this.deps.clock.now(),
      marketTs: this.snapshotMarketTs,
      ...(seen ? { seenMinute: seen } : {}),
    });
    return this.journal.flush().then(() => {
      if (this.journal.durableSeq < snap.seq) return;
      return this.deps.store.snapshot(snap).catch((err: unknown) => this.onPersistError(err as Error));
    });
  }

  private onPersistError(err: Error): void {
    if (this.persistFault === null) {
      this.persistFault = err.message;
      this.refreshTradingState();
      this.core.fillsBlocked ??= 'state cannot be saved';
      this.fail(`state could not be saved: ${err.message}; no new positions until it can`);
    }
  }

  private reportBadFrames(force = false): void {
    const now = this.deps.clock.now();
    const total = this.core.badFramesTotal;
    if (total === this.badFramesReported) return;
    if (!force && now - this.lastBadReportWall < BAD_FRAME_REPORT_MS) return;
    const byReason = Object.fromEntries(this.core.badFrames);
    this.record({ event: 'BadFrames', total, byReason });
    this.log.warn({ total, byReason }, 'bad frames dropped');
    this.badFramesReported = total;
    this.lastBadReportWall = now;
  }

  private onFeedData(): void {
    const reconnects = this.feed?.reconnects ?? 0;
    this.record({ event: 'WsConnected', reconnects });
    if (reconnects > 0) {
      this.storm.onReconnect(this.deps.clock.now());
      this.refreshTradingState();
    }
    if (!this.ready) {
      this.ready = true;
      if (!this.replay) void this.seedCandles(this.core.lastMarketTs || this.deps.clock.now());
      this.log.info('market data flowing: ready');
      this.deps.onReady?.();
    }
  }

  /** Count a session error, log it once with context, end the session when the budget is spent. */
  fail(message: string): void {
    this.errors++;
    this.lastError = message;
    this.log.error({ errors: this.errors }, message);
    if (this.errors >= ERROR_BUDGET) void this.stop('error_budget', 1);
  }

  // ── lifecycle tasks ────────────────────────────────────────────────────────

  private startTimers(): void {
    const every = (ms: number, fn: () => void): void => {
      const t = setInterval(() => {
        try {
          fn();
        } catch (err) {
          this.fail(`lifecycle task failed: ${(err as Error).stack ?? String(err)}`);
        }
      }, ms);
      this.timers.push(t);
    };
    every(1000, () => this.heartbeat());
    every(500, () => this.pollControlFiles());
    every(1000, () => this.checkStale());
    if (this.cfg.duration !== null) {
      const t = setTimeout(() => void this.stop('duration', 0), this.cfg.duration * 60_000);
      this.timers.push(t);
    }
  }

  private startWatchdog(): void {
    Atomics.store(this.watchdogBeat, 0, BigInt(Date.now()));
    this.watchdog = spawnWorker('watchdog', {
      workerData: { beat: this.watchdogBeat.buffer, limitMs: WATCHDOG_LIMIT_MS, checkMs: 1000 },
    });
    this.watchdog.on('error', (err) => this.log.error({ err: err.message }, 'watchdog worker failed'));
    this.watchdog.unref();
  }

  private heartbeat(): void {
    const now = this.deps.clock.now();
    if (this.lastHeartbeatWall > 0 && now - this.lastHeartbeatWall > SUSPENDED_AFTER_MS && this.cfg.feed !== 'replay') {
      // The process did not run for a while (a laptop that slept, SIGSTOP, a frozen loop): whatever the market did
      // meanwhile was not seen.
      this.log.warn({ pausedMs: now - this.lastHeartbeatWall }, 'process was suspended: blind span');
      this.core.blind('suspended');
    }
    this.lastHeartbeatWall = now;
    // With a position open, a restart must know how far the market was seen: keep the snapshot's market time fresh.
    if (this.broker.state.position && this.core.lastTickMarketTs > this.snapshotMarketTs) this.scheduleSnapshot();
    Atomics.store(this.watchdogBeat, 0, BigInt(Date.now()));
    const rssMb = process.memoryUsage.rss() / 1048576;
    // Node 20's histogram counts the sampling interval itself; the lag is what exceeds it.
    const lagP99 = Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS);
    this.core.stopDecision.roll();
    this.core.tickAge.roll();
    foldLoopDelay(this.loopDelay, LOOP_DELAY_RESOLUTION_MS, this.loopLagTotal);
    this.loopDelay.reset();
    const st = this.broker.state;
    const unrealized = this.core.unrealized();
    const price = this.core.haveBook ? this.core.tick.last : null;
    const pos = st.position ? `${st.position.side} ${st.position.qty} @ ${st.position.entry}` : 'flat';
    // A replay's candles close and its trading state changes on its own frames (onReplayFrame, startFrameLogReplay).
    if (this.cfg.feed !== 'replay') {
      this.core.onMarketTime();
      this.refreshTradingState();
    }
    this.reportBadFrames();
    this.lastLagP99Ms = Math.round(lagP99 * 1000) / 1000;
    this.lastRssMb = Math.round(rssMb * 10) / 10;
    const hb = {
      ...this.statusSnapshot(now),
      stopDecisionMaxUs: this.core.stopDecision.last.maxUs,
      tickAgeP50Ms: this.core.tickAge.last.p50Us / 1000,
      tickAgeP99Ms: this.core.tickAge.last.p99Us / 1000,
      tickAgeMaxMs: this.core.tickAge.last.maxUs / 1000,
      /** Journal events up to this seq are on disk (fsynced). */
      durableSeq: this.journal.durableSeq,
    };
    this.status?.publish({ ts: now, status: hb.status, price, position: st.position, equity: st.equity, unrealized });
    this.log.info(
      { hb: true, ticks: hb.ticks, queueDepth: hb.queueDepth, loopLagP99Ms: hb.loopLagP99Ms, stopDecisionP99Us: hb.stopDecisionP99Us, tickAgeP99Ms: hb.tickAgeP99Ms, durableSeq: hb.durableSeq },
      `${this.cfg.symbol} ${price ?? '-'} | ${this.tradingState.state}${this.tradingState.reason ? `(${this.tradingState.reason})` : ''} | ${pos} | equity ${st.equity.toFixed(2)} (unrl ${unrealized >= 0 ? '+' : ''}${unrealized.toFixed(2)}) | ticks ${this.core.ticks} | ws ${hb.wsState} | errors ${this.errors}`,
    );
    this.deps.store.writeFile('heartbeat.json', `${JSON.stringify(hb)}\n`).catch((err: unknown) => this.onPersistError(err as Error));
    this.sampleMetrics(now, hb.queueDepth);
    if (rssMb > this.cfg.maxRssMb) {
      this.fail(`memory cap reached: RSS ${rssMb.toFixed(0)} MB > --max-rss-mb ${this.cfg.maxRssMb}`);
      void this.stop('memory', 1);
    }
  }

  /** The kill file and halt.json, through the persistence worker (the main thread touches no state file). */
  private pollControlFiles(): void {
    if (this.controlPoll || this.stopping) return;
    this.controlPoll = this.deps.store
      .controlFiles(this.cfg.killFile)
      .then((c) => {
        if (this.stopping) return;
        if (c.kill) {
          if (c.killError) this.log.warn({ file: this.cfg.killFile, err: c.killError }, 'kill file seen but could not be removed');
          this.onKillSwitch();
        } else if (this.killSwitch && !c.halted && !this.cfg.dryRun) {
          this.killSwitch = false;
          this.log.warn(`${HALT_FILE} was deleted: trading resumes`);
          this.refreshTradingState();
        }
      })
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'kill switch: the control files could not be checked'))
      .finally(() => (this.controlPoll = null));
  }

  /** Flatten, persist HALTED(kill_switch) and stop: a later start stays halted until resumed. */
  private onKillSwitch(): void {
    this.log.warn({ file: this.cfg.killFile }, `kill switch: flattening, halting (${HALT_FILE}) and stopping`);
    this.killSwitch = true;
    this.refreshTradingState();
    const halt: HaltRecord = { reason: 'kill_switch', at: this.deps.clock.now(), pid: process.pid };
    this.deps.store.writeFile(HALT_FILE, `${JSON.stringify(halt)}\n`).catch((err: unknown) => this.onPersistError(err as Error));
    void this.stop('kill_file', 0);
  }

  private async onHaltAtStart(halt: HaltRecord): Promise<void> {
    const since = halt.at > 0 ? new Date(halt.at).toISOString() : 'an earlier run';
    if (this.cfg.resume) {
      await this.deps.store.removeFile(HALT_FILE);
      this.log.warn({ haltedAt: since }, `--resume: the kill switch's halt is lifted (${HALT_FILE} removed); trading resumes`);
      return;
    }
    this.killSwitch = true;
    this.log.warn(
      { haltedAt: since },
      `HALTED by the kill switch since ${since}: market data and status run, no order is placed; start with --resume or delete ${HALT_FILE} to trade`,
    );
  }

  /**
   * A replay goes on with trading halted until the next UTC day (so a month's replay covers the month); a live
   * session flattens and ends, and a restart stays halted by the persisted breaker until the day rolls.
   */
  private onBreakerTripped(): void {
    if (this.cfg.feed === 'replay') {
      const t = this.core.haveBook ? { ...this.core.tick } : this.closeTickFromCandle();
      if (t) this.core.applyBroker(this.broker.forceClose(t, 'BREAKER'));
      this.refreshTradingState();
      return;
    }
    void this.stop('breaker', 0);
  }

  /** Recompute the trading state from its conditions; journal a change; gate entries on what the core cannot see. */
  private refreshTradingState(): void {
    if (!this.core) return;
    const st = this.broker.state;
    const at = this.core.lastMarketTs || this.deps.clock.now();
    const stormy = this.storm.active(this.deps.clock.now());
    const next = tradingStateOf({
      killSwitch: this.killSwitch,
      breakerTripped: breakerAt(st.breaker, at, st.equity).tripped,
      stateUnsaved: this.persistFault !== null,
      blindSpan: this.core.recovering,
      stale: this.core.stale,
      reconnectStorm: stormy,
    });
    // The core gates blind spans, stale data and the breaker itself, at the tick; the rest is gated here.
    this.core.entriesBlocked = this.stopping
      ? 'stopping'
      : this.killSwitch
        ? 'kill_switch'
        : this.persistFault !== null
          ? 'state cannot be saved'
          : stormy
            ? 'reconnect_storm'
            : null;
    if (sameTradingState(next, this.tradingState)) return;
    const prev = this.tradingState;
    this.tradingState = next;
    this.record({ event: 'TradingState', state: next.state, reason: next.reason, previous: prev.state });
    const line = `trading state ${next.state}${next.reason ? ` (${next.reason})` : ''}`;
    if (next.state === 'ACTIVE') this.log.info({ tradingState: next }, line);
    else this.log.warn({ tradingState: next }, line);
  }

  /** One metrics.csv row: the state as of `now` (every heartbeat, and once more at the very end). */
  private sampleMetrics(now: number, queueDepth: number): void {
    const st = this.broker.state;
    const unrealized = this.core.unrealized();
    if (this.metrics.length >= MAX_METRIC_SAMPLES) this.metrics.splice(0, MAX_METRIC_SAMPLES / 10);
    this.metrics.push({
      ts: now,
      price: this.core.haveBook ? this.core.tick.last : null,
      equity: st.equity + unrealized,
      unrealized,
      position: st.position ? st.position.side : 'FLAT',
      ticks: this.core.ticks,
      queueDepth,
      loopLagP99Ms: this.lastLagP99Ms,
      rssMb: this.lastRssMb,
      errors: this.errors,
    });
  }

  private checkStale(): void {
    // A replay's market time runs at the tape's pace: a pause between its frames is not stale data.
    if (!this.ready || this.stopping || this.cfg.feed === 'replay') return;
    const age = this.deps.clock.now() - this.core.lastTickWall;
    if (age < this.cfg.staleTimeout * 1000) return;
    this.core.lastTickWall = this.deps.clock.now(); // next check after another full timeout
    this.core.stale = true;
    this.record({ event: 'StaleData', lastTickAgeSec: Math.round(age / 1000) });
    this.log.warn({ ageSec: Math.round(age / 1000) }, 'stale data: no tick; forcing a reconnect, no new entries');
    this.core.blind('stale');
    this.feed?.forceReconnect('stale data');
  }

  // ── shutdown ──────────────────────────────────────────────────────────────

  /** Idempotent: the first reason wins; every caller gets the same exit code. */
  stop(reason: StopReason, exitCode: number): Promise<number> {
    if (!this.stopping) {
      this.stopping = this.shutdown(reason, exitCode).then(
        (code) => {
          this.resolveDone(code);
          return code;
        },
        (err: unknown) => {
          this.log.fatal({ err: (err as Error)?.stack ?? String(err) }, 'shutdown failed');
          this.resolveDone(1);
          return 1;
        },
      );
    }
    return this.stopping;
  }

  private async shutdown(reason: StopReason, exitCode: number): Promise<number> {
    this.log.info({ reason }, 'shutting down');
    if (this.core) this.core.entriesBlocked = 'stopping';
    // 1. stop intake: no more frames, no more timers
    for (const t of this.timers) clearInterval(t);
    if (this.snapshotTimer) clearTimeout(this.snapshotTimer);
    this.spanRecovery?.stop();
    await this.feed?.stop();
    const recorded = this.recorder?.close().then((r) => this.log.info({ recording: r }, 'frame log closed'));
    // 2. drain or cancel the execution queue
    const cancelled = this.exec ? await this.exec.close(SHUTDOWN_DRAIN_MS) : [];
    for (const o of cancelled) this.log.warn({ orderId: o.id }, 'order cancelled at shutdown (never filled)');
    // 3. flatten when the reason says so; a signal keeps the position for the next start
    if (this.broker) {
      if (CLOSES_POSITION.has(reason) && this.broker.state.position) {
        const t = this.core.haveBook ? { ...this.core.tick } : this.closeTickFromCandle();
        if (t) this.core.applyBroker(this.broker.forceClose(t, reason === 'breaker' ? 'BREAKER' : 'FORCE_CLOSE'));
        else this.log.error('no price known: the position cannot be closed and is kept');
      }
      this.core.applyBroker(this.broker.cancelWorkingOrders('shutdown', this.core.lastMarketTs));
      this.reportBadFrames(true);
    }
    const report = this.broker ? this.finalReport(reason, exitCode) : null;
    // metrics.csv ends at the end state, so its last row agrees with final_report.json (however short the run).
    if (this.broker) this.sampleMetrics(this.deps.clock.now(), 0);
    if (this.broker) {
      this.record({ event: 'SessionEnd', reason, exitCode, errors: this.errors });
      // 4. final snapshot and journal flush, then the end-of-session files
      await this.writeSnapshot();
      await this.journal.flush();
      if (report) {
        await Promise.allSettled([
          this.deps.store.writeFile('final_report.json', `${JSON.stringify(report, null, 2)}\n`),
          this.deps.store.writeFile('metrics.csv', metricsCsv(this.metrics)),
          this.deps.store.writeFile('candles.csv', candlesCsv(this.core.closedCandles)),
          this.writeReportHtml(report).catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'report.html could not be written')),
        ]);
      }
    }
    await this.notifier?.close(WEBHOOK_SHUTDOWN_MS);
    await this.status?.close();
    // 5. release the lock and the workers
    await this.deps.store.close().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'closing the state store failed'));
    await this.deps.store.terminate().catch(() => {}); // after close(): a worker already gone is fine
    await this.sim?.stop();
    await recorded;
    this.watchdog?.postMessage('stop');
    await this.watchdog?.terminate();
    this.loopDelay.disable();
    if (report) {
      this.log.info({ report }, 'session ended');
      process.stdout.write(`${summaryText(report)}\n`);
    }
    return exitCode;
  }

  /** The offline page, on the market's clock: the session's candles, its journal, equity at every candle close. */
  private async writeReportHtml(report: FinalReport): Promise<void> {
    const html = renderReport({
      symbol: this.cfg.symbol,
      candles: this.core.closedCandles,
      entries: this.journal.entries,
      equity: this.equityCurve,
      report,
      chartLib: await loadChartLib(),
    });
    await this.deps.store.writeFile('report.html', html);
  }

  private closeTickFromCandle(): Tick | null {
    const c = this.builder.lastClosed;
    return c ? { ts: c.ts + this.cfg.intervalMs, bid: c.close, ask: c.close, last: c.close } : null;
  }

  private finalReport(reason: StopReason, exitCode: number): FinalReport {
    const market = marketRecord({
      start: this.startState,
      entries: this.journal.entries,
      candles: this.core.closedCandles,
      intervalMs: this.cfg.intervalMs,
      kind: contractKind(this.cfg.symbol),
      lastMarketTs: this.core.lastMarketTs,
    });
    this.equityCurve = market.curve;
    return buildFinalReport({
      figures: market.figures,
      generatedAt: this.deps.clock.now(),
      exitCode,
      reason,
      symbol: this.cfg.symbol,
      start: this.startState,
      end: this.broker.state,
      errors: this.errors,
      durationSec: (this.deps.clock.now() - this.startWall) / 1000,
      ticks: this.core.ticks,
      badFrames: this.core.badFramesTotal,
      reconnects: this.feed?.reconnects ?? 0,
      lastError: this.lastError,
      tradingState: { ...this.tradingState },
    });
  }
}
