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
  const curve = new CurveStats(a.startingEquity);
  for (const p of a.curve) curve.add(p);
  return figuresFrom({ trades: tradeTotals(a.trades, a.periodFrom, a.periodTo), curve, periodFrom: a.periodFrom, periodTo: a.periodTo });
}

/** What the closed trades add up to: the trade figures need nothing else, so a long session keeps only this. */
export interface TradeTotals {
  closed: number;
  gross: number;
  /** Sums of the winning trades' net and of the losing trades' |net|. */
  won: number;
  lost: number;
  net: number;
  /** Entry-to-exit seconds of the closed trades whose entry is in this run, and their count. */
  heldSec: number;
  held: number;
  /** Market ms with a position open, within the period. */
  exposedMs: number;
}

export const NO_TRADES: Readonly<TradeTotals> = Object.freeze({ closed: 0, gross: 0, won: 0, lost: 0, net: 0, heldSec: 0, held: 0, exposedMs: 0 });

/** `into` plus these trades (open ones add their exposure up to `to`); the period clips the exposure. */
export function tradeTotals(trades: readonly TradeRow[], from: number | null, to: number | null, into: TradeTotals = { ...NO_TRADES }): TradeTotals {
  const t = { ...into };
  for (const r of trades) {
    if (from !== null && to !== null && to > from) {
      const start = Math.max(from, r.entryAt ?? from);
      const end = Math.min(to, r.exitAt ?? to);
      if (end > start) t.exposedMs += end - start;
    }
    if (r.exitAt === null) continue;
    t.closed++;
    t.gross += r.gross;
    t.net += r.net;
    if (r.net > 0) t.won += r.net;
    else if (r.net < 0) t.lost -= r.net;
    if (r.entryAt !== null) {
      t.heldSec += (r.exitAt - r.entryAt) / 1000;
      t.held++;
    }
  }
  return t;
}

/**
 * The curve's figures taken point by point, for a session of any length: the running peak and the largest falls
 * from it, and each market day's last equity (one number a day).
 */
export class CurveStats {
  peak: number;
  maxDrawdown = 0;
  maxDrawdownPct = 0;
  /** Each UTC market day's last equity, oldest first. */
  readonly dayCloses: number[] = [];
  private day = Number.NaN;

  constructor(readonly startingEquity: number) {
    this.peak = startingEquity;
  }

  add(p: EquityPoint): void {
    if (p.equity > this.peak) this.peak = p.equity;
    this.maxDrawdown = Math.max(this.maxDrawdown, this.peak - p.equity);
    if (this.peak > 0) this.maxDrawdownPct = Math.max(this.maxDrawdownPct, ((this.peak - p.equity) / this.peak) * 100);
    const d = Math.floor((p.ts - 1) / DAY_MS); // a candle closing at 00:00 belongs to the day before
    if (d !== this.day) {
      this.dayCloses.push(p.equity);
      this.day = d;
    } else this.dayCloses[this.dayCloses.length - 1] = p.equity;
  }

  /** Each day's return: its last equity over the previous day's (the start for the first). */
  dailyReturns(): number[] {
    const out: number[] = [];
    let prev = this.startingEquity;
    for (const c of this.dayCloses) {
      if (prev > 0) out.push(c / prev - 1);
      prev = c;
    }
    return out;
  }
}

/** The figures from the session's trade totals and curve statistics. */
export function figuresFrom(a: { trades: TradeTotals; curve: CurveStats; periodFrom: number | null; periodTo: number | null }): ReportFigures {
  const t = a.trades;
  const returns = a.curve.dailyReturns();
  const mean = returns.length > 0 ? returns.reduce((s, r) => s + r, 0) / returns.length : 0;
  const sd = returns.length >= 2 ? Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / (returns.length - 1)) : 0;
  const downside = returns.length > 0 ? Math.sqrt(returns.reduce((s, r) => s + Math.min(r, 0) ** 2, 0) / returns.length) : 0;
  const from = a.periodFrom;
  const to = a.periodTo;
  return {
    periodFrom: from,
    periodTo: to,
    grossPnl: t.gross,
    maxDrawdown: a.curve.maxDrawdown,
    maxDrawdownPct: a.curve.maxDrawdownPct,
    profitFactor: t.lost > 0 ? t.won / t.lost : null,
    expectancy: t.closed > 0 ? t.net / t.closed : null,
    sharpeDaily: returns.length >= 2 && sd > 0 ? mean / sd : null,
    sortinoDaily: returns.length >= 2 && downside > 0 ? mean / downside : null,
    exposurePct: from !== null && to !== null && to > from ? (t.exposedMs / (to - from)) * 100 : 0,
    avgHoldingSec: t.held > 0 ? t.heldSec / t.held : null,
  };
}

/** Each market (UTC) day's return: its last equity over the previous day's (the start for the first). */
export function dailyReturns(curve: readonly EquityPoint[], startingEquity: number): number[] {
  const stats = new CurveStats(startingEquity);
  for (const p of curve) stats.add(p);
  return stats.dailyReturns();
}
