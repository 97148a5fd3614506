// The session's market record for its reports, kept as it goes and bounded whatever the session's length
// (docs/reports.md): the closed candles of the last MAX_SESSION_CANDLES for candles.csv, and everything the
// figures and the charts need of the whole session. A candle that leaves that window is folded at once into the
// equity curve's statistics (peak, drawdowns, one close a day), the chart's bars and curve points (aggregated
// past MAX_CHART_POINTS) and, through the journal's broker events, the trade totals; the window itself is
// folded the same way at the end. So a year's replay reports its whole year, exactly as the batch computation
// over all of it would (tests/session-record.test.ts), and holds about the same as a month's. Pure.
import { CurveFold, type EquityPoint } from './equity-curve.js';
import { isBrokerEvent, type JournalEntry } from './events.js';
import { CurveStats, figuresFrom, NO_TRADES, tradeTotals, type ReportFigures, type TradeTotals } from './report-figures.js';
import { TradeBook, type TradeRow } from './trade-rows.js';
import { CandleRows } from './candle-pack.js';
import type { BrokerState, Candle, ContractKind } from './types.js';

/** Closed candles kept as themselves (candles.csv); older ones live on in the figures and the charts. */
export const MAX_SESSION_CANDLES = 100_000;
/** Most bars and curve points a chart gets: a month of 1-minute candles (43 200) is drawn whole. */
export const MAX_CHART_POINTS = 50_000;
/** Trade rows kept for report.html's table; older trades live on in the totals. */
export const MAX_TRADE_ROWS = 10_000;

export interface SessionRecordLimits {
  candles: number;
  chartPoints: number;
  tradeRows: number;
}

const LIMITS: SessionRecordLimits = { candles: MAX_SESSION_CANDLES, chartPoints: MAX_CHART_POINTS, tradeRows: MAX_TRADE_ROWS };

export interface SessionMarket {
  figures: ReportFigures;
  /**
   * The chart, as columns of numbers (no object a candle: barsOf and curveOf make them): the whole session's
   * candles, each one or consecutive ones aggregated into wider bars, and the equity curve at every candle close,
   * thinned past the chart's budget (first and last kept).
   */
  chart: { bars: BarColumns; curve: CurveColumns };
  /** Candles closed this session, all of them, however many the bars stand for. */
  candleCount: number;
  /** The newest closed candles (at most the window), oldest first, packed (CandleRows.rows). */
  candleRows: Float64Array;
  /** The newest trades, in entry order (older ones are in the figures only). */
  trades: readonly TradeRow[];
  /** Trades that are in the figures but no longer listed. */
  tradesNotListed: number;
  /** The fills and exits of the listed trades (the chart's markers), in journal order. */
  fillsAndExits: readonly JournalEntry[];
}

/** Bars as one array a field, oldest first. */
export interface BarColumns {
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}
/** Curve points as one array a field, oldest first. */
export interface CurveColumns {
  ts: number[];
  equity: number[];
}

/** The bars as candles. */
export function barsOf(b: BarColumns): Candle[] {
  return b.ts.map((ts, i) => ({ ts, open: b.open[i]!, high: b.high[i]!, low: b.low[i]!, close: b.close[i]!, volume: b.volume[i]! }));
}

/** The curve as points. */
export function curveOf(c: CurveColumns): EquityPoint[] {
  return c.ts.map((ts, i) => ({ ts, equity: c.equity[i]! }));
}

export class SessionRecord {
  private readonly window: CandleRows;
  private readonly curve: CurveFold;
  private readonly stats: CurveStats;
  private readonly points: ThinnedPoints;
  private readonly bars: ChartBars;
  private readonly book: TradeBook;
  private marks: JournalEntry[] = [];
  private dropped: TradeTotals = { ...NO_TRADES };
  private droppedRows = 0;
  private firstTs: number | null = null;
  /** Open time of the newest candle folded (the window's candles are newer). */
  private foldedTs = -Infinity;
  private candleCount = 0;
  private lastEventAt = 0;
  private ended = false;

  constructor(
    start: BrokerState,
    intervalMs: number,
    kind: ContractKind,
    private readonly limits: SessionRecordLimits = LIMITS,
  ) {
    this.window = new CandleRows(limits.candles);
    this.curve = new CurveFold(start, intervalMs, kind);
    this.stats = new CurveStats(start.equity);
    this.points = new ThinnedPoints(limits.chartPoints);
    this.bars = new ChartBars(limits.chartPoints);
    this.book = new TradeBook(limits.tradeRows, (rows) => {
      // A closed trade ends before the period does, so only its start needs clipping (to the period's start).
      this.dropped = tradeTotals(rows, this.firstTs, Infinity, this.dropped);
      this.droppedRows += rows.length;
    });
  }

  /** Every journaled entry of the run, in order (only broker events count). */
  entry(e: JournalEntry): void {
    if (!isBrokerEvent(e)) return;
    this.curve.event(e);
    this.book.add(e);
    if (e.at > this.lastEventAt) this.lastEventAt = e.at;
    if (e.event === 'Fill' || e.event === 'Exit') {
      // Each trade has an entry, an exit and perhaps a few remainder fills: room for the listed ones' markers.
      if (this.marks.length >= 4 * this.limits.tradeRows) this.marks = this.marks.slice(Math.ceil(this.limits.tradeRows / 2));
      this.marks.push(e);
    }
  }

  /** A candle closed live. */
  closed(c: Candle): void {
    this.note(c);
    this.makeRoom();
    this.window.push(c);
  }

  /** Backfilled candles: they join the window in time order. */
  backfilled(candles: readonly Candle[]): void {
    for (const c of candles) {
      this.note(c);
      this.makeRoom();
      this.window.push(c);
    }
    this.window.sort();
  }

  /** The newest closed candles packed, oldest first: end()'s candleRows, before the window is folded. */
  candleRows(): Float64Array {
    return this.window.rows();
  }

  /** The session's figures and what its charts and tables show; once, at the end (the window is folded). */
  end(lastMarketTs: number): SessionMarket {
    if (this.ended) throw new Error('session record: ended twice');
    this.ended = true;
    this.window.forEach((c) => {
      this.fold(c);
    });
    const last = this.curve.end();
    if (last !== null) this.addPoint(last);
    const to = Math.max(lastMarketTs, this.lastEventAt, this.points.last?.ts ?? 0);
    const from = this.firstTs ?? (to > 0 ? to : null);
    const periodTo = to > 0 ? to : null;
    const trades = this.book.rows;
    const figures = figuresFrom({ trades: tradeTotals(trades, from, periodTo, this.dropped), curve: this.stats, periodFrom: from, periodTo });
    const chart = { bars: this.bars.columns(), curve: this.points.columns() };
    return {
      figures,
      chart,
      candleCount: this.candleCount,
      candleRows: this.window.rows(),
      trades,
      tradesNotListed: this.droppedRows,
      fillsAndExits: this.marks,
    };
  }

  private note(c: Candle): void {
    this.candleCount++;
    if (this.firstTs === null || c.ts < this.firstTs) this.firstTs = c.ts;
  }

  /** A full window lets its oldest tenth go, folded. */
  private makeRoom(): void {
    if (this.window.length >= this.limits.candles) this.window.shift(Math.ceil(this.limits.candles / 10), (c) => this.fold(c));
  }

  /** The oldest candle not folded yet into the curve, its statistics and the chart's bars (`c` is lent: copied if kept). */
  private fold(c: Candle): void {
    const p = this.curve.close(c);
    if (p !== null) this.addPoint(p);
    // A backfilled candle older than what is folded already has no place left in the bars.
    if (c.ts > this.foldedTs) {
      this.bars.add(c);
      this.foldedTs = c.ts;
    }
  }

  private addPoint(p: EquityPoint): void {
    this.stats.add(p);
    this.points.add(p);
  }
}

/**
 * Consecutive candles aggregated k to a bar (first open, highest high, lowest low, last close, summed volume), k
 * doubling each time the bars would pass the budget: a session of any length fits the chart whole. Kept as
 * columns of numbers (no object a bar).
 */
class ChartBars {
  private readonly bars: BarColumns = { ts: [], open: [], high: [], low: [], close: [], volume: [] };
  private per = 1;
  /** The bar being formed from its first `inForming` candles. */
  private readonly forming: Candle = { ts: 0, open: 0, high: 0, low: 0, close: 0, volume: 0 };
  private inForming = 0;

  constructor(private readonly budget: number) {}

  add(c: Candle): void {
    const f = this.forming;
    if (this.inForming === 0) Object.assign(f, c);
    else merge(f, c);
    if (++this.inForming < this.per) return;
    const b = this.bars;
    pushBar(b, f);
    this.inForming = 0;
    if (b.ts.length <= this.budget) return;
    // each pair into its first: highest high, lowest low, the second's close, the volumes summed (as merge does)
    let n = 0;
    for (let i = 0; i < b.ts.length; i += 2, n++) {
      b.ts[n] = b.ts[i]!;
      b.open[n] = b.open[i]!;
      b.high[n] = b.high[i]!;
      b.low[n] = b.low[i]!;
      b.close[n] = b.close[i]!;
      b.volume[n] = b.volume[i]!;
      if (i + 1 < b.ts.length) {
        if (b.high[i + 1]! > b.high[n]!) b.high[n] = b.high[i + 1]!;
        if (b.low[i + 1]! < b.low[n]!) b.low[n] = b.low[i + 1]!;
        b.close[n] = b.close[i + 1]!;
        b.volume[n] = b.volume[n]! + b.volume[i + 1]!;
      }
    }
    for (const col of [b.ts, b.open, b.high, b.low, b.close, b.volume]) col.length = n;
    this.per *= 2;
  }

  /** The bars, the one being formed last. */
  columns(): BarColumns {
    const b = this.bars;
    const out: BarColumns = { ts: [...b.ts], open: [...b.open], high: [...b.high], low: [...b.low], close: [...b.close], volume: [...b.volume] };
    if (this.inForming > 0) pushBar(out, this.forming);
    return out;
  }
}

function pushBar(b: BarColumns, c: Candle): void {
  b.ts.push(c.ts);
  b.open.push(c.open);
  b.high.push(c.high);
  b.low.push(c.low);
  b.close.push(c.close);
  b.volume.push(c.volume);
}

function merge(into: Candle, c: Candle): void {
  if (c.high > into.high) into.high = c.high;
  if (c.low < into.low) into.low = c.low;
  into.close = c.close;
  into.volume += c.volume;
}

/** Every point, until the budget: then every other one kept, and so on; the last point always. Kept as columns. */
class ThinnedPoints {
  private readonly kept: CurveColumns = { ts: [], equity: [] };
  private step = 1;
  private seen = 0;
  /** Whether the last point added is the last one kept. */
  private lastKept = false;
  last: EquityPoint | null = null;

  constructor(private readonly budget: number) {}

  add(p: EquityPoint): void {
    const k = this.kept;
    this.lastKept = this.seen++ % this.step === 0;
    if (this.lastKept) {
      k.ts.push(p.ts);
      k.equity.push(p.equity);
      if (k.ts.length > this.budget) {
        const even = (_: number, i: number): boolean => i % 2 === 0;
        this.lastKept = (k.ts.length - 1) % 2 === 0; // p stays if its index is even
        k.ts = k.ts.filter(even);
        k.equity = k.equity.filter(even);
        this.step *= 2;
      }
    }
    this.last = p;
  }

  columns(): CurveColumns {
    const out: CurveColumns = { ts: [...this.kept.ts], equity: [...this.kept.equity] };
    if (this.last !== null && !this.lastKept) {
      out.ts.push(this.last.ts);
      out.equity.push(this.last.equity);
    }
    return out;
  }
}
