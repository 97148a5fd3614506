// candles.csv (docs/reports.md): the session's closed candles, oldest first, open time in ms and ISO, OHLCV.
// The candles travel as packed rows (six float64 each, in shared memory: CandleRows in candle-pack.ts) so the
// persistence worker formats the file while the main thread goes on. Each row is written as bytes
// straight into the file's buffer, byte for byte `${ts},${isoMs(ts)},${open},…,${volume}` (no string per row or
// per number: a month is 40 000 rows). Pure.
import { IsoMsWriter, putText } from './bitunix/encode-bytes.js';
import { NUMBER_BYTES_MAX, putNumber } from './decimal-bytes.js';

/** Float64 fields per packed candle: ts, open, high, low, close, volume. */
const FIELDS = 6;

export const CANDLES_CSV_HEADER = 'ts,time,open,high,low,close,volume\n';

/** At most the bytes of one row: seven values and their separators. */
const ROW_BYTES_MAX = 7 * (NUMBER_BYTES_MAX + 1);

/**
 * candles.csv of the packed rows in `bytes` from 0, grown through `alloc` (the written part copied) when a row
 * might not fit: the buffer that holds it (`bytes` or a larger one) and its length.
 */
export function writeCandlesCsv<B extends Uint8Array>(rows: Float64Array, bytes: B, alloc: (size: number) => B): { bytes: B; length: number } {
  const iso = new IsoMsWriter();
  let buf = bytes;
  let off = putText(buf, 0, CANDLES_CSV_HEADER);
  const n = rows.length - (rows.length % FIELDS);
  for (let at = 0; at < n; at += FIELDS) {
    if (off + ROW_BYTES_MAX > buf.length) {
      const grown = alloc(Math.max(2 * buf.length, off + ROW_BYTES_MAX));
      grown.set(buf.subarray(0, off));
      buf = grown;
    }
    const ts = rows[at]!;
    off = putNumber(buf, off, ts);
    buf[off++] = 44; // ','
    off = iso.put(buf, off, ts);
    for (let f = 1; f < FIELDS; f++) {
      buf[off++] = 44;
      off = putNumber(buf, off, rows[at + f]!);
    }
    buf[off++] = 10; // '\n'
  }
  return { bytes: buf, length: off };
}
