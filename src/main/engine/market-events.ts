// What the session does when the market data feed or the tick path reports something: data flowing (ready, and
// a reconnect counted toward a storm), the socket down (a blind span) or lost for good, stale data, a blind span
// closed, a candle gap, the breaker tripped. The tick itself goes straight to the core; only these come here.
import type { BlindSpan } from '../../shared/blind-spans.js';
import type { FeedHandlers, MarketDataFeed } from '../market-feed.js';
import type { MinuteCandles } from '../minute-candles.js';
import { SpanRecovery } from '../span-recovery.js';
import type { CoreSink } from '../trading/trading-core.js';
import { forceClose } from './force-close.js';
import { backfill, seedCandles, type HistoryParts } from './market-history.js';
import type { SessionControl } from './session-control.js';
import type { Snapshots } from './snapshots.js';
import type { TradingGate } from './trading-gate.js';

export interface MarketEventsDeps extends SessionControl {
  /** Any replay (a candle tape or a frame log): market time is the tape's, no outside market is missed. */
  replay: boolean;
  intervalMs: number;
  gate: TradingGate;
  snapshots: Snapshots;
  feed(): MarketDataFeed | null;
  history(): HistoryParts;
  /** A candle tape's warm-up candles were seeded before its first frame. */
  seededBeforeStart(): boolean;
  /** Called once the feed delivers data (pm2 wait_ready). */
  onReady?: () => void;
}

export class MarketEvents {
  /** Market data has flowed since the start. */
  ready = false;
  /** Blind spans journaled this run. */
  blindSpans = 0;
  private spanRecovery: SpanRecovery | null = null;

  constructor(private readonly d: MarketEventsDeps) {}

  /** Blind spans are judged on the 1-minute candles `minutes` gives for them (shared with the backfill), once data resumes. */
  recoverSpansFrom(minutes: MinuteCandles): void {
    const d = this.d;
    this.spanRecovery = new SpanRecovery({
      pending: () => d.core().pendingSpans,
      fetch: (fromTs, toTs) => minutes.through(fromTs, toTs),
      recover: (spans, candles) => d.core().recoverSpans(spans, candles),
      settled: () => d.refreshTradingState(),
      error: (message) => d.fail(message),
      log: d.log,
    });
  }

  /** No more span recovery (the session is stopping). */
  stop(): void {
    this.spanRecovery?.stop();
  }

  /** The feed's handlers around `onFrame` (the tick path). */
  feedHandlers(wsUrl: string, onFrame: FeedHandlers['onFrame']): FeedHandlers {
    const d = this.d;
    return {
      onFrame,
      onOpen: () => d.log.info({ url: wsUrl }, 'ws open, subscribed'),
      onData: () => this.onData(),
      onDown: (reason, retryInMs, failures) => {
        if (!d.replay) d.core().blind('disconnect');
        d.record({ event: 'WsDisconnected', reason, retryInMs, consecutiveFailures: failures });
        d.log.warn({ reason, retryInMs, consecutiveFailures: failures }, 'ws down, reconnecting');
      },
      onFatal: (reason) => {
        d.record({ event: 'WsFatal', reason });
        d.fail(`market data lost: ${reason}`);
        d.stop('ws_fatal', 1);
      },
    };
  }

  /** First data after a (re)connect: journaled; the first of the run makes the session ready and seeds candles. */
  onData(): void {
    const d = this.d;
    const reconnects = d.feed()?.reconnects ?? 0;
    d.record({ event: 'WsConnected', reconnects });
    if (reconnects > 0) {
      d.gate.onReconnect();
      d.refreshTradingState();
    }
    if (!this.ready) {
      this.ready = true;
      if (!d.seededBeforeStart()) void seedCandles(d.history(), d.core().lastMarketTs || d.clock.now());
      d.log.info('market data flowing: ready');
      d.onReady?.();
    }
  }

  /** What the tick path reports back. */
  coreSink(): CoreSink {
    const d = this.d;
    return {
      record: (e) => d.record(e),
      changed: () => d.snapshots.schedule(),
      gap: (fromTs, toTs) => void backfill(d.history(), fromTs, toTs),
      blindSpan: (span) => this.onBlindSpan(span),
      breakerTripped: () => this.onBreakerTripped(),
      error: (message) => d.fail(message),
      info: (obj, msg) => d.log.info(obj, msg),
      warn: (obj, msg) => d.log.warn(obj, msg),
    };
  }

  /** No tick for --stale-timeout: no new entries, a blind span, and a forced reconnect. */
  onStale(age: number): void {
    const d = this.d;
    const core = d.core();
    core.markStale();
    d.record({ event: 'StaleData', lastTickAgeSec: Math.round(age / 1000) });
    d.log.warn({ ageSec: Math.round(age / 1000) }, 'stale data: no tick; forcing a reconnect, no new entries');
    core.blind('stale');
    d.feed()?.forceReconnect('stale data');
  }

  private onBlindSpan(span: BlindSpan): void {
    const d = this.d;
    this.blindSpans++;
    const { fromTs, toTs, causes } = span;
    d.record({ event: 'BlindSpan', fromTs, toTs, cause: causes[0], causes, seconds: Math.round((toTs - fromTs) / 100) / 10 });
    d.log.warn({ fromTs, toTs, causes, position: d.core().broker.state.position !== null }, 'blind span: judging the position on its candles');
    d.refreshTradingState();
    this.spanRecovery?.kick();
  }

  /**
   * A replay goes on with trading halted until the next UTC day (so a month's replay covers the month); a live
   * session flattens and ends, and a restart stays halted by the persisted breaker until the day rolls.
   */
  private onBreakerTripped(): void {
    const d = this.d;
    if (d.replay) {
      forceClose(d.core(), 'BREAKER', d.intervalMs);
      d.refreshTradingState();
      return;
    }
    d.stop('breaker', 0);
  }
}
