// The trading session: the order in which the parts start (state, core, status, market source, feed, tasks) and
// the ordered shutdown (intake, executor, flatten, final snapshot and files, lock, workers). The parts live beside
// it in engine/ (composition, tasks, recovery, status, end of session) and in trading/ (the tick path).
// Every tick is checked against the open position before the next frame is read; nothing on that path waits
// for the disk or a worker.
import { marketChannels } from '../../shared/bitunix/index.js';
import { PaperBroker } from '../../shared/broker.js';
import { contractKind } from '../../shared/broker-config.js';
import { CandleBuilder } from '../../shared/candle-builder.js';
import type { Clock } from '../../shared/clock.js';
import type { EngineEvent, StopReason } from '../../shared/events.js';
import { createRng, type Rng } from '../../shared/rng.js';
import type { Strategy } from '../../shared/strategy.js';
import { TickRing } from '../../shared/tick-ring.js';
import type { BrokerState, Tick } from '../../shared/types.js';
import type { EngineConfig } from '../config.js';
import type { EmbeddedSim } from '../embedded-sim.js';
import type { Executor } from '../trading/executor.js';
import { Journal } from '../journal.js';
import type { Logger } from '../logger.js';
import { TradingCore, type CoreSink } from '../trading/trading-core.js';
import type { FeedHandlers, MarketDataFeed } from '../market-feed.js';
import type { ReplaySource } from '../replay-source.js';
import type { MarketHistory } from '../replay-history.js';
import { FrameRecorder } from '../frame-recorder.js';
import { isFrameLog } from '../frame-log-reader.js';
import type { StateStore } from '../state-store.js';
import { summaryText } from '../reports.js';
import { endOfSession, MetricsLog, writeEndOfSessionFiles, type EndOfSession } from './end-of-session.js';
import { RestClient } from '../rest-client.js';
import { SpanRecovery } from '../span-recovery.js';
import { SPAN_CANDLE_MS, type BlindSpan } from '../../shared/blind-spans.js';
import { allOf, BadFrameReport, memoryCapExceeded, periodic, StaleWatch, SuspendWatch, type Task } from './tasks.js';
import { KillSwitch } from './kill-switch.js';
import { openFrameLogReplay, openMarketSource } from './market-source.js';
import { Snapshots } from './snapshots.js';
import { SessionStatus } from './status.js';
import { ReplayRun } from './replay-run.js';
import { TradingGate } from './trading-gate.js';
import { backfill, logFunding, seedCandles, type HistoryParts } from './market-history.js';
import { recordLoaded, simStartTs, startOfRunSpan } from './recovery.js';
import { brokerConfigOf, coreConfigOf, createExecutor, createRecorder, createSocketFeed, createTapeFeed, recordedHistory, restOptionsOf, type FeedParts } from './compose.js';
import { ProcessHealth } from './process-health.js';
import { WebhookNotifier } from '../notifier.js';

export type { StopReason } from '../../shared/events.js';

/** Stops that flatten the position; a signal (or a crash) keeps it for the next start. */
const CLOSES_POSITION: ReadonlySet<StopReason> = new Set(['duration', 'kill_file', 'breaker', 'replay_end']);
export { GENESIS_AT } from '../../shared/journal-fold.js';
const ERROR_BUDGET = 20;
const SHUTDOWN_DRAIN_MS = 1500;
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

/** The parts built on the loaded state. */
interface RunParts {
  broker: PaperBroker;
  journal: Journal;
  core: TradingCore;
  /** The broker state this run started from (the report's baseline). */
  startState: BrokerState;
}

export class Session {
  private readonly cfg: EngineConfig;
  private readonly log: Logger;
  private readonly rng: Rng;
  private readonly ring = TickRing.allocate(1024);
  private readonly builder: CandleBuilder;
  private feed: MarketDataFeed | null = null;
  /** --record: the frame log being written. */
  private recorder: FrameRecorder | null = null;
  private rest: MarketHistory | null = null;
  private exec: Executor | null = null;
  private sim: EmbeddedSim | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly health: ProcessHealth;
  private readonly notifier: WebhookNotifier | null;

  private spanRecovery: SpanRecovery | null = null;
  /** Blind spans journaled this run. */
  private blindSpansSeen = 0;
  // ── replay: market time is the tape's (see replay-source.ts) ──
  private replay: ReplaySource | null = null;
  private replayRunValue: ReplayRun | null = null;

  // counters
  errors = 0;
  lastError: string | null = null;
  private persistFault: string | null = null;
  private ready = false;
  private readonly killSwitch: KillSwitch;
  private readonly gate: TradingGate;
  private readonly staleWatch: StaleWatch;
  private readonly suspendWatch: SuspendWatch;
  private readonly badFrames: BadFrameReport;
  /** The lifecycle tasks, once the feed started. */
  private tasks: Task | null = null;

  private startWall = 0;
  private readonly snapshots: Snapshots;
  private readonly metrics = new MetricsLog();
  private readonly status: SessionStatus;
  private stopping: Promise<number> | null = null;
  /** What start() builds on the loaded state; null until then (and for good when the state could not be opened). */
  private run: RunParts | null = null;
  private resolveDone!: (code: number) => void;
  /** Resolves with the exit code once the session has fully stopped. */
  readonly done: Promise<number>;

  private get parts(): RunParts {
    if (!this.run) throw new Error('session: used before its state was loaded');
    return this.run;
  }

  private get broker(): PaperBroker {
    return this.parts.broker;
  }

  private get journal(): Journal {
    return this.parts.journal;
  }

  private get core(): TradingCore {
    return this.parts.core;
  }

  constructor(private readonly deps: SessionDeps) {
    this.cfg = deps.config;
    this.log = deps.log;
    this.rng = createRng(this.cfg.seed);
    this.builder = new CandleBuilder(this.cfg.intervalMs);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.health = new ProcessHealth(this.log);
    this.notifier = this.cfg.webhooks.length > 0 ? new WebhookNotifier({ urls: this.cfg.webhooks, symbol: this.cfg.symbol, log: this.log }) : null;
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
    this.status = new SessionStatus({
      symbol: this.cfg.symbol,
      staleAfterMs: this.cfg.staleTimeout * 1000,
      clock: deps.clock,
      log: deps.log,
      health: this.health,
      notifier: this.notifier,
      core: () => this.core,
      feed: () => this.feed,
      queued: () => this.exec?.pending ?? 0,
      stopping: () => this.stopping !== null,
      ready: () => this.ready,
      errors: () => ({ count: this.errors, last: this.lastError }),
      tradingState: () => this.gate.current,
      blindSpans: () => this.blindSpansSeen,
    });
    this.snapshots = new Snapshots({
      symbol: this.cfg.symbol,
      clock: deps.clock,
      store: deps.store,
      core: () => this.core,
      journal: () => this.journal,
      persistError: (err) => this.onPersistError(err),
    });
    // A replay has no outside market to miss while the process is suspended.
    this.suspendWatch = new SuspendWatch(deps.clock, SUSPENDED_AFTER_MS, (pausedMs) => {
      if (this.cfg.feed === 'replay') return;
      this.log.warn({ pausedMs }, 'process was suspended: blind span');
      this.core.blind('suspended');
    });
    this.badFrames = new BadFrameReport(deps.clock, (total, byReason) => {
      this.record({ event: 'BadFrames', total, byReason });
      this.log.warn({ total, byReason }, 'bad frames dropped');
    });
    this.staleWatch = new StaleWatch({
      clock: deps.clock,
      timeoutMs: this.cfg.staleTimeout * 1000,
      lastTickWall: () => this.core.lastTickWall,
      // A replay's market time runs at the tape's pace: a pause between its frames is not stale data.
      watching: () => this.ready && !this.stopping && this.cfg.feed !== 'replay',
      onStale: (age) => this.onStale(age),
    });
  }

  /**
   * Load state (the store holds the lock), connect, trade. Throws before anything is started when the
   * state cannot be opened (the caller maps a locked directory to exit 3).
   */
  async start(): Promise<void> {
    this.startWall = this.deps.clock.now();
    const loaded = await this.deps.store.open({ dir: this.cfg.stateDir, symbol: this.cfg.symbol, backups: this.cfg.backups, balance: this.cfg.balance });
    const state = loaded.state; // the snapshot (or a fresh state) with the journal after it folded in
    const broker = new PaperBroker(brokerConfigOf(this.cfg), this.rng, state);
    const journal = new Journal(this.deps.store, loaded.lastSeq, () => this.deps.clock.now(), (err) => this.onPersistError(err));
    this.exec = createExecutor(this.cfg, this.ring, (message) => this.fail(message));
    const core = new TradingCore(coreConfigOf(this.cfg, this.rng), broker, this.builder, this.ring, this.deps.strategy, this.coreSink(), this.exec);
    this.run = { broker, journal, core, startState: broker.state };
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
    if (this.cfg.httpPort !== null) await this.status.listen(this.cfg.httpPort, (message) => this.fail(message));

    if (this.cfg.feed === 'replay' && isFrameLog(this.cfg.replay!)) {
      await this.startFrameLogReplay();
      return;
    }
    const source = await openMarketSource(this.cfg, this.log, {
      simStartTs: () => simStartTs(this.broker.state, this.deps.clock.now(), this.cfg.intervalMs),
      lastMarketTs: () => this.core.lastMarketTs,
      replaySent: () => this.onReplaySent(),
    });
    this.sim = source.sim;
    this.replay = source.replay;
    const { wsUrl, restUrl } = source;
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

    const channels = marketChannels(this.cfg.interval);
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

  private async startFrameLogReplay(): Promise<void> {
    const onError = (message: string): void => {
      this.fail(message);
      void this.stop('fatal', 1);
    };
    const handlers = this.replayRun.recordingHandlers(() => this.onFeedData(), onError);
    const played = openFrameLogReplay(this.cfg, { clock: this.deps.clock, log: this.log, version: this.deps.version, sessionStart: this.startWall, handlers });
    this.recorder = played.recorder;
    this.rest = played.rest;
    await this.startFeed('', played.feed);
  }

  /** REST history for the feed in use (set before the feed starts). */
  private history(): HistoryParts {
    if (!this.rest) throw new Error('market history used before the feed was set up');
    return { rest: this.rest, core: this.core, interval: this.cfg.interval, log: this.log, record: (e) => this.record(e) };
  }

  private coreSink(): CoreSink {
    return {
      record: (e) => this.record(e),
      changed: () => this.snapshots.schedule(),
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
    this.status.count(e);
    const entry = this.journal.record(e);
    this.notifier?.notify(entry);
    return entry.seq;
  }

  private onPersistError(err: Error): void {
    if (this.persistFault === null) {
      this.persistFault = err.message;
      this.refreshTradingState();
      this.core.blockFills('state cannot be saved');
      this.fail(`state could not be saved: ${err.message}; no new positions until it can`);
    }
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
    const fail = (message: string): void => this.fail(message);
    this.tasks = allOf([
      periodic(1000, () => this.heartbeat(), fail),
      periodic(500, () => this.killSwitch.poll(), fail),
      periodic(1000, () => this.staleWatch.check(), fail),
    ]);
    this.tasks.start();
    if (this.cfg.duration !== null) {
      const t = setTimeout(() => void this.stop('duration', 0), this.cfg.duration * 60_000);
      this.timers.push(t);
    }
  }

  private heartbeat(): void {
    const now = this.deps.clock.now();
    this.suspendWatch.beat();
    this.snapshots.keepFresh();
    this.health.beat();
    const rssMb = this.health.sample();
    this.core.stopDecision.roll();
    this.core.tickAge.roll();
    const market = this.status.market();
    // A replay's candles close and its trading state changes on its own frames (onReplayFrame, startFrameLogReplay).
    if (this.cfg.feed !== 'replay') {
      this.core.onMarketTime();
      this.refreshTradingState();
    }
    this.badFrames.check(this.core);
    const hb = this.status.heartbeat(now, market, this.journal.durableSeq);
    this.deps.store.writeFile('heartbeat.json', hb.json).catch((err: unknown) => this.onPersistError(err as Error));
    this.metrics.push(this.status.metricsRow(now, hb.queueDepth));
    const overCap = memoryCapExceeded(rssMb, this.cfg.maxRssMb);
    if (overCap) {
      this.fail(overCap);
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
    const run = this.run;
    run?.core.blockEntries('stopping');
    // 1. stop intake: no more frames, no more timers
    this.tasks?.stop();
    for (const t of this.timers) clearTimeout(t);
    this.replayRunValue?.stop();
    this.snapshots.stop();
    this.spanRecovery?.stop();
    await this.feed?.stop();
    const recorded = this.recorder?.close().then((r) => this.log.info({ recording: r }, 'frame log closed'));
    // 2. drain or cancel the execution queue
    const cancelled = this.exec ? await this.exec.close(SHUTDOWN_DRAIN_MS) : [];
    for (const o of cancelled) this.log.warn({ orderId: o.id }, 'order cancelled at shutdown (never filled)');
    // 3. flatten when the reason says so; a signal keeps the position for the next start
    if (run) {
      if (CLOSES_POSITION.has(reason) && this.broker.state.position) {
        const t = this.core.haveBook ? { ...this.core.tick } : this.closeTickFromCandle();
        if (t) this.core.applyBroker(this.broker.forceClose(t, reason === 'breaker' ? 'BREAKER' : 'FORCE_CLOSE'));
        else this.log.error('no price known: the position cannot be closed and is kept');
      }
      this.core.applyBroker(this.broker.cancelWorkingOrders('shutdown', this.core.lastMarketTs));
      this.badFrames.check(this.core, true);
    }
    const end = run ? this.endOfSession(run, reason, exitCode) : null;
    // metrics.csv ends at the end state, so its last row agrees with final_report.json (however short the run).
    if (run) this.metrics.push(this.status.metricsRow(this.deps.clock.now(), 0));
    if (run) {
      this.record({ event: 'SessionEnd', reason, exitCode, errors: this.errors });
      // 4. final snapshot and journal flush, then the end-of-session files
      await this.snapshots.write();
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

  private endOfSession(run: RunParts, reason: StopReason, exitCode: number): EndOfSession {
    return endOfSession({
      reason,
      exitCode,
      symbol: this.cfg.symbol,
      intervalMs: this.cfg.intervalMs,
      kind: contractKind(this.cfg.symbol),
      start: run.startState,
      end: run.broker.state,
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
