// Parses real 1-minute candle CSVs (shared/data) into Candles for the simulator's replay mode. The files
// differ in where the candle's time lives, so the layout is detected from the header:
//   open_time      open time, ISO with offset (or epoch ms / s)        e.g. rezaashrafii
//   datetime       open time, naive text that is UTC                    e.g. jonomono
//   close_datetime close time (open + 59.999 s), ISO with offset        e.g. privet1x (+01:00)
// Rows are validated (numbers, OHLC consistency, minute grid, ascending) and a bad row is an Error naming
// the file and line, because a silently skipped row would make the replayed candles disagree with the file.
import type { Candle } from './types.js';

export type CandleCsvLayout = 'open_time' | 'datetime' | 'close_datetime';

const MINUTE = 60_000;
/** Header names for each layout's time column, in order of preference. */
const TIME_COLUMNS: [CandleCsvLayout, string[]][] = [
  ['open_time', ['open_time', 'opentime', 'timestamp', 'time']],
  ['datetime', ['datetime', 'date']],
  ['close_datetime', ['close_datetime', 'close_time', 'closetime']],
];
const PRICE_COLUMNS = ['open', 'high', 'low', 'close', 'volume'] as const;

export interface CandleCsvColumns {
  layout: CandleCsvLayout;
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** Fields per row. */
  width: number;
}

/** Which column holds what, from the header line; throws naming the missing columns. */
export function detectCandleCsvLayout(header: string, source = 'csv'): CandleCsvColumns {
  const names = header.split(',').map((h) => h.trim().toLowerCase());
  const idx = (n: string): number => names.indexOf(n);
  let layout: CandleCsvLayout | null = null;
  let time = -1;
  for (const [l, candidates] of TIME_COLUMNS) {
    const found = candidates.map(idx).find((i) => i >= 0);
    if (found !== undefined) {
      layout = l;
      time = found;
      break;
    }
  }
  const missing: string[] = PRICE_COLUMNS.filter((c) => idx(c) < 0);
  if (layout === null) missing.unshift('a time column (open_time, datetime or close_datetime)');
  if (missing.length > 0 || layout === null) {
    throw new Error(`${source}:1: not a candle CSV header, missing ${missing.join(', ')} (header: ${header.slice(0, 120)})`);
  }
  return { layout, time, open: idx('open'), high: idx('high'), low: idx('low'), close: idx('close'), volume: idx('volume'), width: names.length };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Epoch ms of a time field: digits are epoch ms (or seconds when small); text without offset is UTC. */
export function parseCsvTime(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    return n < 1e11 ? n * 1000 : n;
  }
  const m = DATE_TIME.exec(text);
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = frac === undefined ? 0 : Math.floor(Number(`0.${frac}`) * 1000 + 1e-6);
  let t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * MINUTE;
  }
  return t;
}

const EMPTY_MATCH = /(?:)/;

/** One decimal field; '' and non-numbers are NaN. */
function field(text: string | undefined): number {
  if (text === undefined) return NaN;
  const t = text.trim();
  return t.length === 0 ? NaN : Number(t);
}

/**
 * The candles of a 1-minute candle CSV, ascending by open time. `source` (the file name) prefixes every
 * error, with the 1-based line number of the offending row.
 */
export function parseCandleCsv(text: string, source = 'csv'): Candle[] {
  const lines = text.split('\n');
  const header = (lines[0] ?? '').replace(/\r$/, '').replace(/^\uFEFF/, '');
  if (header.trim() === '') throw new Error(`${source}:1: empty file, expected a header line`);
  const col = detectCandleCsvLayout(header, source);
  const out: Candle[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const where = `${source}:${i + 1}`;
    const f = line.split(',');
    if (f.length !== col.width) throw new Error(`${where}: expected ${col.width} fields, got ${f.length}: ${line.slice(0, 120)}`);
    let ts = parseCsvTime(f[col.time]!.trim());
    if (!Number.isFinite(ts)) throw new Error(`${where}: bad time '${f[col.time]!.trim()}'`);
    if (col.layout === 'close_datetime') ts = ts + 1 - MINUTE;
    if (ts % MINUTE !== 0) throw new Error(`${where}: candle open ${new Date(ts).toISOString()} is not on a minute boundary`);
    const c: Candle = {
      ts,
      open: field(f[col.open]),
      high: field(f[col.high]),
      low: field(f[col.low]),
      close: field(f[col.close]),
      volume: field(f[col.volume]),
    };
    for (const k of PRICE_COLUMNS) {
      if (!Number.isFinite(c[k])) throw new Error(`${where}: ${k} is not a number: '${String(f[col[k]]).trim()}'`);
    }
    if (c.open <= 0 || c.high <= 0 || c.low <= 0 || c.close <= 0) throw new Error(`${where}: prices must be > 0: ${line.slice(0, 120)}`);
    if (c.volume < 0) throw new Error(`${where}: volume must be >= 0, got ${c.volume}`);
    if (c.low > Math.min(c.open, c.close) || c.high < Math.max(c.open, c.close)) {
      throw new Error(`${where}: inconsistent OHLC (open ${c.open} high ${c.high} low ${c.low} close ${c.close})`);
    }
    const prev = out[out.length - 1];
    if (prev !== undefined && ts <= prev.ts) {
      throw new Error(`${where}: candle ${new Date(ts).toISOString()} does not follow ${new Date(prev.ts).toISOString()}`);
    }
    out.push(c);
  }
  if (out.length === 0) throw new Error(`${source}: no candle rows after the header`);
  // The last RegExp match's subject is sliced from the file's text and would keep all of it alive (megabytes).
  EMPTY_MATCH.test('');
  return out;
}
