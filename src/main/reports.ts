// End-of-session facts: final_report.json (SPEC §6), the printed summary and metrics.csv.
import type { BrokerState, Candle } from '../shared/types.js';

export interface FinalReport {
  status: 'success' | 'error';
  exitCode: number;
  reason: string;
  symbol: string;
  /** Net PnL of this session in the quote coin (equity change, fees and funding included). */
  pnl: number;
  /** Round trips closed this session. */
  trades: number;
  winRate: number;
  fees: number;
  funding: number;
  errors: number;
  durationSec: number;
  startingEquity: number;
  equity: number;
  position: BrokerState['position'];
  ticks: number;
  badFrames: number;
  reconnects: number;
  lastError: string | null;
}

export interface MetricsSample {
  ts: number;
  price: number | null;
  equity: number;
  unrealized: number;
  position: string;
  ticks: number;
  queueDepth: number;
  loopLagP99Ms: number;
  rssMb: number;
  errors: number;
}

const round = (x: number, dp = 2): number => Math.round(x * 10 ** dp) / 10 ** dp;

export function buildFinalReport(a: {
  exitCode: number;
  reason: string;
  symbol: string;
  start: BrokerState;
  end: BrokerState;
  errors: number;
  durationSec: number;
  ticks: number;
  badFrames: number;
  reconnects: number;
  lastError: string | null;
}): FinalReport {
  const trades = a.end.stats.trades - a.start.stats.trades;
  const wins = a.end.stats.wins - a.start.stats.wins;
  return {
    status: a.exitCode === 0 && a.errors === 0 ? 'success' : 'error',
    exitCode: a.exitCode,
    reason: a.reason,
    symbol: a.symbol,
    pnl: round(a.end.equity - a.start.equity, 4),
    trades,
    winRate: trades > 0 ? round(wins / trades, 4) : 0,
    fees: round(a.end.stats.fees - a.start.stats.fees, 4),
    funding: round(a.end.stats.funding - a.start.stats.funding, 4),
    errors: a.errors,
    durationSec: round(a.durationSec, 1),
    startingEquity: round(a.start.equity, 4),
    equity: round(a.end.equity, 4),
    position: a.end.position,
    ticks: a.ticks,
    badFrames: a.badFrames,
    reconnects: a.reconnects,
    lastError: a.lastError,
  };
}

export function summaryText(r: FinalReport): string {
  const pos = r.position ? `${r.position.side} ${r.position.qty} @ ${r.position.entry} (kept for the next start)` : 'flat';
  return [
    `── laptop-agents session summary (${r.symbol}) ──`,
    `  status     ${r.status} (exit ${r.exitCode}, reason: ${r.reason})`,
    `  duration   ${r.durationSec} s, ${r.ticks} ticks, ${r.badFrames} bad frames, ${r.reconnects} reconnects`,
    `  equity     ${r.startingEquity} → ${r.equity} (PnL ${r.pnl >= 0 ? '+' : ''}${r.pnl})`,
    `  trades     ${r.trades}, win rate ${(r.winRate * 100).toFixed(1)} %, fees ${r.fees}, funding ${r.funding}`,
    `  position   ${pos}`,
    `  errors     ${r.errors}${r.lastError ? ` (last: ${r.lastError})` : ''}`,
  ].join('\n');
}

export function metricsCsv(samples: MetricsSample[]): string {
  const head = 'ts,price,equity,unrealized,position,ticks,queueDepth,loopLagP99Ms,rssMb,errors';
  const rows = samples.map((s) =>
    [s.ts, s.price ?? '', round(s.equity, 4), round(s.unrealized, 4), s.position, s.ticks, s.queueDepth, round(s.loopLagP99Ms, 3), round(s.rssMb, 1), s.errors].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

/** The session's closed candles, oldest first (open time in ms and ISO, OHLCV). */
export function candlesCsv(candles: Candle[]): string {
  const rows = candles.map((c) => [c.ts, new Date(c.ts).toISOString(), c.open, c.high, c.low, c.close, c.volume].join(','));
  return `${['ts,time,open,high,low,close,volume', ...rows].join('\n')}\n`;
}
