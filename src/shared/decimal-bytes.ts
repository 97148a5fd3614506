// Numbers written as ASCII straight into a byte array, byte for byte what String(number) makes, without a
// string per value: candles.csv is hundreds of thousands of numbers, formatted in the
// persistence worker at the end of a session. The digit writers are the wire encoder's (encode-bytes.ts). Pure.
import { putGrid, putText, putUint } from './bitunix/encode-bytes.js';

/** More than the bytes of String(any number) (`-1.7976931348623157e+308` is 24) or of any ISO time (27). */
export const NUMBER_BYTES_MAX = 32;

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
  return end < 0 ? putText(buf, off, String(v)) : end;
}
