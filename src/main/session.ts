// The trading session: wires feed → ring → broker → candles → strategy → execution queue → broker →
// journal, and owns the lifecycle tasks (heartbeat, kill switch, duration, stale data, memory, watchdog)
// and the ordered shutdown of SPEC §6. Every tick is checked against the open position before the next
// frame is read; nothing on that path waits for the disk or a worker.
import { klineChannel } from '../shared/bitunix-codec.js';
import { PaperBroker } from '../shared/broker.js';
import { contractKind } from '../shared/broker-config.js';
import { CandleBuilder } from '../shared/candle-builder.js';
import type { Clock } from '../shared/clock.js';
import type { EngineEvent } from '../shared/events.js';
import { createRng, type Rng } from '../shared/rng.js';
import { sealSnapshot } from '../shared/state-schema.js';
import type { Strategy } from '../shared/strategy.js';
import { TickRing } from '../shared/tick-ring.js';
import type { BrokerState, Tick } from '../shared/types.js';
import type { EngineConfig } from './config.js';
import { startEmbeddedSim, type EmbeddedSim } from './embedded-sim.js';
import type { Executor } from './trading/executor.js';
import { Journal } from './journal.js';
import type { Logger } from './logger.js';
import { TradingCore, type CoreSink } from './trading/trading-core.js';
import type { FeedHandlers, MarketDataFeed } from './market-feed.js';
import { openReplay, type ReplaySource } from './replay-source.js';
import type { MarketHistory } from './replay-history.js';
import { FrameRecorder } from './frame-recorder.js';
import { isFrameLog } from './frame-log-reader.js';
import { FrameLogFeed, openFrameLog } from './frame-log-feed.js';
import type { StateStore } from './state-store.js';
import { summaryText } from './reports.js';
import { endOfSession, MetricsLog, writeEndOfSessionFiles, type EndOfSession } from './engine/end-of-session.js';
import { RestClient } from './rest-client.js';
import { SpanRecovery } from './span-recovery.js';
import { SPAN_CANDLE_MS, type BlindSpan } from '../shared/blind-spans.js';
import { PromMetrics } from './prom-metrics.js';
import { StaleWatch } from './engine/tasks.js';
import { KillSwitch } from './engine/kill-switch.js';
import { ReplayRun } from './engine/replay-run.js';
import { TradingGate } from './engine/trading-gate.js';
import { backfill, logFunding, seedCandles, type HistoryParts } from './engine/market-history.js';
import { recordLoaded, simStartTs, startOfRunSpan } from './engine/recovery.js';
import { brokerConfigOf, coreConfigOf, createExecutor, createRecorder, createSocketFeed, createTapeFeed, recordedHistory, restOptionsOf, type FeedParts } from './engine/compose.js';
import { ProcessHealth } from './engine/process-health.js';
import { WebhookNotifier } from './notifier.js';
import { startStatusServer, type StatusServer, type StatusSnapshot } from './status-server.js';

export type StopReason =
  | 'signal'
  | 'duration'
  | 'kill_file'
  | 'breaker'
  | 'ws_fatal'
  | 'error_budget'
  | 'memory'
  | 'lock_compromised'
  | 'replay_end'
  | 'fatal';

/** Stops that flatten the position; a signal (or a crash) keeps it for the next start. */
const CLOSES_POSITION: ReadonlySet<StopReason> = new Set(['duration', 'kill_file', 'breaker', 'replay_end']);
export { GENESIS_AT } from '../shared/journal-fold.js';
const ERROR_BUDGET = 20;
const SHUTDOWN_DRAIN_MS = 1500;
const SNAPSHOT_EVERY_MS = 200;
const BAD_FRAME_REPORT_MS = 10_000;
/** Heartbeats are 1 s apart; a longer silence means the whole process was suspended (or frozen): a blind span. */
const SUSPENDED_AFTER_MS = 5_000;
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
  private exec: Executor | null = null;
  private sim: EmbeddedSim | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly health: ProcessHealth;
  private readonly notifier: WebhookNotifier | null;

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
  private replayRunValue: ReplayRun | null = null;

  // counters
  errors = 0;
  lastError: string | null = null;
  private badFramesReported = 0;
  private lastBadReportWall = 0;
  private persistFault: string | null = null;
  private ready = false;
  private readonly killSwitch: KillSwitch;
  private readonly gate: TradingGate;
  private readonly staleWatch: StaleWatch;

  private startWall = 0;
  private startState!: BrokerState;
  private snapshotTimer: NodeJS.Timeout | null = null;
  private readonly metrics = new MetricsLog();
  private status: StatusServer | null = null;
  /** For /metrics: entry orders queued, fills and exits this run. */
  private readonly counts = { orders: 0, fills: 0, exits: 0 };
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
    this.health = new ProcessHealth(this.log);
    this.killSwitch = new KillSwitch({
      store: deps.store,
      log: deps.log,
      clock: deps.clock,
      killFile: this.cfg.killFile,
      resume: this.cfg.resume,
      dryRun: this.cfg.dryRun,
      stopping: () => this.stopping !== null,
      changed: () => this.refreshTradingState(),
      killed: () => void this.stop('kill_file', 0),
      persistError: (err) => this.onPersistError(err),
    });
    this.gate = new TradingGate({
      clock: deps.clock,
      log: deps.log,
      record: (e) => this.record(e),
      stopping: () => this.stopping !== null,
      killSwitch: () => this.killSwitch.active,
      persistFault: () => this.persistFault,
    });
    this.staleWatch = new StaleWatch({
      clock: deps.clock,
      timeoutMs: this.cfg.staleTimeout * 1000,
      lastTickWall: () => this.core.lastTickWall,
      // A replay's market time runs at the tape's pace: a pause between its frames is not stale data.
      watching: () => this.ready && !this.stopping && this.cfg.feed !== 'replay',
      onStale: (age) => this.onStale(age),
    });
    this.notifier = this.cfg.webhooks.length > 0 ? new WebhookNotifier({ urls: this.cfg.webhooks, symbol: this.cfg.symbol, log: this.log }) : null;
  }

  /**
   * Load state (the store holds the lock), connect, trade. Throws before anything is started when the
   * state cannot be opened (the caller maps a locked directory to exit 3).
   */
  async start(): Promise<void> {
    this.startWall = this.deps.clock.now();
    const loaded = await this.deps.store.open({ dir: this.cfg.stateDir, symbol: this.cfg.symbol, backups: this.cfg.backups, balance: this.cfg.balance });
    const state = loaded.state; // the snapshot (or a fresh state) with the journal after it folded in
    this.broker = new PaperBroker(brokerConfigOf(this.cfg), this.rng, state);
    this.startState = this.broker.state;
    this.journal = new Journal(this.deps.store, loaded.lastSeq, () => this.deps.clock.now(), (err) => this.onPersistError(err));
    this.exec = createExecutor(this.cfg, this.ring, (message) => this.fail(message));
    this.core = new TradingCore(
      coreConfigOf(this.cfg, this.rng),
      this.broker,
      this.builder,
      this.ring,
      this.deps.strategy,
      this.coreSink(),
      this.exec,
    );
    // Registered once the core exists: a fault arrives as a worker message, never before this line runs.
    this.deps.store.onFault?.((kind, message) => {
      if (kind === 'compromised') {
        this.persistFault ??= `state lock compromised: ${message}`;
        this.core.blockFills('state lock lost');
        this.refreshTradingState();
        this.fail(`state lock compromised: ${message}`);
        void this.stop('lock_compromised', 1);
      } else this.onPersistError(new Error(message));
    });
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
    recordLoaded(loaded, (e) => this.record(e), this.log);
    if (loaded.halt) await this.killSwitch.restore(loaded.halt);
    startOfRunSpan(loaded, this.core, this.cfg.feed === 'replay');
    this.refreshTradingState();

    this.health.start();
    // before connecting: /health answers 503 "starting" while candles are seeded and the feed connects
    if (this.cfg.httpPort !== null) await this.startStatus(this.cfg.httpPort);

    let wsUrl = this.cfg.wsUrl;
    let restUrl = this.cfg.restUrl;
    if (this.cfg.feed === 'sim') {
      this.sim = await startEmbeddedSim({ seed: this.cfg.simSeed, speed: this.cfg.simSpeed, symbols: [this.cfg.symbol], startTs: simStartTs(this.broker.state, this.deps.clock.now(), this.cfg.intervalMs) });
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
    this.recorder = createRecorder(this.cfg, { version: this.deps.version, sessionStart: this.startWall, log: this.log, maxFutureMs: this.cfg.feed === 'bitunix' ? 60_000 : null });
    const history = this.replay?.history ?? null;
    this.rest = history ? recordedHistory(history, this.cfg.symbol, this.recorder, this.deps.clock) : new RestClient(restUrl, this.cfg.symbol, restOptionsOf(this.deps.version, this.recorder, this.deps.clock));
    await this.startFeed(wsUrl, null);
  }

  /** Span recovery and funding on this.rest, then the feed (a socket to wsUrl, the tape, or `source`) and the timers. */
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

    void logFunding(this.history());
    // A replay's history is the one closed before its first streamed candle, seeded before any frame is read.
    if (this.replay) await seedCandles(this.history(), this.replay.tape.firstLiveTs);

    const channels = ['depth_book1', 'trade', klineChannel(this.cfg.interval), 'price'];
    const handlers: FeedHandlers = {
      onFrame: this.replay
        ? (frame, recv, recvHr) => this.replayRun.onTapeFrame(frame, recv, recvHr, this.replay!.tape.endTs)
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
    const parts: FeedParts = { cfg: this.cfg, rng: this.rng, clock: this.deps.clock, log: this.log, recorder: this.recorder, channels, handlers };
    this.feed =
      source ??
      (this.replay?.transport === 'memory'
        ? createTapeFeed(parts, this.replay.candles, () => this.onReplaySent(), (message) => {
            this.fail(message);
            void this.stop('replay_end', 1);
          })
        : createSocketFeed(parts, wsUrl, this.replay !== null));
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
        loopLag: this.health.loopLagTotal,
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
      queueDepth: this.exec?.pending ?? 0,
      loopLagP99Ms: this.health.lagP99Ms,
      rssMb: this.health.rssMb,
      errors: this.errors,
      lastError: this.lastError,
      orders: this.counts.orders,
      fills: this.counts.fills,
      exits: this.counts.exits,
      lastTickAgeMs: this.core.ticks > 0 ? now - this.core.lastTickWall : null,
      stopDecisionP99Us: this.core.stopDecision.last.p99Us,
      staleAfterMs: this.cfg.staleTimeout * 1000,
      tradingState: this.gate.current,
      blindSpans: this.blindSpansSeen,
    };
  }

  /** The whole tape was sent (the in-process tape, or the simulator's socket). */
  private onReplaySent(): void {
    const tape = this.replay!.tape;
    this.replayRun.onSent(tape.liveCandles, tape.endTs);
  }

  private get replayRun(): ReplayRun {
    this.replayRunValue ??= new ReplayRun({
      core: this.core,
      clock: this.deps.clock,
      log: this.log,
      intervalMs: this.cfg.intervalMs,
      refreshTradingState: () => this.refreshTradingState(),
      end: (exitCode) => void this.stop('replay_end', exitCode),
      fail: (message) => this.fail(message),
      stopping: () => this.stopping !== null,
      lastFrameWall: () => this.feed?.lastFrameWall ?? 0,
    });
    return this.replayRunValue;
  }


  /** A frame log plays in process through the same decoder and core; REST is answered from it. */
  private async startFrameLogReplay(target: string): Promise<void> {
    const recording = openFrameLog(target, this.cfg.symbol, this.cfg.interval);
    this.recorder = createRecorder(this.cfg, { version: this.deps.version, sessionStart: this.startWall, log: this.log, maxFutureMs: recording.files[0]!.header.maxFutureMs });
    const feed: FrameLogFeed = new FrameLogFeed(
      { files: recording.files, speed: this.cfg.speed, rest: recording.rest, recorder: this.recorder },
      this.deps.clock,
      {
        onFrame: (frame, recv, recvHr) => this.replayRun.onRecordedFrame(frame, recv, recvHr),
        onData: () => this.onFeedData(),
        onRecordedDown: (reason) => {
          this.log.info({ reason }, 'the recorded socket went down here: blind until its next tick');
          this.core.blind('disconnect');
        },
        onEnd: (frames) => {
          this.log.info({ frames }, 'frame log replayed to its end');
          this.replayRun.onRecordingEnd();
        },
        onError: (message) => {
          this.fail(message);
          void this.stop('fatal', 1);
        },
      },
    );
    this.rest = new RestClient('', this.cfg.symbol, { ...restOptionsOf(this.deps.version, this.recorder, this.deps.clock), answer: (p) => recording.rest.answer(p, feed.cursor) });
    this.log.info({ target, files: recording.files.length, frames: recording.frames, speed: this.cfg.speed }, 'replaying a frame log');
    await this.startFeed('', feed);
  }

  /** REST history for the feed in use (set before the feed starts). */
  private history(): HistoryParts {
    if (!this.rest) throw new Error('market history used before the feed was set up');
    return { rest: this.rest, core: this.core, interval: this.cfg.interval, log: this.log, record: (e) => this.record(e) };
  }

  private coreSink(): CoreSink {
    return {
      record: (e) => this.record(e),
      changed: () => this.scheduleSnapshot(),
      gap: (fromTs, toTs) => void backfill(this.history(), fromTs, toTs),
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
      this.core.blockFills('state cannot be saved');
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
      this.gate.onReconnect();
      this.refreshTradingState();
    }
    if (!this.ready) {
      this.ready = true;
      if (!this.replay) void seedCandles(this.history(), this.core.lastMarketTs || this.deps.clock.now());
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
    every(500, () => this.killSwitch.poll());
    every(1000, () => this.staleWatch.check());
    if (this.cfg.duration !== null) {
      const t = setTimeout(() => void this.stop('duration', 0), this.cfg.duration * 60_000);
      this.timers.push(t);
    }
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
    this.health.beat();
    const rssMb = this.health.sample();
    this.core.stopDecision.roll();
    this.core.tickAge.roll();
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
      `${this.cfg.symbol} ${price ?? '-'} | ${this.gate.current.state}${this.gate.current.reason ? `(${this.gate.current.reason})` : ''} | ${pos} | equity ${st.equity.toFixed(2)} (unrl ${unrealized >= 0 ? '+' : ''}${unrealized.toFixed(2)}) | ticks ${this.core.ticks} | ws ${hb.wsState} | errors ${this.errors}`,
    );
    this.deps.store.writeFile('heartbeat.json', `${JSON.stringify(hb)}\n`).catch((err: unknown) => this.onPersistError(err as Error));
    this.sampleMetrics(now, hb.queueDepth);
    if (rssMb > this.cfg.maxRssMb) {
      this.fail(`memory cap reached: RSS ${rssMb.toFixed(0)} MB > --max-rss-mb ${this.cfg.maxRssMb}`);
      void this.stop('memory', 1);
    }
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

  /** Recompute the trading state from its conditions (journaled when it changes). */
  private refreshTradingState(): void {
    this.gate.refresh(this.core);
  }

  /** One metrics.csv row: the state as of `now` (every heartbeat, and once more at the very end). */
  private sampleMetrics(now: number, queueDepth: number): void {
    const st = this.broker.state;
    const unrealized = this.core.unrealized();
    this.metrics.push({
      ts: now,
      price: this.core.haveBook ? this.core.tick.last : null,
      equity: st.equity + unrealized,
      unrealized,
      position: st.position ? st.position.side : 'FLAT',
      ticks: this.core.ticks,
      queueDepth,
      loopLagP99Ms: this.health.lagP99Ms,
      rssMb: this.health.rssMb,
      errors: this.errors,
    });
  }

  /** No tick for --stale-timeout: no new entries, a blind span, and a forced reconnect. */
  private onStale(age: number): void {
    this.core.markStale();
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
    if (this.core) this.core.blockEntries('stopping');
    // 1. stop intake: no more frames, no more timers
    for (const t of this.timers) clearInterval(t);
    this.replayRunValue?.stop();
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
    const end = this.broker ? this.endOfSession(reason, exitCode) : null;
    // metrics.csv ends at the end state, so its last row agrees with final_report.json (however short the run).
    if (this.broker) this.sampleMetrics(this.deps.clock.now(), 0);
    if (this.broker) {
      this.record({ event: 'SessionEnd', reason, exitCode, errors: this.errors });
      // 4. final snapshot and journal flush, then the end-of-session files
      await this.writeSnapshot();
      await this.journal.flush();
      if (end) {
        await writeEndOfSessionFiles(this.deps.store, this.log, end, {
          symbol: this.cfg.symbol,
          metrics: this.metrics,
          candles: this.core.closedCandles,
          entries: this.journal.entries,
        });
      }
    }
    await this.notifier?.close(WEBHOOK_SHUTDOWN_MS);
    await this.status?.close();
    // 5. release the lock and the workers
    await this.deps.store.close().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'closing the state store failed'));
    await this.deps.store.terminate().catch(() => {}); // after close(): a worker already gone is fine
    await this.sim?.stop();
    await recorded;
    await this.health.stop();
    if (end) {
      this.log.info({ report: end.report }, 'session ended');
      process.stdout.write(`${summaryText(end.report)}\n`);
    }
    return exitCode;
  }

  private closeTickFromCandle(): Tick | null {
    const c = this.builder.lastClosed;
    return c ? { ts: c.ts + this.cfg.intervalMs, bid: c.close, ask: c.close, last: c.close } : null;
  }

  private endOfSession(reason: StopReason, exitCode: number): EndOfSession {
    return endOfSession({
      reason,
      exitCode,
      symbol: this.cfg.symbol,
      intervalMs: this.cfg.intervalMs,
      kind: contractKind(this.cfg.symbol),
      start: this.startState,
      end: this.broker.state,
      entries: this.journal.entries,
      candles: this.core.closedCandles,
      lastMarketTs: this.core.lastMarketTs,
      generatedAt: this.deps.clock.now(),
      durationSec: (this.deps.clock.now() - this.startWall) / 1000,
      errors: this.errors,
      ticks: this.core.ticks,
      badFrames: this.core.badFramesTotal,
      reconnects: this.feed?.reconnects ?? 0,
      lastError: this.lastError,
      tradingState: this.gate.current,
    });
  }
}
