// The figures traders compare runs by (docs/reports.md has the definitions): PnL split into gross, fees
// and funding; trades and win rate; max drawdown of the mark-to-market curve, absolute and in percent of
// its peak; profit factor; expectancy; Sharpe and Sortino of daily returns (per day, not annualised);
// exposure (share of the period with a position open); average holding time. Pure.
import type { EquityPoint } from './equity-curve.js';
import type { TradeRow } from './trade-rows.js';

export interface ReportFigures {
  /** Market time the report covers (epoch ms); null when no market data arrived. */
  periodFrom: number | null;
  periodTo: number | null;
  grossPnl: number;
  /** Largest fall from a running peak of the equity curve, in the quote coin. */
  maxDrawdown: number;
  /** Largest fall from a running peak in percent of that peak. */
  maxDrawdownPct: number;
  /** Sum of winning trades' net over the losing trades' |net|; null without a losing trade. */
  profitFactor: number | null;
  /** Mean net PnL per closed trade; null without one. */
  expectancy: number | null;
  /** Mean over sample standard deviation of the daily returns; null with fewer than two days. */
  sharpeDaily: number | null;
  /** Mean daily return over the downside deviation (returns below 0); null with fewer than two days or no losing day. */
  sortinoDaily: number | null;
  /** Percent of the period with a position open. */
  exposurePct: number;
  /** Mean entry-to-exit time of the closed trades whose entry is in this run, in seconds; null without one. */
  avgHoldingSec: number | null;
}

const DAY_MS = 86_400_000;

export function computeFigures(a: {
  trades: readonly TradeRow[];
  curve: readonly EquityPoint[];
  startingEquity: number;
  periodFrom: number | null;
  periodTo: number | null;
}): ReportFigures {
  const closed = a.trades.filter((t) => t.exitAt !== null);
  const grossPnl = closed.reduce((s, t) => s + t.gross, 0);
  const wins = closed.filter((t) => t.net > 0).reduce((s, t) => s + t.net, 0);
  const losses = -closed.filter((t) => t.net < 0).reduce((s, t) => s + t.net, 0);

  let peak = a.startingEquity;
  let maxDrawdown = 0;
  let maxDrawdownPct = 0;
  for (const p of a.curve) {
    if (p.equity > peak) peak = p.equity;
    maxDrawdown = Math.max(maxDrawdown, peak - p.equity);
    if (peak > 0) maxDrawdownPct = Math.max(maxDrawdownPct, ((peak - p.equity) / peak) * 100);
  }

  const returns = dailyReturns(a.curve, a.startingEquity);
  const mean = returns.length > 0 ? returns.reduce((s, r) => s + r, 0) / returns.length : 0;
  const sd = returns.length >= 2 ? Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1)) : 0;
  const downside = returns.length > 0 ? Math.sqrt(returns.reduce((s, r) => s + Math.min(r, 0) ** 2, 0) / returns.length) : 0;

  const from = a.periodFrom;
  const to = a.periodTo;
  let exposed = 0;
  if (from !== null && to !== null && to > from) {
    for (const t of a.trades) {
      const start = Math.max(from, t.entryAt ?? from);
      const end = Math.min(to, t.exitAt ?? to);
      if (end > start) exposed += end - start;
    }
  }
  const held = closed.filter((t) => t.entryAt !== null).map((t) => (t.exitAt! - t.entryAt!) / 1000);

  return {
    periodFrom: from,
    periodTo: to,
    grossPnl,
    maxDrawdown,
    maxDrawdownPct,
    profitFactor: losses > 0 ? wins / losses : null,
    expectancy: closed.length > 0 ? closed.reduce((s, t) => s + t.net, 0) / closed.length : null,
    sharpeDaily: returns.length >= 2 && sd > 0 ? mean / sd : null,
    sortinoDaily: returns.length >= 2 && downside > 0 ? mean / downside : null,
    exposurePct: from !== null && to !== null && to > from ? (exposed / (to - from)) * 100 : 0,
    avgHoldingSec: held.length > 0 ? held.reduce((s, x) => s + x, 0) / held.length : null,
  };
}

/** Each market (UTC) day's return: its last equity over the previous day's (the start for the first). */
export function dailyReturns(curve: readonly EquityPoint[], startingEquity: number): number[] {
  const closes: number[] = [];
  let day = Number.NaN;
  for (const p of curve) {
    const d = Math.floor((p.ts - 1) / DAY_MS); // a candle closing at 00:00 belongs to the day before
    if (d !== day) {
      closes.push(p.equity);
      day = d;
    } else closes[closes.length - 1] = p.equity;
  }
  const out: number[] = [];
  let prev = startingEquity;
  for (const c of closes) {
    if (prev > 0) out.push(c / prev - 1);
    prev = c;
  }
  return out;
}
