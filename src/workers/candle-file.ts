// A replay's candle file, read and parsed a piece at a time on the replay encoder's thread, each candle written
// straight into gap-free columns: what is held is the columns (48 bytes a candle) and one piece of text, never
// the file's text or an object per candle, so a year of candles starts as lightly as a month
// (docs/architecture.md).
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { CandleCsvParser } from '../shared/candle-csv.js';
import { type CandleColumns, GapFreeColumns } from '../shared/candle-pack.js';

/** Bytes of the file read and parsed at a time. */
const READ_CHUNK = 1 << 20;
/** Fewest bytes a row of the known layouts takes: the first guess of the candle count (it grows past it). */
const MIN_ROW_BYTES = 64;

/** The file's candles, gap-free, in shared memory; rejects with the parser's `file:line: ...` on a bad row. */
export async function readCandleFile(file: string): Promise<CandleColumns> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const candles = new GapFreeColumns(size / MIN_ROW_BYTES);
    const parser = new CandleCsvParser(file, (c) => candles.push(c));
    const text = new StringDecoder('utf8');
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      parser.push(text.write(buf.subarray(0, bytesRead)));
    }
    parser.push(text.end());
    parser.end();
    return candles.columns();
  } finally {
    await fh.close();
  }
}
