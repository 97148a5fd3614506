// The 1 Hz heartbeat, in this order: notice a suspended process, keep the snapshot's market time fresh, sample
// the process, roll the latency windows, close candles on market time (a replay closes its own, frame by
// frame), report bad frames, write heartbeat.json and a metrics row, and end the session over the memory cap.
import type { StateStore } from '../state-store.js';
import type { MetricsLog } from './end-of-session.js';
import type { ProcessHealth } from './process-health.js';
import type { SessionControl } from './session-control.js';
import type { Snapshots } from './snapshots.js';
import type { SessionStatus } from './status.js';
import { type BadFrameReport, memoryCapExceeded, SuspendWatch } from './tasks.js';

/** Heartbeats are 1 s apart; a longer silence means the whole process was suspended (or frozen): a blind span. */
const SUSPENDED_AFTER_MS = 5_000;

export interface HeartbeatDeps extends SessionControl {
  store: StateStore;
  replay: boolean;
  maxRssMb: number;
  health: ProcessHealth;
  status: SessionStatus;
  snapshots: Snapshots;
  metrics: MetricsLog;
  badFrames: BadFrameReport;
  /** Journal events up to this seq are on disk. */
  durableSeq(): number;
}

export class Heartbeat {
  private readonly suspendWatch: SuspendWatch;

  constructor(private readonly d: HeartbeatDeps) {
    // A replay has no outside market to miss while the process is suspended.
    this.suspendWatch = new SuspendWatch(d.clock, SUSPENDED_AFTER_MS, (pausedMs) => {
      if (d.replay) return;
      d.log.warn({ pausedMs }, 'process was suspended: blind span');
      d.core().blind('suspended');
    });
  }

  beat(): void {
    const d = this.d;
    const core = d.core();
    const now = d.clock.now();
    this.suspendWatch.beat();
    d.snapshots.keepFresh();
    d.health.beat();
    const rssMb = d.health.sample();
    core.stopDecision.roll();
    core.tickAge.roll();
    const market = d.status.market();
    // A replay's candles close and its trading state changes on its own frames (see replay-run.ts).
    if (!d.replay) {
      core.onMarketTime();
      d.refreshTradingState();
    }
    d.badFrames.check(core);
    const hb = d.status.heartbeat(now, market, d.durableSeq());
    d.store.writeFile('heartbeat.json', hb.json).catch((err: unknown) => d.persistError(err as Error));
    d.metrics.push(d.status.metricsRow(now, hb.queueDepth));
    const overCap = memoryCapExceeded(rssMb, d.maxRssMb);
    if (overCap) {
      d.fail(overCap);
      d.stop('memory', 1);
    }
  }
}
