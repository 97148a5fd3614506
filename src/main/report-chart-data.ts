// report.html's chart data (docs/reports.md): the candles, the equity curve and the trade markers as the charts
// draw them, and the embedded data block that carries them. A month is 43 200 candles and as many curve points,
// so the two long series travel as columns (one array of numbers per field, times as a first time and runs of
// equal steps) written as bytes, and the page's script makes the chart's objects of them. Pure.
import { NUMBER_BYTES_MAX, putNumber } from '../shared/decimal-bytes.js';
import type { JournalEntry } from '../shared/events.js';
import { MAX_CHART_POINTS } from '../shared/session-record.js';
import type { TradeRow } from '../shared/trade-rows.js';
import type { Candle } from '../shared/types.js';
import type { BytePiece } from '../shared/utf8-pieces.js';

/** The chart's candles, one array a field, ascending by time (chart seconds), one candle a time. */
export interface CandleColumns {
  time: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
}
/** The equity chart's points, one array a field. */
export interface PointColumns {
  time: number[];
  value: number[];
}
export interface ChartMarker {
  time: number;
  position: 'aboveBar' | 'belowBar' | 'inBar';
  shape: 'arrowUp' | 'arrowDown' | 'circle';
  color: string;
  text: string;
}

export const COLORS = { up: '#26a69a', down: '#ef5350', long: '#2962ff', short: '#ff6d00', win: '#089981', loss: '#f23645', equity: '#2962ff' };

export const toSec = (ms: number): number => Math.floor(ms / 1000);

/** `items` in ascending order of `key` (the stable sort's order), as they are when they already come in order. */
function ascending<T>(items: T[], key: (it: T) => number): T[] {
  // A session's bars and curve points come in time order: the sort would leave them as they are.
  for (let i = 1; i < items.length; i++) if (key(items[i - 1]!) > key(items[i]!)) return [...items].sort((a, b) => key(a) - key(b));
  return items;
}

const candleSec = (c: Candle): number => toSec(c.ts);

/**
 * Ascending, one candle per second (the last wins: the chart refuses anything else) and, past MAX_CHART_POINTS,
 * k consecutive candles to a bar (first open, highest high, lowest low, last close), so the page covers them all.
 */
export function chartCandles(candles: readonly Candle[]): CandleColumns {
  const finite = candles.filter(
    (c) => Number.isFinite(c.ts) && Number.isFinite(c.open) && Number.isFinite(c.high) && Number.isFinite(c.low) && Number.isFinite(c.close),
  );
  const bars: CandleColumns = { time: [], open: [], high: [], low: [], close: [] };
  for (const c of ascending(finite, candleSec)) {
    const t = toSec(c.ts);
    const n = bars.time.length;
    const at = n > 0 && bars.time[n - 1] === t ? n - 1 : n;
    bars.time[at] = t;
    bars.open[at] = c.open;
    bars.high[at] = c.high;
    bars.low[at] = c.low;
    bars.close[at] = c.close;
  }
  const n = bars.time.length;
  if (n <= MAX_CHART_POINTS) return bars;
  const k = Math.ceil(n / MAX_CHART_POINTS);
  const out: CandleColumns = { time: [], open: [], high: [], low: [], close: [] };
  for (let i = 0; i < n; i += k) {
    const end = Math.min(n, i + k);
    let high = bars.high[i]!;
    let low = bars.low[i]!;
    for (let j = i + 1; j < end; j++) {
      high = Math.max(high, bars.high[j]!);
      low = Math.min(low, bars.low[j]!);
    }
    out.time.push(bars.time[i]!);
    out.open.push(bars.open[i]!);
    out.high.push(high);
    out.low.push(low);
    out.close.push(bars.close[end - 1]!);
  }
  return out;
}

/** The equity curve shares the chart budget; thinning keeps the first and last point. */
export const MAX_EQUITY_POINTS = MAX_CHART_POINTS;

/** Ascending, one point per second (within one second the latest sample wins), thinned past the budget. */
export function chartEquity(equity: readonly { ts: number; equity: number }[]): PointColumns {
  const finite = equity.filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.equity));
  const points: PointColumns = { time: [], value: [] };
  for (const p of ascending(finite, (q) => q.ts)) {
    const t = toSec(p.ts);
    const n = points.time.length;
    const at = n > 0 && points.time[n - 1] === t ? n - 1 : n;
    points.time[at] = t;
    points.value[at] = p.equity;
  }
  const n = points.time.length;
  if (n <= MAX_EQUITY_POINTS) return points;
  const step = Math.ceil(n / MAX_EQUITY_POINTS);
  const keep = (_: number, i: number): boolean => i % step === 0 || i === n - 1;
  return { time: points.time.filter(keep), value: points.value.filter(keep) };
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

/** Marker labels stay short on the chart (6 significant digits); the table has the full numbers. */
function fmtShort(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

/** An entry (Fill) or exit (Exit) marker on the candle holding it. */
export function tradeMarkers(entries: readonly JournalEntry[], rows: readonly TradeRow[], candleTimes: readonly number[]): ChartMarker[] {
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

/** Above this many markers the labels would pile up: shapes only, the labels show on hover (the legend). */
export const MARKER_LABEL_LIMIT = 40;

/** Labels for the hover legend, by bar time; markers keep their text only when there are few. */
export function labelMarkers(markers: ChartMarker[]): { markers: ChartMarker[]; labels: Record<number, string[]> } {
  const labels: Record<number, string[]> = {};
  for (const m of markers) (labels[m.time] ??= []).push(m.text);
  if (markers.length <= MARKER_LABEL_LIMIT) return { markers, labels };
  return { markers: markers.map((m) => ({ ...m, text: '' })), labels };
}

// ── the data block's long series ─────────────────────────────────────────────

/**
 * Ascending times as `{"first":t0,"steps":[[step,count],…]}`: from t0, `count` more times `step` apart, run after
 * run (a month of 1-minute candles is one run; each gap in the data starts another). `first` is null without times.
 */
export function timesJson(times: readonly number[]): string {
  if (times.length === 0) return '{"first":null,"steps":[]}';
  const steps: [number, number][] = [];
  for (let i = 1; i < times.length; i++) {
    const step = times[i]! - times[i - 1]!;
    const run = steps[steps.length - 1];
    if (run !== undefined && run[0] === step) run[1]++;
    else steps.push([step, 1]);
  }
  return JSON.stringify({ first: times[0], steps });
}

/** `JSON.stringify(values)` of finite numbers, written as bytes (no string per number). */
export function numbersJson(values: readonly number[]): BytePiece {
  return {
    maxBytes: 2 + values.length * (NUMBER_BYTES_MAX + 1),
    write(buf: Uint8Array, at: number): number {
      buf[at++] = 91; // '['
      for (let i = 0; i < values.length; i++) {
        if (i > 0) buf[at++] = 44; // ','
        at = putNumber(buf, at, values[i]!);
      }
      buf[at++] = 93; // ']'
      return at;
    },
  };
}

/** The candles' columns as the data block's JSON, in pieces. */
export function* candleColumnsJson(c: CandleColumns): Generator<string | BytePiece> {
  yield `{"time":${timesJson(c.time)},"open":`;
  yield numbersJson(c.open);
  yield ',"high":';
  yield numbersJson(c.high);
  yield ',"low":';
  yield numbersJson(c.low);
  yield ',"close":';
  yield numbersJson(c.close);
  yield '}';
}

/** The equity points' columns as the data block's JSON, in pieces. */
export function* pointColumnsJson(p: PointColumns): Generator<string | BytePiece> {
  yield `{"time":${timesJson(p.time)},"value":`;
  yield numbersJson(p.value);
  yield '}';
}

/**
 * The page script's reading of the columns back into the chart's objects (`{time, open, high, low, close}`,
 * `{time, value}`): JavaScript for the page, kept beside the writer it mirrors.
 */
export const READ_COLUMNS_SCRIPT = `
  function readTimes(t) {
    var out = [];
    if (t.first === null) return out;
    var at = t.first;
    out.push(at);
    t.steps.forEach(function (run) { for (var i = 0; i < run[1]; i++) out.push(at += run[0]); });
    return out;
  }
  function readCandles(c) {
    return readTimes(c.time).map(function (time, i) { return { time: time, open: c.open[i], high: c.high[i], low: c.low[i], close: c.close[i] }; });
  }
  function readPoints(p) {
    return readTimes(p.time).map(function (time, i) { return { time: time, value: p.value[i] }; });
  }
`;
