// Prometheus text exposition (format 0.0.4) of the session's counters and gauges, for `GET /metrics`.
// Pure: the status server calls it with a fresh snapshot on each scrape, so nothing here touches the tick path.
import type { Side } from '../shared/types.js';

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
  loopLagP99Ms: number;
  rssMb: number;
  queueDepth: number;
  /** Frame received → stop decided, p99 over the last second, in microseconds. */
  stopDecisionP99Us: number;
  position: { side: Side; qty: number } | null;
}

type Metric = readonly [name: string, type: 'counter' | 'gauge', help: string, value: (c: MetricCounters) => number];

const METRICS: readonly Metric[] = [
  ['la_ticks_total', 'counter', 'Ticks processed since the session started.', (c) => c.ticks],
  ['la_bad_frames_total', 'counter', 'Market data frames dropped as malformed or out of order.', (c) => c.badFrames],
  ['la_reconnects_total', 'counter', 'WebSocket reconnects since the session started.', (c) => c.reconnects],
  ['la_orders_total', 'counter', 'Entry orders queued for execution.', (c) => c.orders],
  ['la_fills_total', 'counter', 'Entry fills (including working-order remainders).', (c) => c.fills],
  ['la_exits_total', 'counter', 'Position exits (stop, target, trail, forced, breaker).', (c) => c.exits],
  ['la_errors_total', 'counter', 'Session errors counted against the error budget.', (c) => c.errors],
  ['la_equity', 'gauge', 'Realized equity in the quote coin (fees and funding included).', (c) => c.equity],
  ['la_unrealized', 'gauge', 'Unrealized PnL of the open position in the quote coin.', (c) => c.unrealized],
  ['la_loop_lag_p99_ms', 'gauge', 'Event loop lag p99 over the last second, in milliseconds.', (c) => c.loopLagP99Ms],
  ['la_rss_mb', 'gauge', 'Resident set size of the engine process in MiB.', (c) => c.rssMb],
  ['la_stop_decision_p99_us', 'gauge', 'Frame received to stop/target decided, p99 over the last second, in microseconds.', (c) => c.stopDecisionP99Us],
  ['la_queue_depth', 'gauge', 'Orders waiting in the execution queue.', (c) => c.queueDepth],
  ['la_position_qty', 'gauge', 'Open position size, negative when short, 0 when flat.', (c) => positionQty(c.position)],
];

function positionQty(p: MetricCounters['position']): number {
  if (!p) return 0;
  return p.side === 'SHORT' ? -p.qty : p.qty;
}

/** Label values escape backslash, double quote and newline (exposition format rules). */
export function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export function prometheusText(c: MetricCounters): string {
  const labels = `{symbol="${escapeLabelValue(c.symbol)}"}`;
  const lines: string[] = [];
  for (const [name, type, help, value] of METRICS) {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${sampleValue(value(c))}`);
  }
  return `${lines.join('\n')}\n`;
}
