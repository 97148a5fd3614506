// report.html: the end-of-session page a trader opens after a run (docs/reports.md). One self-contained file that
// works offline: TradingView's lightweight-charts is inlined, the data is embedded as JSON, and a CSP
// forbids any network access. Candles carry the entry (Fill) and exit (Exit) markers; below them the
// equity curve, the trade table (Fill/Exit paired by order id) and the session facts.
// Rendering is pure; `loadChartLib` reads the library once at shutdown, never on the tick path.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { JournalEntry } from '../shared/events.js';
import type { Candle } from '../shared/types.js';
import { MAX_CHART_POINTS, type BarColumns, type CurveColumns } from '../shared/session-record.js';
import { tradesFromJournal, type TradeRow } from '../shared/trade-rows.js';
import {
  candleColumnsJson,
  chartCandles,
  chartEquity,
  COLORS,
  labelMarkers,
  pointColumnsJson,
  seriesLength,
  READ_COLUMNS_SCRIPT,
  toSec,
  tradeMarkers,
  type CandleColumns,
} from './report-chart-data.js';
import { fmtDuration, periodText, type FinalReport } from './reports.js';

export { tradesFromJournal, type TradeRow };
/** Most bars and curve points a chart gets (the session record aggregates a long session's bars to this budget). */
export { MAX_CHART_POINTS };
export { MARKER_LABEL_LIMIT, MAX_EQUITY_POINTS } from './report-chart-data.js';

// ── escaping (shared with the live status page) ─────────────────────────────

/** For HTML text and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** JSON that is safe inside a <script> element: no `<`, `>`, `&` or line separators survive literally. */
export function scriptJson(value: unknown): string {
  return scriptSafe(JSON.stringify(value));
}

/** JSON text made script-safe (each replaced character stands alone, so pieces of one text can go one by one). */
function scriptSafe(json: string): string {
  return json
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

// ── formatting ───────────────────────────────────────────────────────────────

/** Prices and quantities without float noise (10 significant digits). */
export function fmtNum(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(10))) : String(x);
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
const signed = (x: number): string => `${x > 0 ? '+' : ''}${fmtMoney(x)}`;
const pnlClass = (x: number): string => (x > 0 ? 'win' : x < 0 ? 'loss' : '');

// ── the page ─────────────────────────────────────────────────────────────────

const orDash = (x: number | null, f: (x: number) => string = String): string => (x === null ? '—' : f(x));

function factsHtml(r: FinalReport): string {
  const pos = r.position ? `${r.position.side} ${fmtNum(r.position.qty)} @ ${fmtNum(r.position.entry)} (kept for the next start)` : 'flat';
  const ts = r.tradingState;
  const facts: [string, string, string?][] = [
    ['Status', `${r.status} (exit ${r.exitCode})`, r.status === 'success' ? 'win' : 'loss'],
    ['Stop reason', r.reason],
    ['Period (market time)', periodText(r.period)],
    ['Run time (wall clock)', `${fmtDuration(r.durationSec)} (${r.durationSec} s)`],
    ['PnL', signed(r.pnl), pnlClass(r.pnl)],
    ['Gross PnL', signed(r.grossPnl), pnlClass(r.grossPnl)],
    ['Equity', `${fmtMoney(r.startingEquity)} → ${fmtMoney(r.equity)}`],
    ['Trades', String(r.trades)],
    ['Win rate', `${(r.winRate * 100).toFixed(1)} %`],
    ['Fees', fmtMoney(r.fees)],
    ['Funding', signed(r.funding)],
    ['Max drawdown', `${fmtMoney(r.maxDrawdown)} (${r.maxDrawdownPct.toFixed(2)} %)`, r.maxDrawdown > 0 ? 'loss' : ''],
    ['Profit factor', orDash(r.profitFactor, (x) => x.toFixed(2))],
    ['Expectancy per trade', orDash(r.expectancy, signed)],
    ['Sharpe (daily)', orDash(r.sharpeDaily, (x) => x.toFixed(2))],
    ['Sortino (daily)', orDash(r.sortinoDaily, (x) => x.toFixed(2))],
    ['Exposure', `${r.exposurePct.toFixed(1)} % of the period`],
    ['Average holding time', orDash(r.avgHoldingSec, fmtDuration)],
    ['Position at end', pos],
    ...(ts
      ? [['Trading state at end', `${ts.state}${ts.reason ? ` (${ts.reason})` : ''}`, ts.state === 'ACTIVE' ? '' : 'loss'] as [string, string, string]]
      : []),
    ['Ticks', String(r.ticks)],
    ['Bad frames', String(r.badFrames)],
    ['Reconnects', String(r.reconnects)],
    ['Errors', String(r.errors), r.errors > 0 ? 'loss' : ''],
    ...(r.lastError ? ([['Last error', r.lastError, 'loss']] as [string, string, string][]) : []),
  ];
  return facts.map(([k, v, cls]) => `<div><dt>${escapeHtml(k)}</dt><dd${cls ? ` class="${cls}"` : ''}>${escapeHtml(v)}</dd></div>`).join('\n');
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
    const from = t.entryAt ?? t.exitAt;
    const zoom = from === null ? '' : ` data-from="${toSec(from)}" data-to="${toSec(t.exitAt ?? from)}"`;
    return `<tr data-order-id="${escapeHtml(t.orderId)}"${zoom}>${tds}</tr>`;
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
footer { margin-top: 16px; font-size: 12px; } #trades tbody tr[data-from] { cursor: pointer; } #trades tbody tr[data-from]:hover { background: #f0f4ff; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } tfoot td { font-weight: 600; }
.win { color: #089981; } .loss { color: #f23645; } .muted { color: #6b7280; }
`;

const PAGE_SCRIPT = `
(function () {
  // the long series come as columns (report-chart-data.ts): the chart takes one object a candle and a point
${READ_COLUMNS_SCRIPT}
  var data = JSON.parse(document.getElementById('report-data').textContent);
  data.candles = readCandles(data.candles);
  data.equity = readPoints(data.equity);
  var LC = window.LightweightCharts;
  if (!LC) { document.getElementById('no-charts').hidden = false; return; }
  window.reportCharts = {}; // for a reader's console (and the browser test): the chart objects
  function chart(el, seconds) {
    return LC.createChart(el, {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#333333' },
      grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
      // small enough that fitContent shows a month of 1-minute bars whole
      timeScale: { timeVisible: true, secondsVisible: seconds, minBarSpacing: 0.001 },
    });
  }
  var legend = document.getElementById('marker-legend');
  if (data.candles.length > 0) {
    var c = chart(document.getElementById('candles'), false);
    window.reportCharts.price = c;
    var candles = c.addSeries(LC.CandlestickSeries, {
      upColor: data.colors.up, downColor: data.colors.down, borderVisible: false,
      wickUpColor: data.colors.up, wickDownColor: data.colors.down,
    });
    candles.setData(data.candles);
    LC.createSeriesMarkers(candles, data.markers);
    c.timeScale().fitContent();
    // with many trades the markers carry no text: the legend names the ones under the cursor
    // a pixel can hold dozens of bars: name the markers within a few pixels of the cursor, nearest first
    var labelTimes = Object.keys(data.labels).map(Number).sort(function (a, b) { return a - b; });
    c.subscribeCrosshairMove(function (p) {
      if (!p || !p.point) { legend.textContent = data.legendHint; return; }
      var near = [];
      for (var i = 0; i < labelTimes.length; i++) {
        var x = c.timeScale().timeToCoordinate(labelTimes[i]);
        if (x !== null && Math.abs(x - p.point.x) <= 4) near.push({ d: Math.abs(x - p.point.x), t: labelTimes[i] });
      }
      near.sort(function (a, b) { return a.d - b.d; });
      var texts = [];
      near.forEach(function (n) { data.labels[n.t].forEach(function (l) { texts.push(l); }); });
      legend.textContent = texts.length === 0 ? data.legendHint
        : texts.slice(0, 6).join(' \u00b7 ') + (texts.length > 6 ? ' \u00b7 and ' + (texts.length - 6) + ' more (zoom in)' : '');
    });
    legend.textContent = data.legendHint;
    // a click on a trade zooms the chart to it
    Array.prototype.forEach.call(document.querySelectorAll('#trades tbody tr[data-from]'), function (tr) {
      tr.addEventListener('click', function () {
        var from = Number(tr.getAttribute('data-from')), to = Number(tr.getAttribute('data-to'));
        var pad = Math.max(1800, (to - from) / 2);
        c.timeScale().setVisibleRange({ from: from - pad, to: to + pad });
        document.getElementById('candles').scrollIntoView({ behavior: 'smooth' });
      });
    });
  } else document.getElementById('candles').textContent = 'No candles were recorded.';
  if (data.equity.length > 0) {
    var e = chart(document.getElementById('equity'), true);
    var line = e.addSeries(LC.LineSeries, { color: data.colors.equity, lineWidth: 2 });
    line.setData(data.equity);
    e.timeScale().fitContent();
    window.reportCharts.equity = e;
  } else document.getElementById('equity').textContent = 'No equity points were recorded.';
})();
`;

export interface ReportInput {
  symbol: string;
  /** The session's candles, or its bars when a long session was aggregated (SessionRecord, as columns). */
  candles: readonly Candle[] | BarColumns;
  /** Candles closed in the session (default: candles.length). */
  candleCount?: number;
  /** The trade table's rows (default: from the entries); `tradesNotListed` older ones are in the figures only. */
  trades?: readonly TradeRow[];
  tradesNotListed?: number;
  /** The run's journal entries: its fills and exits at least (SessionMarket.fillsAndExits), for the markers. */
  entries: readonly JournalEntry[];
  /** Mark-to-market equity on the market's clock (at every candle close). */
  equity: readonly { ts: number; equity: number }[] | CurveColumns;
  report: FinalReport;
  /** JS source of lightweight-charts' standalone build (`loadChartLib()`). */
  chartLib: string;
  /** Wall-clock ms for the "generated at" note (default: the report's generatedAt). */
  generatedAt?: number;
}

/** "candles", or "bars of N candles" when a long session was aggregated for the chart. */
function candleWord(bars: CandleColumns, raw: number): string {
  const n = bars.time.length;
  const per = n > 0 ? Math.round(raw / n) : 1;
  return per > 1 ? `bars of ~${per} candles (${raw} candles)` : 'candles';
}

/** The note under a trade table that lists only the newest trades of a long session. */
function notListed(n: number): string {
  return n > 0 ? `\n<p class="muted">${n} earlier trades are counted in the figures above but not listed.</p>` : '';
}

export function renderReport(input: ReportInput): string {
  return [...renderReportParts(input)].join('');
}

/**
 * The page in pieces, in order, each made when asked for (their concatenation is renderReport's page): a month's
 * page is megabytes, and the pieces can be encoded one by one instead of all being held as strings first.
 */
export function* renderReportParts(input: ReportInput): Generator<string> {
  const trades = input.trades ?? tradesFromJournal(input.entries);
  const candles = chartCandles(input.candles);
  const { markers, labels } = labelMarkers(tradeMarkers(input.entries, trades, candles.time));
  const legendHint =
    markers.length > 0 ? `${markers.length} entries and exits: point at a marker to read it; click a trade in the table to zoom to it` : 'no trades';
  const equity = chartEquity(input.equity);
  const symbol = escapeHtml(input.symbol);
  const r = input.report;
  const head = `<!doctype html>
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
${factsHtml(r)}
</dl></section>
<section><h2>Price (${candles.time.length} ${candleWord(candles, input.candleCount ?? seriesLength(input.candles))}, market time UTC) with entries and exits</h2><div id="candles" class="chart"></div><p id="marker-legend" class="muted"></p></section>
<section><h2>Equity (mark to market at every candle close, market time UTC)</h2><div id="equity" class="chart small"></div></section>
<section><h2>Trades</h2>
${tradeTableHtml(trades)}${notListed(input.tradesNotListed ?? 0)}
</section>
<script id="report-data" type="application/json">`;
  const tail = `</script>
<script>${PAGE_SCRIPT}</script>
<footer class="muted">Generated at ${escapeHtml(fmtTime(input.generatedAt ?? Date.parse(r.generatedAt)))} UTC (wall clock); every other time on this page is market time.</footer>
</body>
</html>
`;
  yield head;
  // { symbol, candles, markers, labels, legendHint, equity, colors }, the two long series as columns (digits and
  // base64: nothing to make script-safe)
  yield scriptSafe(`{"symbol":${JSON.stringify(input.symbol)},"candles":`);
  yield candleColumnsJson(candles);
  yield scriptSafe(`,"markers":${JSON.stringify(markers)},"labels":${JSON.stringify(labels)},"legendHint":${JSON.stringify(legendHint)},"equity":`);
  yield pointColumnsJson(equity);
  yield scriptSafe(`,"colors":${JSON.stringify(COLORS)}}`);
  yield '</script>\n<script>';
  yield inlineScript(input.chartLib);
  yield tail;
}
