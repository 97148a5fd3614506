// What the session shows of itself while it runs: the status snapshot behind /health, /status and /metrics, the
// 1 Hz heartbeat (log line, heartbeat.json, the live page's sample) and the metrics.csv rows. Built on demand from
// the session's parts, off the tick path.
import type { Clock } from '../../shared/clock.js';
import type { EngineEvent } from '../../shared/events.js';
import type { TradingState } from '../../shared/trading-state.js';
import type { BrokerState } from '../../shared/types.js';
import type { Logger } from '../logger.js';
import type { MarketDataFeed } from '../market-feed.js';
import type { WebhookNotifier } from '../notifier.js';
import type { MetricsSample } from '../reports.js';
import type { StatusServer, StatusSnapshot } from '../status-server.js';
import type { TradingCore } from '../trading/trading-core.js';
import type { ProcessHealth } from './process-health.js';

export interface StatusDeps {
  symbol: string;
  staleAfterMs: number;
  clock: Clock;
  log: Logger;
  health: ProcessHealth;
  notifier: WebhookNotifier | null;
  core(): TradingCore;
  feed(): MarketDataFeed | null;
  /** Orders handed to the executor and not yet quoted. */
  queued(): number;
  stopping(): boolean;
  /** Market data has flowed since the start. */
  ready(): boolean;
  errors(): { count: number; last: string | null };
  tradingState(): TradingState;
  blindSpans(): number;
}

export class SessionStatus {
  private server: StatusServer | null = null;
  /** For /metrics: entry orders queued, fills and exits this run. */
  private readonly counts = { orders: 0, fills: 0, exits: 0 };

  constructor(private readonly d: StatusDeps) {}

  /** Every journaled event passes here. */
  count(e: EngineEvent): void {
    if (e.event === 'OrderQueued') this.counts.orders++;
    else if (e.event === 'Fill') this.counts.fills++;
    else if (e.event === 'Exit') this.counts.exits++;
  }

  /** The status endpoint is an aid, not the trading: a busy port counts as an error, it does not stop the run. */
  async listen(port: number, fail: (message: string) => void): Promise<void> {
    // Loaded here, by the sessions that serve /metrics: prom-client is a start-up cost the others never use.
    // Outside the try: a module that cannot load is a broken install, not a busy port.
    const [{ PromMetrics }, { startStatusServer }] = await Promise.all([import('../prom-metrics.js'), import('../status-server.js')]);
    try {
      const core = this.d.core();
      const notifier = this.d.notifier;
      const prom = new PromMetrics({
        snapshot: () => this.snapshot(),
        stopDecision: core.stopDecision.total,
        tickAge: core.tickAge.total,
        loopLag: this.d.health.loopLagTotal,
        ...(notifier ? { notifier: () => notifier.stats() } : {}),
      });
      this.server = await startStatusServer({ port, getStatus: () => this.snapshot(), getMetricsText: () => prom.text(), log: this.d.log });
    } catch (err) {
      fail(`status endpoint could not listen on 127.0.0.1:${port}: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.server?.close();
  }

  /** The heartbeat fields plus what /health and /metrics need. */
  snapshot(now = this.d.clock.now()): StatusSnapshot {
    const d = this.d;
    const core = d.core();
    const st = core.broker.state;
    const feed = d.feed();
    const errors = d.errors();
    return {
      ts: now,
      pid: process.pid,
      status: d.stopping() ? 'stopping' : core.stale ? 'stale' : d.ready() ? 'running' : 'starting',
      symbol: d.symbol,
      price: core.haveBook ? core.tick.last : null,
      position: st.position,
      equity: st.equity,
      unrealized: core.unrealized(),
      ticks: core.ticks,
      badFrames: core.badFramesTotal,
      reconnects: feed?.reconnects ?? 0,
      wsState: feed?.state ?? 'idle',
      queueDepth: d.queued(),
      loopLagP99Ms: d.health.lagP99Ms,
      rssMb: d.health.rssMb,
      errors: errors.count,
      lastError: errors.last,
      orders: this.counts.orders,
      fills: this.counts.fills,
      exits: this.counts.exits,
      lastTickAgeMs: core.ticks > 0 ? now - core.lastTickWall : null,
      stopDecisionP99Us: core.stopDecision.last.p99Us,
      staleAfterMs: d.staleAfterMs,
      tradingState: d.tradingState(),
      blindSpans: d.blindSpans(),
    };
  }

  /** The market as the heartbeat began (before its candle clock ran): what the line and the live page show. */
  market(): { st: BrokerState; price: number | null; unrealized: number; pos: string } {
    const core = this.d.core();
    const st = core.broker.state;
    return {
      st,
      price: core.haveBook ? core.tick.last : null,
      unrealized: core.unrealized(),
      pos: st.position ? `${st.position.side} ${st.position.qty} @ ${st.position.entry}` : 'flat',
    };
  }

  /** The heartbeat's record: the live page's sample, the log line; returns heartbeat.json's content and the queue depth. */
  heartbeat(now: number, m: ReturnType<SessionStatus['market']>, durableSeq: number): { json: string; queueDepth: number } {
    const d = this.d;
    const core = d.core();
    const st = m.st;
    const hb = {
      ...this.snapshot(now),
      stopDecisionMaxUs: core.stopDecision.last.maxUs,
      tickAgeP50Ms: core.tickAge.last.p50Us / 1000,
      tickAgeP99Ms: core.tickAge.last.p99Us / 1000,
      tickAgeMaxMs: core.tickAge.last.maxUs / 1000,
      /** Journal events up to this seq are on disk (fsynced). */
      durableSeq,
      /** Memory by thread, for a soak that has to say what grew. */
      memory: d.health.memory,
    };
    this.server?.publish({ ts: now, status: hb.status, price: m.price, position: st.position, equity: st.equity, unrealized: m.unrealized });
    const ts = d.tradingState();
    const u = m.unrealized;
    d.log.info(
      {
        hb: true,
        ticks: hb.ticks,
        queueDepth: hb.queueDepth,
        loopLagP99Ms: hb.loopLagP99Ms,
        stopDecisionP99Us: hb.stopDecisionP99Us,
        tickAgeP99Ms: hb.tickAgeP99Ms,
        durableSeq: hb.durableSeq,
      },
      `${d.symbol} ${m.price ?? '-'} | ${ts.state}${ts.reason ? `(${ts.reason})` : ''} | ${m.pos} | equity ${st.equity.toFixed(2)} (unrl ${u >= 0 ? '+' : ''}${u.toFixed(2)}) | ticks ${core.ticks} | ws ${hb.wsState} | errors ${d.errors().count}`,
    );
    return { json: `${JSON.stringify(hb)}\n`, queueDepth: hb.queueDepth };
  }

  /** One metrics.csv row: the state as of `now` (every heartbeat, and once more at the very end). */
  metricsRow(now: number, queueDepth: number): MetricsSample {
    const core = this.d.core();
    const st = core.broker.state;
    const unrealized = core.unrealized();
    return {
      ts: now,
      price: core.haveBook ? core.tick.last : null,
      equity: st.equity + unrealized,
      unrealized,
      position: st.position ? st.position.side : 'FLAT',
      ticks: core.ticks,
      queueDepth,
      loopLagP99Ms: this.d.health.lagP99Ms,
      rssMb: this.d.health.rssMb,
      errors: this.d.errors().count,
    };
  }
}
