// End-of-session facts: final_report.json (docs/reports.md), the printed summary and metrics.csv. The period and
// the trading figures are on the market's clock (from the journal and the candles); only `durationSec`
// and `generatedAt` are wall-clock.
import type { EquityPoint } from '../shared/equity-curve.js';
import type { JournalEntry } from '../shared/events.js';
import type { ReportFigures } from '../shared/report-figures.js';
import { curveOf, SessionRecord } from '../shared/session-record.js';
import type { BrokerState, Candle, ContractKind } from '../shared/types.js';

/** The trading figures as reported (rounded); the period is given as ISO strings instead. */
type ReportedFigures = Omit<ReportFigures, 'periodFrom' | 'periodTo'>;

export interface FinalReport extends ReportedFigures {
  status: 'success' | 'error';
  exitCode: number;
  reason: string;
  symbol: string;
  /** Net PnL of this session in the quote coin (equity change, fees and funding included). */
  pnl: number;
  /** The same as `pnl`, named for the split: netPnl = grossPnl − fees + funding. */
  netPnl: number;
  /** Market time covered (ISO, UTC): the first closed candle's open to the last market data. */
  period: { from: string | null; to: string | null };
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
  /** The trading state at the end (a kill switch leaves HALTED for the next start). */
  tradingState: { state: string; reason: string | null } | null;
  /** Wall clock when the report was written (ISO). */
  generatedAt: string;
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
const roundOrNull = (x: number | null, dp: number): number | null => (x === null ? null : round(x, dp));
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The run on the market's clock from its journal and candles at once (tests and tools; a session keeps its
 * SessionRecord as it goes): its mark-to-market curve at every candle close and its figures.
 */
export function marketRecord(a: {
  start: BrokerState;
  entries: readonly JournalEntry[];
  candles: readonly Candle[];
  intervalMs: number;
  kind: ContractKind;
  /** Latest market time seen (0 if none). */
  lastMarketTs: number;
}): { curve: EquityPoint[]; figures: ReportFigures } {
  const record = new SessionRecord(a.start, a.intervalMs, a.kind);
  for (const e of a.entries) record.entry(e);
  record.backfilled(a.candles);
  const { chart, figures } = record.end(a.lastMarketTs);
  return { curve: curveOf(chart.curve), figures };
}

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
  figures: ReportFigures;
  /** Wall-clock ms. */
  generatedAt: number;
  tradingState?: { state: string; reason: string | null };
}): FinalReport {
  const f = a.figures;
  const trades = a.end.stats.trades - a.start.stats.trades;
  const wins = a.end.stats.wins - a.start.stats.wins;
  return {
    status: a.exitCode === 0 && a.errors === 0 ? 'success' : 'error',
    exitCode: a.exitCode,
    reason: a.reason,
    symbol: a.symbol,
    pnl: round(a.end.equity - a.start.equity, 4),
    netPnl: round(a.end.equity - a.start.equity, 4),
    grossPnl: round(f.grossPnl, 4),
    period: { from: iso(f.periodFrom), to: iso(f.periodTo) },
    trades,
    winRate: trades > 0 ? round(wins / trades, 4) : 0,
    fees: round(a.end.stats.fees - a.start.stats.fees, 4),
    funding: round(a.end.stats.funding - a.start.stats.funding, 4),
    maxDrawdown: round(f.maxDrawdown, 4),
    maxDrawdownPct: round(f.maxDrawdownPct, 4),
    profitFactor: roundOrNull(f.profitFactor, 4),
    expectancy: roundOrNull(f.expectancy, 4),
    sharpeDaily: roundOrNull(f.sharpeDaily, 4),
    sortinoDaily: roundOrNull(f.sortinoDaily, 4),
    exposurePct: round(f.exposurePct, 2),
    avgHoldingSec: roundOrNull(f.avgHoldingSec, 1),
    errors: a.errors,
    durationSec: round(a.durationSec, 1),
    startingEquity: round(a.start.equity, 4),
    equity: round(a.end.equity, 4),
    position: a.end.position,
    ticks: a.ticks,
    badFrames: a.badFrames,
    reconnects: a.reconnects,
    lastError: a.lastError,
    tradingState: a.tradingState ?? null,
    generatedAt: new Date(a.generatedAt).toISOString(),
  };
}

const orDash = (x: number | null, suffix = ''): string => (x === null ? '—' : `${x}${suffix}`);

/** Seconds as `1 h 02 min 03 s`, `4 min 05 s` or `7 s`. */
export function fmtDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${String(r).padStart(2, '0')} s` : m > 0 ? `${m} min ${String(r).padStart(2, '0')} s` : `${r} s`;
}

/** `2024-12-01 02:20` → `2024-12-03 00:59 UTC`, the market time covered. */
export function periodText(p: FinalReport['period']): string {
  const t = (s: string | null): string => (s === null ? '—' : s.replace('T', ' ').slice(0, 19));
  return p.from === null ? 'no market data' : `${t(p.from)} → ${t(p.to)} UTC`;
}

export function summaryText(r: FinalReport): string {
  const pos = r.position ? `${r.position.side} ${r.position.qty} @ ${r.position.entry} (kept for the next start)` : 'flat';
  return [
    `── laptop-agents session summary (${r.symbol}) ──`,
    `  status     ${r.status} (exit ${r.exitCode}, reason: ${r.reason})`,
    `  duration   ${r.durationSec} s, ${r.ticks} ticks, ${r.badFrames} bad frames, ${r.reconnects} reconnects`,
    `  period     ${periodText(r.period)} (market time)`,
    `  equity     ${r.startingEquity} → ${r.equity} (net PnL ${r.pnl >= 0 ? '+' : ''}${r.pnl} = gross ${r.grossPnl} − fees ${r.fees} + funding ${r.funding})`,
    `  trades     ${r.trades}, win rate ${(r.winRate * 100).toFixed(1)} %, profit factor ${orDash(r.profitFactor)}, expectancy ${orDash(r.expectancy)}`,
    `  risk       max drawdown ${r.maxDrawdown} (${r.maxDrawdownPct} %), Sharpe ${orDash(r.sharpeDaily)} / Sortino ${orDash(r.sortinoDaily)} per day`,
    `  exposure   ${r.exposurePct} % of the period in a position, average holding ${r.avgHoldingSec === null ? '—' : fmtDuration(r.avgHoldingSec)}`,
    `  position   ${pos}${r.tradingState ? `, trading ${r.tradingState.state}${r.tradingState.reason ? ` (${r.tradingState.reason})` : ''}` : ''}`,
    `  errors     ${r.errors}${r.lastError ? ` (last: ${r.lastError})` : ''}`,
  ].join('\n');
}

export function metricsCsv(samples: Iterable<MetricsSample>): string {
  const lines = ['ts,price,equity,unrealized,position,ticks,queueDepth,loopLagP99Ms,rssMb,errors'];
  for (const s of samples) {
    lines.push(
      [
        s.ts,
        s.price ?? '',
        round(s.equity, 4),
        round(s.unrealized, 4),
        s.position,
        s.ticks,
        s.queueDepth,
        round(s.loopLagP99Ms, 3),
        round(s.rssMb, 1),
        s.errors,
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}
