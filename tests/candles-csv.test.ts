// candles.csv is a contract (docs/contracts.md, docs/reports.md): `ts,time,open,high,low,close,volume`, each value
// as String(number) and the time as isoMs. The byte writer must give exactly the text of that definition, over
// the real month and over the numbers a writer gets wrong (exponents, negative zero, the grid's edges).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isoMs } from '../src/shared/bitunix/wire-values.js';
import { parseCandleCsv } from '../src/shared/candle-csv.js';
import { CandleColumns } from '../src/shared/candle-pack.js';
import { CANDLES_CSV_HEADER, writeCandlesCsv } from '../src/shared/candles-csv-text.js';
import { putNumber } from '../src/shared/decimal-bytes.js';
import { lacking } from './helpers/prerequisite.js';

const MONTH = fileURLToPath(new URL('../../shared/data/binance_spot_BTCUSDT_1m_2024-12_privet1x.csv', import.meta.url));

/** The definition: one template string per row. */
function definition(rows: Float64Array): string {
  let text = CANDLES_CSV_HEADER;
  for (let at = 0; at + 6 <= rows.length; at += 6) {
    const ts = rows[at]!;
    text += `${ts},${isoMs(ts)},${rows[at + 1]},${rows[at + 2]},${rows[at + 3]},${rows[at + 4]},${rows[at + 5]}\n`;
  }
  return text;
}

/** The writer's bytes, starting from a small buffer so that growing is exercised too. */
function written(rows: Float64Array): string {
  const { bytes, length } = writeCandlesCsv(rows, Buffer.allocUnsafe(64), Buffer.allocUnsafe);
  return bytes.toString('latin1', 0, length);
}

test('candles.csv of the real month is byte for byte the definition', (t) => {
  if (!existsSync(MONTH)) return lacking(t, `no ${MONTH}`);
  const candles = parseCandleCsv(readFileSync(MONTH, 'utf8'), MONTH);
  const rows = CandleColumns.of(candles).data;
  const text = written(rows);
  assert.equal(text.split('\n').length, candles.length + 2);
  assert.equal(text, definition(rows));
});

const EDGES = [
  0,
  -0,
  1,
  -1,
  0.1,
  0.5,
  1e-6,
  9.99e-7,
  1e-7,
  1.5e-8,
  1e-8,
  123456789.12345678,
  9999999.99999999,
  10_000_000.5,
  1e15,
  1e21,
  1.7976931348623157e308,
  -96123.45,
  96123.45,
  0.30000000000000004,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 31 + 0.5,
  4294967296.1,
  Number.MIN_VALUE,
  NaN,
  Infinity,
  -Infinity,
  13.63489,
  7.4607,
  0.00000001,
  0.12345678,
  0.123456789,
];

test('every number is written as String(number), the edges included', () => {
  const buf = new Uint8Array(64);
  const check = (v: number): void => assert.equal(Buffer.from(buf.subarray(0, putNumber(buf, 0, v))).toString('latin1'), String(v), `${v}`);
  for (const v of EDGES) check(v);
  fc.assert(
    fc.property(fc.double(), (v) => check(v)),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.integer({ min: -1e15, max: 1e15 }), fc.integer({ min: 0, max: 10 }), (k, d) => check(k / 10 ** d)),
    { numRuns: 20_000 },
  );
});

test('rows of odd times and values are the definition too', () => {
  const times = [0, 1, 59_999, 1733019600000, 1733019600001.5, -60_000, 253402300799999, 253402300800000, 8.64e15, 1e12 + 123];
  const rows = new Float64Array(times.length * EDGES.length * 6);
  let at = 0;
  for (const ts of times) {
    for (let i = 0; i < EDGES.length; i++) {
      rows.set(
        [ts, EDGES[i]!, EDGES[(i + 1) % EDGES.length]!, EDGES[(i + 2) % EDGES.length]!, EDGES[(i + 3) % EDGES.length]!, EDGES[(i + 4) % EDGES.length]!],
        at,
      );
      at += 6;
    }
  }
  assert.equal(written(rows), definition(rows));
  assert.equal(written(new Float64Array(0)), CANDLES_CSV_HEADER);
});
