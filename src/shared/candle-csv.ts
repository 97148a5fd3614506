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
  const out: Candle[] = [];
  const parser = new CandleCsvParser(source, (c) => out.push(c));
  parser.push(text);
  parser.end();
  return out;
}

/**
 * parseCandleCsv for a file read in pieces: `push` takes its text in chunks split anywhere, `end` reads the last
 * line. Each candle goes to `onCandle` as soon as its line is complete, so a file of any length is never held
 * whole (a year of candles is 50 MB of text). Every rule and message is parseCandleCsv's.
 */
export class CandleCsvParser {
  private col: CandleCsvColumns | null = null;
  private scan: RowScan | null = null;
  /** The text after the last complete line. */
  private rest = '';
  private lineNo = 0;
  private prev: Candle | undefined = undefined;
  private rows = 0;

  constructor(
    private readonly source: string,
    private readonly onCandle: (c: Candle) => void,
  ) {}

  push(chunk: string): void {
    const text = this.rest.length === 0 ? chunk : this.rest + chunk;
    const last = text.lastIndexOf('\n');
    if (last < 0) {
      this.rest = text;
      return;
    }
    this.lines(text, last);
    this.rest = text.slice(last + 1);
  }

  end(): void {
    const text = this.rest;
    this.rest = '';
    this.lines(text, text.length);
    if (this.rows === 0) throw new Error(`${this.source}: no candle rows after the header`);
    // The last RegExp match's subject is sliced from the file's text and would keep it alive (megabytes).
    EMPTY_MATCH.test('');
  }

  /** The lines of text[0, upTo): upTo is a line's end (a newline, or the end of the file). */
  private lines(text: string, upTo: number): void {
    let at = 0;
    if (this.col === null) {
      const firstEnd = lineEnd(text, 0, upTo);
      const header = text
        .slice(0, firstEnd)
        .replace(/\r$/, '')
        .replace(/^\uFEFF/, '');
      if (header.trim() === '') throw new Error(`${this.source}:1: empty file, expected a header line`);
      this.col = detectCandleCsvLayout(header, this.source);
      this.scan = new RowScan(this.col);
      this.lineNo = 1;
      at = firstEnd + 1;
    }
    const col = this.col;
    const scan = this.scan!;
    scan.text = text;
    for (; at <= upTo; ) {
      const end = lineEnd(text, at, upTo);
      if (end === upTo && at === upTo && upTo === text.length) break; // no line after the last newline
      this.lineNo++;
      // An ordinary row is read in place; anything else (blank, padded, malformed) takes the checked path,
      // which reads it the same way or names what is wrong with it.
      const c = scan.row(at, end, this.prev) ?? checkedRow(text.slice(at, end).replace(/\r$/, ''), `${this.source}:${this.lineNo}`, col, this.prev);
      if (c !== null) {
        this.prev = c;
        this.rows++;
        this.onCandle(c);
      }
      at = end + 1;
    }
    scan.text = '';
  }
}

/** Where the line starting at `from` ends: its newline, or `upTo` (a line's end itself). */
function lineEnd(text: string, from: number, upTo: number): number {
  const i = text.indexOf('\n', from);
  return i < 0 || i > upTo ? upTo : i;
}

/** One row, every rule checked with its message; null for a blank line. */
function checkedRow(line: string, where: string, col: CandleCsvColumns, prev: Candle | undefined): Candle | null {
  if (line.trim() === '') return null;
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
  if (prev !== undefined && ts <= prev.ts) {
    throw new Error(`${where}: candle ${new Date(ts).toISOString()} does not follow ${new Date(prev.ts).toISOString()}`);
  }
  return c;
}

const DIGIT_0 = 48;
const isDigit = (code: number): boolean => code >= DIGIT_0 && code <= DIGIT_0 + 9;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);

/**
 * Number(text[s, e)) for a plain decimal (digits with at most one inner '.', at most 15 digits), read in place;
 * null for anything else. Exact: the digits form an integer below 2^53 and one IEEE division by an exact
 * power of ten rounds correctly, as Number() does. The same rules as the frame reader's readDecimal
 * (src/shared/bitunix/frame-reader.ts), which reads bytes where this reads the CSV's text.
 */
function plainDecimal(text: string, s: number, e: number): number | null {
  let m = 0;
  let digits = 0;
  let point = -1;
  for (let i = s; i < e; i++) {
    const c = text.charCodeAt(i);
    if (isDigit(c)) {
      m = m * 10 + (c - DIGIT_0);
      digits++;
    } else if (c === 46 && point < 0 && i > s && i < e - 1) point = i;
    else return null;
  }
  if (digits === 0 || digits > 15) return null;
  return point < 0 ? m : m / POW10[e - 1 - point]!;
}

const COLON = 58;
/** Where `YYYY-MM-DD HH` has its digits. */
const HOUR_DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12];

/**
 * Reads a well-formed row where it lies in the file's text, without splitting it into strings: the same values
 * checkedRow reads, or null when the row is anything but plain (then checkedRow reads it). A month's file is
 * tens of thousands of rows, read before the first frame.
 */
class RowScan {
  /** Where each field starts; field i ends one before starts[i + 1]. */
  private readonly starts: Int32Array;
  /** The last row's `YYYY-MM-DD HH` and its epoch ms. */
  private hour = '';
  private hourMs = 0;
  /** The last row's text after the seconds and the ms it adds (fraction less zone offset). */
  private suffix: string | null = null;
  private suffixMs = 0;

  /** The text being read: the file's, or one piece of it at a time (CandleCsvParser). */
  text = '';

  constructor(private readonly col: CandleCsvColumns) {
    this.starts = new Int32Array(col.width + 1);
  }

  row(from: number, to: number, prev: Candle | undefined): Candle | null {
    const { text, col, starts } = this;
    if (to > from && text.charCodeAt(to - 1) === 13) to--;
    if (from >= to) return null;
    starts[0] = from;
    let n = 0;
    for (let p = from; ; ) {
      const comma = text.indexOf(',', p);
      if (comma < 0 || comma >= to) break;
      if (++n >= col.width) return null;
      starts[n] = comma + 1;
      p = comma + 1;
    }
    if (n !== col.width - 1) return null;
    starts[col.width] = to + 1;
    let ts = this.time(starts[col.time]!, starts[col.time + 1]! - 1);
    if (col.layout === 'close_datetime') ts = ts + 1 - MINUTE;
    if (!(ts % MINUTE === 0) || (prev !== undefined && ts <= prev.ts)) return null;
    const open = this.number(col.open);
    const high = this.number(col.high);
    const low = this.number(col.low);
    const close = this.number(col.close);
    const volume = this.number(col.volume);
    // NaN fails every comparison, so a field that is not a number goes to checkedRow too.
    if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0)) return null;
    if (!(open < Infinity && high < Infinity && low < Infinity && close < Infinity && volume < Infinity)) return null;
    if (low > Math.min(open, close) || high < Math.max(open, close)) return null;
    return { ts, open, high, low, close, volume };
  }

  /** Field i as a number; NaN when it is empty or padded (checkedRow trims those). */
  private number(i: number): number {
    const { text, starts } = this;
    const s = starts[i]!;
    const e = starts[i + 1]! - 1;
    if (s >= e) return NaN;
    const first = text.charCodeAt(s);
    const last = text.charCodeAt(e - 1);
    if (first <= 32 || last <= 32 || first > 126 || last > 126) return NaN;
    return plainDecimal(text, s, e) ?? Number(text.slice(s, e));
  }

  /**
   * parseCsvTime of text[s, e), for the forms it accepts without padding; NaN otherwise. Consecutive rows share
   * their date and hour and, in a file, their fraction and zone: those are read once each and kept.
   */
  private time(s: number, e: number): number {
    const text = this.text;
    if (e - s < 19) return NaN;
    if (this.hour.length !== 13 || !text.startsWith(this.hour, s)) {
      if (!this.readHour(s)) return NaN;
    }
    const m1 = text.charCodeAt(s + 14) - DIGIT_0;
    const m2 = text.charCodeAt(s + 15) - DIGIT_0;
    const s1 = text.charCodeAt(s + 17) - DIGIT_0;
    const s2 = text.charCodeAt(s + 18) - DIGIT_0;
    if (!(m1 >= 0 && m1 <= 9 && m2 >= 0 && m2 <= 9 && s1 >= 0 && s1 <= 9 && s2 >= 0 && s2 <= 9)) return NaN;
    if (text.charCodeAt(s + 13) !== COLON || text.charCodeAt(s + 16) !== COLON) return NaN;
    if (this.suffix === null || e - s !== 19 + this.suffix.length || !text.startsWith(this.suffix, s + 19)) {
      if (!this.readSuffix(s + 19, e)) return NaN;
    }
    // Date.UTC is linear in its hours, minutes, seconds and ms, so the kept parts add up to its value.
    return this.hourMs + (m1 * 10 + m2) * MINUTE + (s1 * 10 + s2) * 1000 + this.suffixMs;
  }

  /** `YYYY-MM-DD HH` (or `T`) at s: kept with its epoch ms; false when it is not that form. */
  private readHour(s: number): boolean {
    const text = this.text;
    for (let i = 0; i < HOUR_DIGITS.length; i++) if (!isDigit(text.charCodeAt(s + HOUR_DIGITS[i]!))) return false;
    const sep = text.charCodeAt(s + 10);
    if (text[s + 4] !== '-' || text[s + 7] !== '-' || (sep !== 32 && sep !== 84)) return false;
    const d = (i: number): number => text.charCodeAt(s + i) - DIGIT_0;
    this.hour = text.slice(s, s + 13);
    this.hourMs = Date.UTC(d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3), d(5) * 10 + d(6) - 1, d(8) * 10 + d(9), d(11) * 10 + d(12));
    return true;
  }

  /** What follows the seconds, `[.fraction][Z|±HH[:]MM]`: kept with the ms it adds; false when it is not that form. */
  private readSuffix(p: number, e: number): boolean {
    const text = this.text;
    const from = p;
    let ms = 0;
    if (p < e && text[p] === '.') {
      let q = p + 1;
      while (q < e && isDigit(text.charCodeAt(q))) q++;
      if (q === p + 1 || q - p - 1 > 9) return false;
      ms = Math.floor(Number(`0.${text.slice(p + 1, q)}`) * 1000 + 1e-6);
      p = q;
    }
    if (p < e) {
      const zone = text[p];
      if (zone === 'Z') {
        if (p + 1 !== e) return false;
      } else {
        if (zone !== '+' && zone !== '-') return false;
        const colon = e - p === 6 && text.charCodeAt(p + 3) === COLON;
        if (!colon && e - p !== 5) return false;
        const h1 = text.charCodeAt(p + 1);
        const h2 = text.charCodeAt(p + 2);
        const z1 = text.charCodeAt(colon ? p + 4 : p + 3);
        const z2 = text.charCodeAt(colon ? p + 5 : p + 4);
        if (!isDigit(h1) || !isDigit(h2) || !isDigit(z1) || !isDigit(z2)) return false;
        const offset = ((h1 - DIGIT_0) * 10 + h2 - DIGIT_0) * 60 + (z1 - DIGIT_0) * 10 + z2 - DIGIT_0;
        ms -= (zone === '-' ? -1 : 1) * offset * MINUTE;
      }
    }
    this.suffix = text.slice(from, e);
    this.suffixMs = ms;
    return true;
  }
}
