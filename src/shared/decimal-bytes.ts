// Numbers and times written as ASCII straight into a byte array, byte for byte what String(number) and isoMs
// make, without a string per value: candles.csv is hundreds of thousands of numbers, formatted in the
// persistence worker at the end of a session. The digit writers are the wire encoder's (encode-bytes.ts). Pure.
import { putDigits31, putGrid, putUint } from './bitunix/encode-bytes.js';
import { isoMs, YEAR_10000_MS } from './bitunix/wire-values.js';

const HOUR_MS = 3_600_000;

/** More than the bytes of String(any number) (`-1.7976931348623157e+308` is 24) or of any ISO time (27). */
export const NUMBER_BYTES_MAX = 32;

/** ASCII text at `off`; returns the end. */
export function putAscii(buf: Uint8Array, off: number, s: string): number {
  for (let i = 0; i < s.length; i++) buf[off + i] = s.charCodeAt(i);
  return off + s.length;
}

/** Decimals tried before String(): prices and quantities on an 8-decimal grid are written digit by digit. */
const GRID = 8;

/**
 * String(v) at `off`; returns the end. A safe integer is its digits; a v on the 8-decimal grid is written by
 * putGrid (the digits String() writes for it); anything else is String(v) itself.
 */
export function putNumber(buf: Uint8Array, off: number, v: number): number {
  if (Number.isSafeInteger(v)) {
    if (v < 0) {
      buf[off++] = 45; // '-'
      return putUint(buf, off, -v);
    }
    return putUint(buf, off, v); // -0 too: String(-0) is '0'
  }
  const end = putGrid(buf, off, v, GRID);
  return end < 0 ? putAscii(buf, off, String(v)) : end;
}

/**
 * isoMs(ms) written (`YYYY-MM-DDTHH:MM:SS.mmmZ`), the date and hour kept from the last call: consecutive
 * candles share them.
 */
export class IsoMsWriter {
  private hour = Number.NaN;
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
    putDigits31(buf, off + 2, min, 2);
    buf[off + 2] = 58; // ':'
    putDigits31(buf, off + 5, sec, 2);
    buf[off + 5] = 46; // '.'
    putDigits31(buf, off + 9, rest - sec * 1000, 3);
    buf[off + 9] = 90; // 'Z'
    return off + 10;
  }
}
