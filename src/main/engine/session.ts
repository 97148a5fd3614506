// The trading session: the order in which the parts start (state, core, status, market source, feed, tasks) and
// the ordered shutdown (intake, executor, flatten, final snapshot and files, lock, workers). The parts live beside
// it in engine/ (composition, market intake and events, tasks and the heartbeat, recovery, status, end of session)
// and in trading/ (the tick path).
// Every tick is checked against the open position before the next frame is read; nothing on that path waits
// for the disk or a worker.
import { PaperBroker } from '../../shared/broker.js';
import { CandleBuilder } from '../../shared/candle-builder.js';
import type { Clock } from '../../shared/clock.js';
import type { EngineEvent, StopReason } from '../../shared/events.js';
import { createRng, type Rng } from '../../shared/rng.js';
import { SessionRecord } from '../../shared/session-record.js';
import type { Strategy } from '../../shared/strategy.js';
import { TickRing } from '../../shared/tick-ring.js';
import type { BrokerState } from '../../shared/types.js';
import type { EngineConfig } from '../config.js';
import { Journal } from '../journal.js';
import type { Logger } from '../logger.js';
import { WebhookNotifier } from '../notifier.js';
import { summaryText } from '../reports.js';
import type { StateStore } from '../state-store.js';
import type { Executor } from '../trading/executor.js';
import { TradingCore } from '../trading/trading-core.js';
import { brokerConfigOf, coreConfigOf, createExecutor } from './compose.js';
import { endOfSession, MetricsLog, writeEndOfSessionFiles, type EndOfSession, type SessionOutcome } from './end-of-session.js';
import { ErrorBudget } from './error-budget.js';
import { EventFanout } from './event-fanout.js';
import { forceClose } from './force-close.js';
import { Heartbeat } from './heartbeat.js';
import { KillSwitch } from './kill-switch.js';
import { MarketEvents } from './market-events.js';
import { MarketIntake } from './market-intake.js';
import { PersistFault } from './persist-fault.js';
import { ProcessHealth } from './process-health.js';
import { recordLoaded, startOfRunSpan } from './recovery.js';
import type { SessionControl } from './session-control.js';
import { Snapshots } from './snapshots.js';
import { SessionStatus } from './status.js';
import { after, allOf, BadFrameReport, periodic, StaleWatch, type Task } from './tasks.js';
import { TradingGate } from './trading-gate.js';

export type { StopReason } from '../../shared/events.js';

/** Stops that flatten the position; a signal (or a crash) keeps it for the next start. */
const CLOSES_POSITION: ReadonlySet<StopReason> = new Set(['duration', 'kill_file', 'breaker', 'replay_end']);
export { GENESIS_AT } from '../../shared/journal-fold.js';
const SHUTDOWN_DRAIN_MS = 1500;
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
  events: EventFanout;
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
  private exec: Executor | null = null;
  private readonly health: ProcessHealth;
  private readonly notifier: WebhookNotifier | null;
  private readonly errors: ErrorBudget;
  private readonly persistFault: PersistFault;
  private readonly killSwitch: KillSwitch;
  private readonly gate: TradingGate;
  private readonly market: MarketEvents;
  private readonly intake: MarketIntake;
  private readonly heartbeat: Heartbeat;
  private readonly staleWatch: StaleWatch;
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
    this.errors = new ErrorBudget(this.log, () => void this.stop('error_budget', 1));
    const control: SessionControl = {
      clock: deps.clock,
      log: deps.log,
      core: () => this.core,
      record: (e) => this.record(e),
      refreshTradingState: () => this.refreshTradingState(),
      fail: (message) => this.fail(message),
      stop: (reason, exitCode) => void this.stop(reason, exitCode),
      stopping: () => this.stopping !== null,
      persistError: (err) => this.onPersistError(err),
    };
    this.persistFault = new PersistFault(control);
    this.killSwitch = new KillSwitch({
      ...control,
      store: deps.store,
      killFile: this.cfg.killFile,
      resume: this.cfg.resume,
      dryRun: this.cfg.dryRun,
      changed: () => this.refreshTradingState(),
      killed: () => void this.stop('kill_file', 0),
    });
    this.gate = new TradingGate({ ...control, killSwitch: () => this.killSwitch.active, persistFault: () => this.persistFault.reason });
    this.status = new SessionStatus({
      ...control,
      symbol: this.cfg.symbol,
      staleAfterMs: this.cfg.staleTimeout * 1000,
      health: this.health,
      notifier: this.notifier,
      feed: () => this.intake.feed,
      queued: () => this.exec?.pending ?? 0,
      ready: () => this.market.ready,
      errors: () => ({ count: this.errors.count, last: this.errors.last }),
      tradingState: () => this.gate.current,
      blindSpans: () => this.market.blindSpans,
    });
    this.snapshots = new Snapshots({ ...control, symbol: this.cfg.symbol, store: deps.store, journal: () => this.journal });
    this.market = new MarketEvents({
      ...control,
      replay: this.cfg.feed === 'replay',
      intervalMs: this.cfg.intervalMs,
      gate: this.gate,
      snapshots: this.snapshots,
      feed: () => this.intake.feed,
      history: () => this.intake.history(),
      seededBeforeStart: () => this.intake.tapeReplay,
      onReady: deps.onReady,
    });
    this.intake = new MarketIntake({ ...control, cfg: this.cfg, rng: this.rng, version: deps.version, market: this.market });
    this.badFrames = new BadFrameReport(deps.clock, (total, byReason) => {
      this.record({ event: 'BadFrames', total, byReason });
      this.log.warn({ total, byReason }, 'bad frames dropped');
    });
    this.staleWatch = new StaleWatch({
      clock: deps.clock,
      timeoutMs: this.cfg.staleTimeout * 1000,
      lastTickWall: () => this.core.lastTickWall,
      // A replay's market time runs at the tape's pace: a pause between its frames is not stale data.
      watching: () => this.market.ready && !this.stopping && this.cfg.feed !== 'replay',
      onStale: (age) => this.market.onStale(age),
    });
    this.heartbeat = new Heartbeat({
      ...control,
      store: deps.store,
      replay: this.cfg.feed === 'replay',
      maxRssMb: this.cfg.maxRssMb,
      health: this.health,
      status: this.status,
      snapshots: this.snapshots,
      metrics: this.metrics,
      badFrames: this.badFrames,
      durableSeq: () => this.journal.durableSeq,
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
    const journal = new Journal(
      this.deps.store,
      loaded.lastSeq,
      () => this.deps.clock.now(),
      (err) => this.onPersistError(err),
    );
    this.exec = await createExecutor(this.cfg, this.ring, (message) => this.fail(message));
    const coreCfg = coreConfigOf(this.cfg, this.rng);
    const record = new SessionRecord(broker.state, coreCfg.intervalMs, coreCfg.kind);
    const core = new TradingCore(coreCfg, broker, this.builder, this.ring, this.deps.strategy, this.market.coreSink(), this.exec, record);
    this.run = { broker, journal, events: new EventFanout(this.status, journal, this.notifier, record), core, startState: broker.state };
    // Registered once the core exists: a fault arrives as a worker message, never before this line runs.
    this.deps.store.onFault?.((kind, message) => this.persistFault.onFault(kind, message));
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

    await this.intake.start(this.startWall);
    this.startTimers();
  }

  private record(e: EngineEvent): number {
    return this.parts.events.record(e);
  }

  private onPersistError(err: Error): void {
    this.persistFault.saveFailed(err);
  }

  /** Count a session error, log it once with context, end the session when the budget is spent. */
  fail(message: string): void {
    this.errors.fail(message);
  }

  // ── lifecycle tasks ────────────────────────────────────────────────────────

  private startTimers(): void {
    const fail = (message: string): void => this.fail(message);
    const duration = this.cfg.duration;
    this.tasks = allOf([
      periodic(1000, () => this.heartbeat.beat(), fail),
      periodic(500, () => this.killSwitch.poll(), fail),
      periodic(1000, () => this.staleWatch.check(), fail),
      ...(duration !== null ? [after(duration * 60_000, () => void this.stop('duration', 0))] : []),
    ]);
    this.tasks.start();
  }

  /** Recompute the trading state from its conditions (journaled when it changes). */
  private refreshTradingState(): void {
    this.gate.refresh(this.core);
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
    this.intake.stopReplay();
    this.snapshots.stop();
    this.market.stop();
    await this.intake.stopFeed();
    const recorded = this.intake.closeRecorder();
    // 2. drain or cancel the execution queue
    const cancelled = this.exec ? await this.exec.close(SHUTDOWN_DRAIN_MS) : [];
    for (const o of cancelled) this.log.warn({ orderId: o.id }, 'order cancelled at shutdown (never filled)');
    // 3. flatten when the reason says so; a signal keeps the position for the next start
    if (run) {
      if (CLOSES_POSITION.has(reason) && run.broker.state.position) {
        if (!forceClose(this.core, reason === 'breaker' ? 'BREAKER' : 'FORCE_CLOSE', this.cfg.intervalMs)) {
          this.log.error('no price known: the position cannot be closed and is kept');
        }
      }
      this.core.applyBroker(run.broker.cancelWorkingOrders('shutdown', this.core.lastMarketTs));
      this.badFrames.check(this.core, true);
    }
    // The report's facts as of the end of trading: a failure of the final writes below is not counted in them.
    const facts = run ? this.endFacts(run, reason, exitCode) : null;
    let end: EndOfSession | null = null;
    if (run && facts) {
      // metrics.csv ends at the end state, so its last row agrees with final_report.json (however short the run).
      this.metrics.push(this.status.metricsRow(this.deps.clock.now(), 0));
      this.record({ event: 'SessionEnd', reason, exitCode, errors: this.errors.count });
      // 4. journal flush and final snapshot, then the end-of-session files. With the journal on disk the snapshot
      // goes to the worker at once, which writes it (and formats candles.csv) while this thread folds the session
      // record; the files are handed over as they are made and the worker writes them after the snapshot.
      await this.journal.flush();
      const durable = this.snapshots.write().then(() => this.journal.flush());
      this.deps.store.formatCandlesCsv(this.core.record.candleRows()).catch(() => {}); // its write formats again, and reports
      end = endOfSession({ ...facts, market: this.core.record.end(this.core.lastMarketTs) });
      await writeEndOfSessionFiles(this.deps.store, this.log, end, { symbol: this.cfg.symbol, metrics: this.metrics });
      await durable;
    }
    await this.notifier?.close(WEBHOOK_SHUTDOWN_MS);
    await this.status?.close();
    // 5. release the lock and the workers
    await this.deps.store.close().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'closing the state store failed'));
    await this.deps.store.terminate().catch(() => {}); // after close(): a worker already gone is fine
    await this.intake.stopSim();
    await recorded;
    await this.health.stop();
    if (end) {
      this.log.info({ report: end.report }, 'session ended');
      process.stdout.write(`${summaryText(end.report)}\n`);
    }
    return exitCode;
  }

  /** What the end of the session reports, but its market record (folded once the final snapshot is on its way). */
  private endFacts(run: RunParts, reason: StopReason, exitCode: number): Omit<SessionOutcome, 'market'> {
    return {
      reason,
      exitCode,
      symbol: this.cfg.symbol,
      start: run.startState,
      end: run.broker.state,
      generatedAt: this.deps.clock.now(),
      durationSec: (this.deps.clock.now() - this.startWall) / 1000,
      errors: this.errors.count,
      ticks: this.core.ticks,
      badFrames: this.core.badFramesTotal,
      reconnects: this.intake.feed?.reconnects ?? 0,
      lastError: this.errors.last,
      tradingState: this.gate.current,
    };
  }
}
