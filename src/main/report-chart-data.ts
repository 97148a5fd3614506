// report.html's chart data (docs/reports.md): the candles, the equity curve and the trade markers as the charts
// draw them, and the embedded data block that carries them. A month is 43 200 candles and as many curve points,
// so the two long series travel as columns (each field's float64 values in base64, times as a first time and
// runs of equal steps), and the page's script makes the chart's objects of them. Pure.
import type { JournalEntry } from '../shared/events.js';
import { barsOf, curveOf, MAX_CHART_POINTS, type BarColumns, type CurveColumns } from '../shared/session-record.js';
import type { TradeRow } from '../shared/trade-rows.js';
import type { Candle } from '../shared/types.js';

/** The chart's candles, one array a field, ascending by time (chart seconds), one candle a time. */
export interface CandleColumns {
  time: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
}
/** The equity chart's points, one array a field. */
export interface PointColumns {
  time: Float64Array;
  value: Float64Array;
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

/** Neither NaN nor ±Infinity (the check the interpreter runs fastest: a month is 200 000 of them). */
const finite = (x: number): boolean => x - x === 0;

/** The items that pass `ok`, in ascending order of `key`: the stable sort's order, for items that come out of order. */
function sorted<T>(items: readonly T[], ok: (it: T) => boolean, key: (it: T) => number): T[] {
  return items.filter(ok).sort((a, b) => key(a) - key(b));
}

const finiteCandle = (c: Candle): boolean => finite(c.ts) && finite(c.open) && finite(c.high) && finite(c.low) && finite(c.close);

/** The columns of `n` candles or points; trimmed to their length by `slice`. */
const column = (n: number): Float64Array => new Float64Array(n);

/**
 * Ascending, one candle per second (the last wins: the chart refuses anything else) and, past MAX_CHART_POINTS,
 * k consecutive candles to a bar (first open, highest high, lowest low, last close), so the page covers them all.
 */
export function chartCandles(series: readonly Candle[] | BarColumns): CandleColumns {
  if (!Array.isArray(series)) return barsAsTheyAre(series as BarColumns) ?? chartCandles(barsOf(series as BarColumns));
  const input = series as readonly Candle[];
  // A session's bars come in time order: read where they are, in one pass, unless one is out of order.
  let candles = input;
  let n = -1;
  const size = candles.length;
  const time = column(size);
  const open = column(size);
  const high = column(size);
  const low = column(size);
  const close = column(size);
  while (n < 0) {
    n = 0;
    for (let i = 0; i < candles.length; i++) {
      const c = candles[i]!;
      if (!finiteCandle(c)) continue;
      const t = Math.floor(c.ts / 1000);
      if (n > 0 && t <= time[n - 1]!) {
        if (t < time[n - 1]!) {
          candles = sorted(input, finiteCandle, (b) => toSec(b.ts));
          n = -1;
          break;
        }
        n--;
      }
      time[n] = t;
      open[n] = c.open;
      high[n] = c.high;
      low[n] = c.low;
      close[n] = c.close;
      n++;
    }
  }
  if (n <= MAX_CHART_POINTS)
    return { time: time.subarray(0, n), open: open.subarray(0, n), high: high.subarray(0, n), low: low.subarray(0, n), close: close.subarray(0, n) };
  const k = Math.ceil(n / MAX_CHART_POINTS);
  const bars = Math.ceil(n / k);
  const out: CandleColumns = { time: column(bars), open: column(bars), high: column(bars), low: column(bars), close: column(bars) };
  for (let b = 0, i = 0; i < n; b++, i += k) {
    const end = Math.min(n, i + k);
    let hi = high[i]!;
    let lo = low[i]!;
    for (let j = i + 1; j < end; j++) {
      hi = Math.max(hi, high[j]!);
      lo = Math.min(lo, low[j]!);
    }
    out.time[b] = time[i]!;
    out.open[b] = open[i]!;
    out.high[b] = hi;
    out.low[b] = lo;
    out.close[b] = close[end - 1]!;
  }
  return out;
}

/** The equity curve shares the chart budget; thinning keeps the first and last point. */
export const MAX_EQUITY_POINTS = MAX_CHART_POINTS;

/** Ascending, one point per second (within one second the latest sample wins), thinned past the budget. */
export function chartEquity(series: readonly { ts: number; equity: number }[] | CurveColumns): PointColumns {
  if (!Array.isArray(series)) return curveAsItIs(series as CurveColumns) ?? chartEquity(curveOf(series as CurveColumns));
  const input = series as readonly { ts: number; equity: number }[];
  const finitePoint = (p: { ts: number; equity: number }): boolean => finite(p.ts) && finite(p.equity);
  // The curve comes in time order: read where it is, in one pass, unless a point is out of order.
  let points = input;
  let n = -1;
  const time = column(input.length);
  const value = column(input.length);
  while (n < 0) {
    n = 0;
    let lastTs = -Infinity;
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      if (!finitePoint(p)) continue;
      if (p.ts < lastTs) {
        points = sorted(input, finitePoint, (q) => q.ts);
        n = -1;
        break;
      }
      lastTs = p.ts;
      const t = Math.floor(p.ts / 1000);
      if (n > 0 && time[n - 1] === t) n--;
      time[n] = t;
      value[n] = p.equity;
      n++;
    }
  }
  if (n <= MAX_EQUITY_POINTS) return { time: time.subarray(0, n), value: value.subarray(0, n) };
  const step = Math.ceil(n / MAX_EQUITY_POINTS);
  const keep = (_: number, i: number): boolean => i % step === 0 || i === n - 1;
  return { time: time.subarray(0, n).filter(keep), value: value.subarray(0, n).filter(keep) };
}

/** How many candles or points a series has. */
export function seriesLength(series: readonly unknown[] | { ts: readonly number[] }): number {
  return Array.isArray(series) ? series.length : (series as { ts: readonly number[] }).ts.length;
}

/**
 * The session record's bars as the chart takes them, when they already are what chartCandles would make of
 * them (finite, one a second in ascending order, within the budget: a session's bars are); null otherwise.
 */
function barsAsTheyAre(b: BarColumns): CandleColumns | null {
  const n = b.ts.length;
  if (n > MAX_CHART_POINTS) return null;
  const out: CandleColumns = { time: column(n), open: column(n), high: column(n), low: column(n), close: column(n) };
  for (let i = 0; i < n; i++) {
    const t = Math.floor(b.ts[i]! / 1000);
    if (!(finite(b.ts[i]!) && finite(b.open[i]!) && finite(b.high[i]!) && finite(b.low[i]!) && finite(b.close[i]!))) return null;
    if (i > 0 && t <= out.time[i - 1]!) return null;
    out.time[i] = t;
    out.open[i] = b.open[i]!;
    out.high[i] = b.high[i]!;
    out.low[i] = b.low[i]!;
    out.close[i] = b.close[i]!;
  }
  return out;
}

/** The curve as the chart takes it when it already is what chartEquity would make of it; null otherwise. */
function curveAsItIs(c: CurveColumns): PointColumns | null {
  const n = c.ts.length;
  if (n > MAX_EQUITY_POINTS) return null;
  const out: PointColumns = { time: column(n), value: column(n) };
  for (let i = 0; i < n; i++) {
    const t = Math.floor(c.ts[i]! / 1000);
    if (!(finite(c.ts[i]!) && finite(c.equity[i]!))) return null;
    if (i > 0 && (t <= out.time[i - 1]! || c.ts[i]! < c.ts[i - 1]!)) return null;
    out.time[i] = t;
    out.value[i] = c.equity[i]!;
  }
  return out;
}

/** The open time of the candle holding `ms` (the first or last candle when outside the chart). */
function snapToCandle(times: ArrayLike<number>, ms: number): number {
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
export function tradeMarkers(entries: readonly JournalEntry[], rows: readonly TradeRow[], candleTimes: ArrayLike<number>): ChartMarker[] {
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
export function timesJson(times: ArrayLike<number>): string {
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

/** Whether this machine keeps a float64's bytes least significant first (the data block's order). */
const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/**
 * The numbers' float64 bytes, least significant first, in base64: each value exactly as it is (no decimal to
 * make and read back), and a month's column is one native encoding instead of 43 200 numbers formatted.
 */
export function float64Base64(values: Float64Array): string {
  if (LITTLE_ENDIAN) return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
  const bytes = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) bytes.writeDoubleLE(values[i]!, i * 8);
  return bytes.toString('base64');
}

/** The candles' columns as the data block's JSON. */
export function candleColumnsJson(c: CandleColumns): string {
  const col = (values: Float64Array): string => `"${float64Base64(values)}"`;
  return `{"time":${timesJson(c.time)},"open":${col(c.open)},"high":${col(c.high)},"low":${col(c.low)},"close":${col(c.close)}}`;
}

/** The equity points' columns as the data block's JSON. */
export function pointColumnsJson(p: PointColumns): string {
  return `{"time":${timesJson(p.time)},"value":"${float64Base64(p.value)}"}`;
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
  function readNumbers(base64) {
    var text = atob(base64), view = new DataView(new ArrayBuffer(text.length)), out = new Array(text.length >> 3);
    for (var i = 0; i < text.length; i++) view.setUint8(i, text.charCodeAt(i));
    for (var j = 0; j < out.length; j++) out[j] = view.getFloat64(8 * j, true);
    return out;
  }
  function readCandles(c) {
    var open = readNumbers(c.open), high = readNumbers(c.high), low = readNumbers(c.low), close = readNumbers(c.close);
    return readTimes(c.time).map(function (time, i) { return { time: time, open: open[i], high: high[i], low: low[i], close: close[i] }; });
  }
  function readPoints(p) {
    var value = readNumbers(p.value);
    return readTimes(p.time).map(function (time, i) { return { time: time, value: value[i] }; });
  }
`;
