// `GET /metrics` by Prometheus' conventions (docs/prometheus.md): a `laptop_agents_` prefix, base units
// (seconds, bytes), counters ending in `_total`, real histograms, and prom-client's default process_* /
// nodejs_* collectors. Every value is read from the session at scrape time; the histograms are the
// since-start buckets the heartbeat folds from the tick path's HDR histograms, so a scrape adds no
// work to the tick path and the tick path does no Prometheus bookkeeping.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { CumulativeBuckets } from '../shared/cumulative-buckets.js';
import type { Side } from '../shared/types.js';

export const PREFIX = 'laptop_agents_';

export type TradingStateName = 'ACTIVE' | 'REDUCING' | 'HALTED';
export const TRADING_STATES: readonly TradingStateName[] = ['ACTIVE', 'REDUCING', 'HALTED'];
/** MarketFeed's states, exported as one labelled gauge. */
export const WS_STATES: readonly string[] = ['idle', 'connecting', 'open', 'backoff', 'stopped', 'fatal'];

const NONCONFORMING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** What a scrape reports; the status snapshot is a superset of it. */
export interface MetricCounters {
  symbol: string;
  ticks: number;
  badFrames: number;
  reconnects: number;
  orders: number;
  fills: number;
  exits: number;
  errors: number;
  /** Realized equity in the quote coin. */
  equity: number;
  unrealized: number;
  /** Heartbeat figures (kept for heartbeat.json; /metrics exports histograms instead). */
  loopLagP99Ms: number;
  rssMb: number;
  queueDepth: number;
  stopDecisionP99Us: number;
  position: { side: Side; qty: number } | null;
  wsState: string;
  /** Wall ms since the last tick; null before the first one. */
  lastTickAgeMs: number | null;
  tradingState?: { state: TradingStateName; reason: string | null };
  /** Blind spans (market data missing, the laptop asleep) since the start. */
  blindSpans?: number;
}

export interface NotifierCounts {
  sent: number;
  failed: number;
  dropped: number;
  queued: number;
}

export interface MetricSources {
  snapshot(): MetricCounters;
  stopDecision?: CumulativeBuckets;
  tickAge?: CumulativeBuckets;
  loopLag?: CumulativeBuckets;
  notifier?: () => NotifierCounts;
}

type HistogramData = Awaited<ReturnType<Histogram<'symbol'>['get']>>;

/** A histogram whose buckets are kept elsewhere (CumulativeBuckets) and exported as they are. */
class FoldedHistogram extends Histogram<'symbol'> {
  constructor(
    private readonly metric: string,
    private readonly text: string,
    registry: Registry,
    private readonly source: () => { symbol: string; buckets: CumulativeBuckets | undefined },
  ) {
    super({ name: metric, help: text, labelNames: ['symbol'], registers: [registry] });
  }

  // Registry prefers getForPromString; get serves getMetricsAsJSON. Both export the folded buckets.
  async getForPromString(): Promise<HistogramData> {
    const { symbol, buckets } = this.source();
    const values: HistogramData['values'] = [];
    if (buckets) {
      for (const b of buckets.cumulative()) {
        values.push({
          labels: { le: b.le === Infinity ? '+Inf' : b.le, symbol } as HistogramData['values'][number]['labels'],
          value: b.count,
          metricName: `${this.metric}_bucket`,
        });
      }
      values.push({ labels: { symbol }, value: buckets.sum, metricName: `${this.metric}_sum` });
      values.push({ labels: { symbol }, value: buckets.count, metricName: `${this.metric}_count` });
    }
    return { name: this.metric, help: this.text, type: 'histogram', values, aggregator: 'sum' } as unknown as HistogramData;
  }

  override get(): Promise<HistogramData> {
    return this.getForPromString();
  }
}

function positionSize(p: MetricCounters['position']): number {
  if (!p) return 0;
  return p.side === 'SHORT' ? -p.qty : p.qty;
}

export class PromMetrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  /** One snapshot per scrape, shared by every metric's collect. */
  private current: MetricCounters | null = null;

  constructor(src: MetricSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    // prom-client names these three gauges *_total, which promtool rejects (a gauge is not a counter);
    // the same figures remain as nodejs_active_handles/requests/resources.
    for (const name of NONCONFORMING_DEFAULTS) r.removeSingleMetric(name);
    const snap = (): MetricCounters => (this.current ??= src.snapshot());
    /** One series per metric, labelled with the symbol, its value read at scrape time (undefined: absent). */
    const single = (kind: 'counter' | 'gauge', name: string, help: string, value: (c: MetricCounters) => number | undefined): void => {
      const config = { name: PREFIX + name, help, labelNames: ['symbol'] as const, registers: [r] };
      const read = (): { symbol: string; v: number | undefined } => {
        const c = snap();
        return { symbol: c.symbol, v: value(c) };
      };
      if (kind === 'counter') {
        new Counter({
          ...config,
          collect() {
            const { symbol, v } = read();
            this.reset();
            if (v !== undefined) this.inc({ symbol }, v);
          },
        });
      } else {
        new Gauge({
          ...config,
          collect() {
            const { symbol, v } = read();
            this.reset();
            if (v !== undefined) this.set({ symbol }, v);
          },
        });
      }
    };
    const counter = (name: string, help: string, value: (c: MetricCounters) => number | undefined): void => single('counter', name, help, value);
    const gauge = (name: string, help: string, value: (c: MetricCounters) => number | undefined): void => single('gauge', name, help, value);
    counter('ticks_total', 'Ticks processed since the engine started.', (c) => c.ticks);
    counter('bad_frames_total', 'Market data frames dropped as malformed or out of order.', (c) => c.badFrames);
    counter('reconnects_total', 'WebSocket reconnects since the engine started.', (c) => c.reconnects);
    counter('orders_total', 'Entry orders queued for execution.', (c) => c.orders);
    counter('fills_total', 'Entry fills (including working-order remainders).', (c) => c.fills);
    counter('exits_total', 'Position exits (stop, target, trail, forced, breaker).', (c) => c.exits);
    counter('errors_total', 'Session errors counted against the error budget.', (c) => c.errors);
    counter('blind_spans_total', 'Blind spans (market data missing or the process suspended) since the engine started.', (c) => c.blindSpans);
    gauge('equity', 'Realized equity in the quote coin (fees and funding included).', (c) => c.equity);
    gauge('unrealized_pnl', 'Unrealized PnL of the open position in the quote coin.', (c) => c.unrealized);
    gauge('position_size', 'Open position size in contract units, negative when short, 0 when flat.', (c) => positionSize(c.position));
    gauge('execution_queue_depth', 'Orders waiting in the execution queue.', (c) => c.queueDepth);
    gauge('last_tick_age_seconds', 'Seconds since the last tick was processed (absent before the first tick).', (c) =>
      c.lastTickAgeMs === null ? undefined : c.lastTickAgeMs / 1000,
    );

    new Gauge({
      name: `${PREFIX}websocket_state`,
      help: 'Market data WebSocket state: 1 for the current state, 0 for the others.',
      labelNames: ['symbol', 'state'],
      registers: [r],
      collect() {
        const c = snap();
        this.reset();
        for (const state of WS_STATES) this.set({ symbol: c.symbol, state }, c.wsState === state ? 1 : 0);
      },
    });
    new Gauge({
      name: `${PREFIX}trading_state`,
      help: 'Trading state (ACTIVE, REDUCING, HALTED): 1 for the current state, with its reason, 0 for the others.',
      labelNames: ['symbol', 'state', 'reason'],
      registers: [r],
      collect() {
        const c = snap();
        this.reset();
        const ts = c.tradingState;
        if (!ts) return;
        for (const state of TRADING_STATES) {
          const on = ts.state === state;
          this.set({ symbol: c.symbol, state, reason: on ? (ts.reason ?? '') : '' }, on ? 1 : 0);
        }
      },
    });

    const symbol = (): string => snap().symbol;
    new FoldedHistogram(`${PREFIX}stop_decision_seconds`, 'Frame received to the open position checked and an exit decided.', r, () => ({
      symbol: symbol(),
      buckets: src.stopDecision,
    }));
    new FoldedHistogram(`${PREFIX}tick_age_seconds`, 'Exchange timestamp to tick processed (meaningful when both clocks agree: live data).', r, () => ({
      symbol: symbol(),
      buckets: src.tickAge,
    }));
    new FoldedHistogram(`${PREFIX}event_loop_lag_seconds`, 'Event loop delay beyond the sampling interval, sampled every 10 ms.', r, () => ({
      symbol: symbol(),
      buckets: src.loopLag,
    }));

    if (src.notifier) {
      const notifier = src.notifier;
      const n = (name: string, help: string, value: (x: NotifierCounts) => number, kind: 'counter' | 'gauge'): void =>
        single(kind, name, help, () => value(notifier()));
      n('webhook_sent_total', 'Webhook notifications delivered (2xx).', (x) => x.sent, 'counter');
      n('webhook_failures_total', 'Webhook delivery attempts that failed (timeout, refused, non-2xx).', (x) => x.failed, 'counter');
      n('webhook_dropped_total', 'Webhook notifications given up after retries or dropped from a full queue.', (x) => x.dropped, 'counter');
      n('webhook_queue_depth', 'Webhook notifications waiting for delivery.', (x) => x.queued, 'gauge');
    }
  }

  /** The exposition text; one snapshot serves the whole scrape. */
  async text(): Promise<string> {
    this.current = null;
    try {
      return await this.registry.metrics();
    } finally {
      this.current = null;
    }
  }
}
