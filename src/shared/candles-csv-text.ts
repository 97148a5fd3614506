// candles.csv (docs/reports.md): the session's closed candles, oldest first, open time in ms and ISO, OHLCV.
// The candles travel as packed rows (six float64 each, in shared memory: CandleRows in candle-pack.ts) so the persistence worker formats the
// file while the main thread builds report.html. Pure.
import { isoMs } from './bitunix/wire-values.js';

/** Float64 fields per packed candle: ts, open, high, low, close, volume. */
const FIELDS = 6;

/** Rows per piece of candlesCsvParts. */
const CSV_PIECE_ROWS = 256;

/**
 * candles.csv piece by piece, each made when asked for: a month is megabytes, and a piece's text, until it is
 * encoded, costs many times its length (every row and number is a string of its own).
 */
export function* candlesCsvParts(rows: Float64Array): Generator<string> {
  yield 'ts,time,open,high,low,close,volume\n';
  const n = rows.length / FIELDS;
  for (let i = 0; i < n; i += CSV_PIECE_ROWS) {
    let piece = '';
    for (let at = i * FIELDS, end = Math.min(n, i + CSV_PIECE_ROWS) * FIELDS; at < end; at += FIELDS) {
      const ts = rows[at]!;
      piece += `${ts},${isoMs(ts)},${rows[at + 1]},${rows[at + 2]},${rows[at + 3]},${rows[at + 4]},${rows[at + 5]}\n`;
    }
    yield piece;
  }
}
