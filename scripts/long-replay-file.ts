// A long candle file for memory and report checks: the December 2024 month of ../shared/data repeated N times
// end to end (each copy's times shifted by the month's length, its prices scaled so each copy opens where the
// last one closed, high and low widened to hold open and close after the rounding). Not market data: a shape
// of the right length.
//
//   node --import tsx scripts/long-replay-file.ts --months 12 --out /tmp/year.csv
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MONTH = path.resolve(ROOT, '..', 'shared', 'data', 'binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');
const MINUTE = 60_000;

const { values: args } = parseArgs({
  options: { months: { type: 'string', default: '12' }, out: { type: 'string' }, file: { type: 'string', default: MONTH } },
});
if (!args.out) throw new Error('--out FILE is required');
const months = Number(args.months);
if (!Number.isInteger(months) || months < 1) throw new Error(`--months must be a positive integer, got ${args.months}`);

const [header, ...lines] = readFileSync(args.file, 'utf8').trimEnd().split('\n');
const rows = lines.map((l) => l.split(','));
// privet1x layout: open,high,low,close,volume,quote_volume,trades,close_datetime (+01:00)
const firstOpen = Number(rows[0]![0]);
const lastClose = Number(rows[rows.length - 1]![3]);
const out: string[] = [header!];
let scale = 1;
for (let m = 0; m < months; m++) {
  const shift = m * rows.length * MINUTE;
  for (const r of rows) {
    const [o, h, l, c] = r.slice(0, 4).map((x) => Math.round(Number(x) * scale * 100) / 100) as [number, number, number, number];
    const close = new Date(Date.parse(r[7]!.replace(' ', 'T')) + shift);
    const local = new Date(close.getTime() + 3_600_000).toISOString().replace('T', ' ').replace('Z', '000+01:00');
    out.push([o, Math.max(h, o, c), Math.min(l, o, c), c, r[4], r[5], r[6], local].join(','));
  }
  scale *= lastClose / firstOpen;
}
writeFileSync(args.out, `${out.join('\n')}\n`);
process.stdout.write(`${args.out}: ${months} months, ${out.length - 1} candles\n`);
