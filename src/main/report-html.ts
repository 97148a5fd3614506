// report.html: the end-of-session page a trader opens after a run (SPEC §6). One self-contained file that
// works offline: TradingView's lightweight-charts is inlined, the data is embedded as JSON, and a CSP
// forbids any network access. Candles carry the entry (Fill) and exit (Exit) markers; below them the
// equity curve, the trade table (Fill/Exit paired by order id) and the session facts.
// Rendering is pure; `loadChartLib` reads the library once at shutdown, never on the tick path.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { JournalEntry } from '../shared/events.js';
import type { Candle, ExitReason, Side } from '../shared/types.js';
import type { FinalReport } from './reports.js';

// ── escaping (shared with the live status page) ─────────────────────────────

/** For HTML text and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element: no `<`, `>`, `&` or line separators survive literally. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * A script's source made safe to inline: `</script` and `<!--` cannot appear in JS outside strings,
 * regexes and comments, and in those `<\/` and `<\!` mean the same characters.
 */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** No network at all: inline scripts and styles only, images from data: URLs (the chart attribution). */
export const OFFLINE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const CHART_LIB_FILE = 'dist/lightweight-charts.standalone.production.js';

/** The lightweight-charts standalone build (defines `window.LightweightCharts`). */
export async function loadChartLib(): Promise<string> {
  // The package's `exports` hide dist/, so locate it through its package.json.
  const pkg = createRequire(import.meta.url).resolve('lightweight-charts/package.json');
  return readFile(path.join(path.dirname(pkg), CHART_LIB_FILE), 'utf8');
}

// ── trades from the journal ──────────────────────────────────────────────────

export interface TradeRow {
  orderId: string;
  /** null when the position was opened before this run (its entry is not in this run's journal). */
  side: Side | null;
  entryAt: number | null;
  /** Average over the entry fills (a working-order remainder adds to its parent). */
  entryPrice: number | null;
  qty: number;
  /** null while the position is still open at the end of the session. */
  exitAt: number | null;
  exitReason: ExitReason | null;
  exitPrice: number | null;
  /** Gross PnL of the exit (0 while open). */
  gross: number;
  /** Entry and exit fees of this run. */
  fees: number;
  /** Funding received (+) or paid (−) while the position was open. */
  funding: number;
  /** gross − fees + funding: the trade's contribution to realized equity. */
  net: number;
}

/**
 * Round trips from the run's journal, in entry order. Fills are keyed by order id; a working-order
 * remainder (`WorkingOrderPlaced.parentId`) adds to its parent; the Exit carries the position's order id.
 */
export function tradesFromJournal(entries: readonly JournalEntry[]): TradeRow[] {
  const rows: TradeRow[] = [];
  const byId = new Map<string, TradeRow>();
  const parentOf = new Map<string, string>();
  let open: TradeRow | null = null;
  let unattributedFunding = 0; // funding on a position carried over from a previous run, before its Exit
  const settle = (r: TradeRow): void => {
    r.net = r.gross - r.fees + r.funding;
  };
  for (const e of entries) {
    switch (e.event) {
      case 'WorkingOrderPlaced':
        parentOf.set(e.order.id, e.order.parentId);
        break;
      case 'Fill': {
        const id = parentOf.get(e.orderId) ?? e.orderId;
        const existing = byId.get(id);
        if (existing && existing.exitAt === null && existing.side === e.side) {
          const qty = existing.qty + e.qty;
          existing.entryPrice = ((existing.entryPrice ?? e.price) * existing.qty + e.price * e.qty) / qty;
          existing.qty = qty;
          existing.fees += e.fee;
          settle(existing);
          break;
        }
        const row: TradeRow = {
          orderId: id,
          side: e.side,
          entryAt: e.at,
          entryPrice: e.price,
          qty: e.qty,
          exitAt: null,
          exitReason: null,
          exitPrice: null,
          gross: 0,
          fees: e.fee,
          funding: 0,
          net: 0,
        };
        settle(row);
        rows.push(row);
        byId.set(id, row);
        open = row;
        break;
      }
      case 'FundingApplied':
        if (open) {
          open.funding += e.amount;
          settle(open);
        } else unattributedFunding += e.amount;
        break;
      case 'Exit': {
        let row = byId.get(e.orderId);
        if (!row || row.exitAt !== null) {
          row = {
            orderId: e.orderId,
            side: null,
            entryAt: null,
            entryPrice: null,
            qty: e.qty,
            exitAt: null,
            exitReason: null,
            exitPrice: null,
            gross: 0,
            fees: 0,
            funding: unattributedFunding,
            net: 0,
          };
          unattributedFunding = 0;
          rows.push(row);
          byId.set(e.orderId, row);
        }
        row.exitAt = e.at;
        row.exitReason = e.reason;
        row.exitPrice = e.price;
        row.gross = e.pnl;
        row.fees += e.fee;
        settle(row);
        if (open === row) open = null;
        break;
      }
      default:
        break;
    }
  }
  return rows;
}

// ── chart data ───────────────────────────────────────────────────────────────

interface ChartCandle {
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}
interface ChartPoint {
  time: number;
  value: number;
}
interface ChartMarker {
  time: number;
  position: 'aboveBar' | 'belowBar' | 'inBar';
  shape: 'arrowUp' | 'arrowDown' | 'circle';
  color: string;
  text: string;
}

const COLORS = { up: '#26a69a', down: '#ef5350', long: '#2962ff', short: '#ff6d00', win: '#089981', loss: '#f23645', equity: '#2962ff' };

const toSec = (ms: number): number => Math.floor(ms / 1000);

/** Ascending, one value per time (the last wins): the chart refuses anything else. */
function ascendingUnique<T extends { time: number }>(items: T[]): T[] {
  const sorted = [...items].sort((a, b) => a.time - b.time);
  const out: T[] = [];
  for (const it of sorted) {
    if (out.length > 0 && out[out.length - 1]!.time === it.time) out[out.length - 1] = it;
    else out.push(it);
  }
  return out;
}

function chartCandles(candles: readonly Candle[]): ChartCandle[] {
  return ascendingUnique(
    candles
      .filter((c) => [c.ts, c.open, c.high, c.low, c.close].every(Number.isFinite))
      .map((c) => ({ time: toSec(c.ts), open: c.open, high: c.high, low: c.low, close: c.close })),
  );
}

/** A day at 1 Hz is 86 400 samples: thinned so the curve fits the chart width and the file stays small. */
export const MAX_EQUITY_POINTS = 3000;

function chartEquity(equity: readonly { ts: number; equity: number }[]): ChartPoint[] {
  const points = ascendingUnique(
    equity
      .filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.equity))
      .sort((a, b) => a.ts - b.ts) // within one second the latest sample wins
      .map((p) => ({ time: toSec(p.ts), value: p.equity })),
  );
  if (points.length <= MAX_EQUITY_POINTS) return points;
  const step = Math.ceil(points.length / MAX_EQUITY_POINTS);
  return points.filter((_, i) => i % step === 0 || i === points.length - 1);
}

/** The open time of the candle holding `ms` (the first or last candle when outside the chart). */
function snapToCandle(times: readonly number[], ms: number): number {
  const t = toSec(ms);
  if (times.length === 0) return t;
  let lo = 0;
  let hi = times.length - 1;
  if (t <= times[0]!) return times[0]!;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (times[mid]! <= t) lo = mid;
    else hi = mid - 1;
  }
  return times[lo]!;
}

function tradeMarkers(entries: readonly JournalEntry[], rows: readonly TradeRow[], candleTimes: readonly number[]): ChartMarker[] {
  const sideOf = new Map(rows.map((r) => [r.orderId, r] as const));
  const markers: ChartMarker[] = [];
  for (const e of entries) {
    if (e.event === 'Fill') {
      const long = e.side === 'LONG';
      markers.push({
        time: snapToCandle(candleTimes, e.at),
        position: long ? 'belowBar' : 'aboveBar',
        shape: long ? 'arrowUp' : 'arrowDown',
        color: long ? COLORS.long : COLORS.short,
        text: `${long ? 'BUY' : 'SELL'} ${fmtShort(e.qty)} @ ${fmtShort(e.price)}`,
      });
    } else if (e.event === 'Exit') {
      const row = sideOf.get(e.orderId);
      const side = row?.side ?? null;
      markers.push({
        time: snapToCandle(candleTimes, e.at),
        position: side === 'LONG' ? 'aboveBar' : side === 'SHORT' ? 'belowBar' : 'inBar',
        shape: side === 'LONG' ? 'arrowDown' : side === 'SHORT' ? 'arrowUp' : 'circle',
        color: (row?.net ?? e.pnl) >= 0 ? COLORS.win : COLORS.loss,
        text: `${e.reason} @ ${fmtShort(e.price)}`,
      });
    }
  }
  return [...markers].sort((a, b) => a.time - b.time);
}

// ── formatting ───────────────────────────────────────────────────────────────

/** Prices and quantities without float noise (10 significant digits). */
export function fmtNum(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(10))) : String(x);
}
/** Marker labels stay short on the chart (6 significant digits); the table has the full numbers. */
function fmtShort(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}
/** Quote-coin amounts, 4 decimals like final_report.json. */
export function fmtMoney(x: number): string {
  const s = (Math.round(x * 1e4) / 1e4).toFixed(4);
  return s === '-0.0000' ? '0.0000' : s;
}
/** Epoch ms as `YYYY-MM-DD HH:MM:SS` UTC. */
export function fmtTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
function fmtDuration(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min ${String(r).padStart(2, '0')} s` : m > 0 ? `${m} min ${String(r).padStart(2, '0')} s` : `${r} s`;
}
const signed = (x: number): string => `${x > 0 ? '+' : ''}${fmtMoney(x)}`;
const pnlClass = (x: number): string => (x > 0 ? 'win' : x < 0 ? 'loss' : '');

// ── the page ─────────────────────────────────────────────────────────────────

function factsHtml(r: FinalReport, entries: readonly JournalEntry[]): string {
  const pos = r.position ? `${r.position.side} ${fmtNum(r.position.qty)} @ ${fmtNum(r.position.entry)} (kept for the next start)` : 'flat';
  const first = entries[0];
  const last = entries[entries.length - 1];
  const facts: [string, string, string?][] = [
    ['Status', `${r.status} (exit ${r.exitCode})`, r.status === 'success' ? 'win' : 'loss'],
    ['Stop reason', r.reason],
    ['Duration', `${fmtDuration(r.durationSec)} (${r.durationSec} s)`],
    ...(first && last ? ([['Period (UTC)', `${fmtTime(first.ts)} → ${fmtTime(last.ts)}`]] as [string, string][]) : []),
    ['PnL', signed(r.pnl), pnlClass(r.pnl)],
    ['Equity', `${fmtMoney(r.startingEquity)} → ${fmtMoney(r.equity)}`],
    ['Trades', String(r.trades)],
    ['Win rate', `${(r.winRate * 100).toFixed(1)} %`],
    ['Fees', fmtMoney(r.fees)],
    ['Funding', signed(r.funding)],
    ['Position at end', pos],
    ['Ticks', String(r.ticks)],
    ['Bad frames', String(r.badFrames)],
    ['Reconnects', String(r.reconnects)],
    ['Errors', String(r.errors), r.errors > 0 ? 'loss' : ''],
    ...(r.lastError ? ([['Last error', r.lastError, 'loss']] as [string, string, string][]) : []),
  ];
  return facts
    .map(([k, v, cls]) => `<div><dt>${escapeHtml(k)}</dt><dd${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</dd></div>`)
    .join('\n');
}

function tradeTableHtml(rows: readonly TradeRow[]): string {
  if (rows.length === 0) return '<p class="muted">No trades this session.</p>';
  const head = ['Entry time', 'Side', 'Entry price', 'Qty', 'Exit time', 'Reason', 'Exit price', 'Gross PnL', 'Fees', 'Funding', 'Net PnL'];
  const dash = '—';
  const body = rows.map((t) => {
    const cells: [string, string?][] = [
      [t.entryAt === null ? 'before this run' : fmtTime(t.entryAt)],
      [t.side ?? dash],
      [t.entryPrice === null ? dash : fmtNum(t.entryPrice), 'num'],
      [fmtNum(t.qty), 'num'],
      [t.exitAt === null ? 'open' : fmtTime(t.exitAt)],
      [t.exitReason ?? dash],
      [t.exitPrice === null ? dash : fmtNum(t.exitPrice), 'num'],
      [fmtMoney(t.gross), 'num'],
      [fmtMoney(t.fees), 'num'],
      [signed(t.funding), 'num'],
      [signed(t.net), `num ${pnlClass(t.net)}`.trim()],
    ];
    const tds = cells.map(([v, cls]) => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</td>`).join('');
    return `<tr data-order-id="${escapeHtml(t.orderId)}">${tds}</tr>`;
  });
  const total = rows.reduce((s, t) => s + t.net, 0);
  return [
    '<table id="trades">',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`,
    `<tbody>\n${body.join('\n')}\n</tbody>`,
    `<tfoot><tr><td colspan="10">Total net PnL of these trades</td><td class="num ${pnlClass(total)}">${escapeHtml(signed(total))}</td></tr></tfoot>`,
    '</table>',
  ].join('\n');
}

const STYLE = `
:root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2330; background: #f5f6f8; }
body { margin: 0 auto; max-width: 1200px; padding: 16px 20px 40px; }
h1 { font-size: 20px; margin: 8px 0 4px; } h2 { font-size: 15px; margin: 24px 0 8px; color: #4a5160; }
section { background: #fff; border: 1px solid #e1e4ea; border-radius: 6px; padding: 12px 16px; margin-top: 12px; }
dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 6px 24px; margin: 0; }
dt { font-size: 12px; color: #6b7280; } dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.chart { height: 420px; } .chart.small { height: 240px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { padding: 4px 8px; border-bottom: 1px solid #eceef2; text-align: left; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } tfoot td { font-weight: 600; }
.win { color: #089981; } .loss { color: #f23645; } .muted { color: #6b7280; }
`;

const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var LC = window.LightweightCharts;
  if (!LC) { document.getElementById('no-charts').hidden = false; return; }
  function chart(el, seconds) {
    return LC.createChart(el, {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#333333' },
      grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
      timeScale: { timeVisible: true, secondsVisible: seconds, minBarSpacing: 0.05 },
    });
  }
  if (data.candles.length > 0) {
    var c = chart(document.getElementById('candles'), false);
    var candles = c.addSeries(LC.CandlestickSeries, {
      upColor: data.colors.up, downColor: data.colors.down, borderVisible: false,
      wickUpColor: data.colors.up, wickDownColor: data.colors.down,
    });
    candles.setData(data.candles);
    LC.createSeriesMarkers(candles, data.markers);
    c.timeScale().fitContent();
  } else document.getElementById('candles').textContent = 'No candles were recorded.';
  if (data.equity.length > 0) {
    var e = chart(document.getElementById('equity'), true);
    var line = e.addSeries(LC.LineSeries, { color: data.colors.equity, lineWidth: 2 });
    line.setData(data.equity);
    e.timeScale().fitContent();
  } else document.getElementById('equity').textContent = 'No equity samples were recorded.';
})();
`;

export interface ReportInput {
  symbol: string;
  candles: Candle[];
  /** The run's journal (`Journal.entries`). */
  entries: JournalEntry[];
  /** Mark-to-market equity samples (1 Hz). */
  equity: { ts: number; equity: number }[];
  report: FinalReport;
  /** JS source of lightweight-charts' standalone build (`loadChartLib()`). */
  chartLib: string;
}

export function renderReport(input: ReportInput): string {
  const trades = tradesFromJournal(input.entries);
  const candles = chartCandles(input.candles);
  const data = {
    symbol: input.symbol,
    candles,
    markers: tradeMarkers(input.entries, trades, candles.map((c) => c.time)),
    equity: chartEquity(input.equity),
    colors: COLORS,
  };
  const symbol = escapeHtml(input.symbol);
  const r = input.report;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(OFFLINE_CSP)}">
<title>${symbol} session report · laptop-agents</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${symbol} paper-trading session</h1>
<p class="${r.status === 'success' ? 'win' : 'loss'}">${escapeHtml(`${r.status}: ${r.reason}, PnL ${signed(r.pnl)}, ${r.trades} trades`)}</p>
<p id="no-charts" class="loss" hidden>The charting library is missing from this file; tables only.</p>
<section><h2>Session</h2><dl id="facts">
${factsHtml(r, input.entries)}
</dl></section>
<section><h2>Price (${candles.length} candles, UTC) with entries and exits</h2><div id="candles" class="chart"></div></section>
<section><h2>Equity (mark to market)</h2><div id="equity" class="chart small"></div></section>
<section><h2>Trades</h2>
${tradeTableHtml(trades)}
</section>
<script id="report-data" type="application/json">${scriptJson(data)}</script>
<script>${inlineScript(input.chartLib)}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
