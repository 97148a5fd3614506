// Numbers and times written as ASCII straight into a byte array, byte for byte what String(number) and isoMs
// make, without a string per value: the end-of-session files are hundreds of thousands of numbers (candles.csv
// in the persistence worker, report.html's chart data). Pure.
import { isoMs, YEAR_10000_MS } from './bitunix/wire-values.js';

const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
const HOUR_MS = 3_600_000;
const TWO_31 = 2_147_483_648;

/** More than the bytes of String(any number) (`-1.7976931348623157e+308` is 24) or of any ISO time (27). */
export const NUMBER_BYTES_MAX = 32;

/** ASCII text at `off`; returns the end. */
export function putAscii(buf: Uint8Array, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
  return off + s.length;
}

/** `len` digits of `n` (an integer below 2^31, zero-padded on the left) ending at `end`. */
function putDigits(buf: Uint8Array, end: number, n: number, len: number): void {
  let x = n | 0;
  for (let i = end - 1; i >= end - len; i--) {
    const q = (x / 10) | 0;
    buf[i] = 48 + x - q * 10;
    x = q;
  }
}

/** The digits of a non-negative integer below 2^53. */
function putUint(buf: Uint8Array, off: number, n: number): number {
  if (n < TWO_31) {
    let len = 1;
    while (len < 10 && n >= POW10[len]!) len++;
    putDigits(buf, off + len, n, len);
    return off + len;
  }
  const hi = Math.floor(n / 1e9); // a high part and 9 low digits, each below 2^31
  off = putUint(buf, off, hi);
  putDigits(buf, off + 9, n - hi * 1e9, 9);
  return off + 9;
}

/** Decimals tried before String(): prices and quantities on an 8-decimal grid are written digit by digit. */
const GRID = 8;
const GRID_P = POW10[GRID]!;

/**
 * String(v) at `off`; returns the end. A safe integer is its digits; a v that is the double nearest k / 10^8 for
 * an integer k below 10^15 is k's digits with the point put in and trailing zeros dropped (that decimal has at
 * most 15 significant digits, so it is the only one that short to read back as v, which is what String() writes);
 * anything else (and String()'s exponent form below 1e-6) is String(v) itself.
 */
export function putNumber(buf: Uint8Array, off: number, v: number): number {
  if (Number.isSafeInteger(v)) {
    if (v < 0) {
      buf[off++] = 45; // '-'
      return putUint(buf, off, -v);
    }
    return putUint(buf, off, v); // -0 too: String(-0) is '0'
  }
  const a = v < 0 ? -v : v;
  const k = Math.round(a * GRID_P);
  if (!(k < 1e15 && k / GRID_P === a && a >= 1e-6)) return putAscii(buf, off, String(v));
  if (v < 0) buf[off++] = 45;
  let ip = Math.floor(k / GRID_P);
  let fr = k - ip * GRID_P;
  if (fr < 0) {
    ip--;
    fr += GRID_P;
  } else if (fr >= GRID_P) {
    ip++;
    fr -= GRID_P;
  }
  off = putUint(buf, off, ip);
  // v is not an integer, so fr > 0: a digit other than 0 ends the fraction before the point is reached.
  buf[off++] = 46; // '.'
  putDigits(buf, off + GRID, fr, GRID);
  let end = off + GRID;
  while (buf[end - 1] === 48) end--;
  return end;
}

/**
 * isoMs(ms) written (`YYYY-MM-DDTHH:MM:SS.mmmZ`), the date and hour kept from the last call: consecutive
 * candles share them.
 */
export class IsoMsWriter {
  private hour = NaN;
  private readonly prefix = new Uint8Array(14);

  put(buf: Uint8Array, off: number, ms: number): number {
    if (!(Number.isInteger(ms) && ms >= 0 && ms < YEAR_10000_MS)) return putAscii(buf, off, isoMs(ms));
    const r = ms % HOUR_MS;
    const hour = ms - r;
    if (hour !== this.hour) {
      this.hour = hour;
      putAscii(this.prefix, 0, isoMs(hour).slice(0, 14)); // yyyy-mm-ddThh:
    }
    buf.set(this.prefix, off);
    off += 14;
    const min = Math.floor(r / 60_000);
    const rest = r - min * 60_000;
    const sec = Math.floor(rest / 1000);
    putDigits(buf, off + 2, min, 2);
    buf[off + 2] = 58; // ':'
    putDigits(buf, off + 5, sec, 2);
    buf[off + 5] = 46; // '.'
    putDigits(buf, off + 9, rest - sec * 1000, 3);
    buf[off + 9] = 90; // 'Z'
    return off + 10;
  }
}
