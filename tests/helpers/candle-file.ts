// Candle files for the engine's e2e runs: rows in the privet1x layout of ../shared/data (close time with an
// offset), written under its header into a fresh temporary directory.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './engine.js';

const HEADER = 'open,high,low,close,volume,quote_volume,trades,close_datetime';
const MINUTE = 60_000;

/** `n` rows, one a minute from 2024-12-01 00:00 UTC, prices moving a cent at a time. */
export function privetRows(n: number): string[] {
  const start = Date.parse('2024-12-01T00:00:00Z');
  return Array.from({ length: n }, (_, i) => {
    const p = 96_000 + i * 0.01;
    const close = new Date(start + i * MINUTE + 59_999).toISOString().replace('T', ' ').replace('Z', '000+00:00');
    return `${p.toFixed(2)},${(p + 0.5).toFixed(2)},${(p - 0.5).toFixed(2)},${p.toFixed(2)},1.5,144000.0,100,${close}`;
  });
}

/** `lines` under the layout's header, as candles.csv in a new temporary directory; returns its path. */
export function candleFile(lines: string[]): string {
  const file = path.join(tempDir('la-candles-'), 'candles.csv');
  writeFileSync(file, `${[HEADER, ...lines].join('\n')}\n`);
  return file;
}
