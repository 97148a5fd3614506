// How Bitunix writes values: numbers as decimal strings, times as ISO strings. Shared by the decoders
// (reading either form) and the encoders (writing the exchange's exact text).

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Wire numbers are strings; JSON numbers are accepted too. Anything else (and '') is NaN. */
export function num(v: unknown): number {
  if (typeof v === 'string') return v.length === 0 ? NaN : Number(v);
  if (typeof v === 'number') return v;
  return NaN;
}

const DEC_CACHE_BITS = 12;
const DEC_KEY = new Float64Array(1);
const DEC_BITS = new Int32Array(DEC_KEY.buffer);
const decNums = new Float64Array(1 << DEC_CACHE_BITS).fill(NaN);
const decDigits = new Int8Array(1 << DEC_CACHE_BITS);
const decTexts: string[] = new Array<string>(1 << DEC_CACHE_BITS).fill('');

/**
 * A number as the exchange writes it: a decimal string without exponent for the sizes we produce. Prices
 * repeat from frame to frame, so the text of recent numbers is kept in a small table (replays and floods
 * encode millions of them); the table only saves the formatting, it never changes a result.
 */
export function dec(n: number, digits: number): string {
  DEC_KEY[0] = n;
  const slot = Math.imul(DEC_BITS[0]! ^ DEC_BITS[1]!, 0x9e3779b1) >>> (32 - DEC_CACHE_BITS);
  if (decNums[slot] === n && decDigits[slot] === digits) return decTexts[slot]!;
  const s = String(n);
  // String() switches to exponent form below 1e-6; fall back to a fixed form then.
  const text = s.includes('e') ? n.toFixed(digits).replace(/\.?0+$/, '') : s;
  decNums[slot] = n;
  decDigits[slot] = digits;
  decTexts[slot] = text;
  return text;
}

const HOUR = 3_600_000;
/** The first ms toISOString writes with a six-digit year (+010000-01-01): years 1970-9999 lie below it. */
export const YEAR_10000_MS = 253_402_300_800_000;
let isoHour = NaN;
let isoPrefix = '';
/**
 * `new Date(ms).toISOString()`: for an integer ms in years 1970-9999 the date and hour of the last call are kept
 * (a trade push and a candles.csv row each need one; the hour changes once in thousands of them).
 */
export function isoMs(ms: number): string {
  if (!(Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000_MS)) return new Date(ms).toISOString();
  const hour = ms - (ms % HOUR);
  if (hour !== isoHour) {
    isoHour = hour;
    isoPrefix = new Date(hour).toISOString().slice(0, 14);
  }
  const r = ms - hour;
  const min = Math.floor(r / 60_000);
  const rest = r - min * 60_000;
  const sec = Math.floor(rest / 1000);
  const milli = rest - sec * 1000;
  return `${isoPrefix}${min < 10 ? '0' : ''}${min}:${sec < 10 ? '0' : ''}${sec}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

export function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The last two times iso() wrote (a price push carries two settlement times, the same for hours). */
const isoMsKept = [NaN, NaN];
const isoKept = ['', ''];
let isoNext = 0;
/** ISO time as Bitunix writes settlement times: seconds precision when the milliseconds are zero. */
export function iso(ms: number): string {
  if (ms === isoMsKept[0]) return isoKept[0]!;
  if (ms === isoMsKept[1]) return isoKept[1]!;
  const s = new Date(ms).toISOString();
  const text = s.endsWith('.000Z') ? `${s.slice(0, -5)}Z` : s;
  isoMsKept[isoNext] = ms;
  isoKept[isoNext] = text;
  isoNext = 1 - isoNext;
  return text;
}
