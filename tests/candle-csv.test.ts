// The three real candle CSVs in shared/data parse to the candles a trader would read off them: layout found
// from the header, open times in UTC (privet1x's close times at +01:00 included), exact OHLCV, every row.
// A bad row is refused with the file and line, never skipped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CandleCsvParser, detectCandleCsvLayout, parseCandleCsv } from '../src/shared/candle-csv.js';
import type { Candle } from '../src/shared/types.js';
import { lacking } from './helpers/prerequisite.js';

const DATA = fileURLToPath(new URL('../../shared/data/', import.meta.url));
const MIN = 60_000;

function load(name: string): { file: string; text: string } | null {
  const file = `${DATA}${name}`;
  return existsSync(file) ? { file, text: readFileSync(file, 'utf8') } : null;
}

describe('real candle CSVs from shared/data', () => {
  const cases = [
    {
      name: 'binance_spot_BTCUSDT_1m_2024-12_privet1x_first3000.csv',
      layout: 'close_datetime',
      rows: 3000,
      // close 2024-12-01 00:00:59.999+01:00 → open 2024-11-30 23:00:00Z
      first: { ts: Date.UTC(2024, 10, 30, 23, 0), open: 96466.11, high: 96495.52, low: 96440, close: 96440, volume: 6.6158 },
      // close 2024-12-03 01:59:59.999+01:00 → open 2024-12-03 00:59:00Z
      last: { ts: Date.UTC(2024, 11, 3, 0, 59), open: 95840.01, high: 95840.01, low: 95800.01, close: 95804.03, volume: 11.04698 },
    },
    {
      name: 'binance_spot_BTCUSDT_1m_2025-06-05_jonomono.csv',
      layout: 'datetime',
      rows: 5000,
      first: { ts: Date.UTC(2025, 5, 5, 0, 37), open: 104930.22, high: 104930.23, low: 104930.22, close: 104930.23, volume: 0.54466 },
      last: { ts: Date.UTC(2025, 5, 8, 11, 56), open: 105674.43, high: 105674.43, low: 105674.42, close: 105674.42, volume: 0.52914 },
    },
    {
      name: 'binance_usdm_perp_BTCUSDT_1m_2025-06-06_rezaashrafii.csv',
      layout: 'open_time',
      rows: 14400,
      first: { ts: Date.UTC(2025, 5, 6, 21, 41), open: 104367.5, high: 104397.6, low: 104332.4, close: 104361.5, volume: 63.017 },
      last: { ts: Date.UTC(2025, 5, 16, 21, 40), open: 108433.5, high: 108433.6, low: 108364, close: 108430.2, volume: 62.501 },
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.rows} contiguous minutes, exact first and last candle`, (t) => {
      const f = load(c.name);
      if (f === null) return lacking(t, `${DATA}${c.name} is not present`);
      assert.equal(detectCandleCsvLayout(f.text.slice(0, f.text.indexOf('\n'))).layout, c.layout);
      const candles = parseCandleCsv(f.text, f.file);
      assert.equal(candles.length, c.rows);
      assert.deepEqual(candles[0], c.first);
      assert.deepEqual(candles[candles.length - 1], c.last);
      for (let i = 1; i < candles.length; i++) assert.equal(candles[i]!.ts - candles[i - 1]!.ts, MIN);
    });
  }

  it('the full privet1x file puts the all-time high and the 90.5k wick at their UTC minutes (README)', (t) => {
    const f = load('binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');
    if (f === null) return lacking(t, 'the full privet1x CSV is not present');
    const candles = parseCandleCsv(f.text, f.file);
    assert.equal(candles.length, 41_761);
    const top = candles.reduce((a, b) => (b.high > a.high ? b : a));
    const bottom = candles.reduce((a, b) => (b.low < a.low ? b : a));
    assert.deepEqual([top.high, top.ts], [108_353, Date.UTC(2024, 11, 17, 14, 57)]);
    assert.deepEqual([bottom.low, bottom.ts], [90_500, Date.UTC(2024, 11, 5, 22, 28)]);
  });
});

describe('candle CSV layouts and time forms', () => {
  it('reads close times at any offset, naive UTC text, ISO with Z, epoch ms and seconds; CRLF and BOM tolerated', () => {
    const close = parseCandleCsv(
      '\uFEFFopen,high,low,close,volume,close_datetime\r\n' +
        '10,11,9,10.5,1,2024-12-01 00:00:59.999000+01:00\r\n' +
        '10.5,12,10,11,2,2024-12-01 00:01:59.999-05:00\r\n',
    );
    assert.deepEqual(
      close.map((c) => c.ts),
      [Date.UTC(2024, 10, 30, 23, 0), Date.UTC(2024, 11, 1, 5, 1)],
    );
    assert.deepEqual(close[1], { ts: Date.UTC(2024, 11, 1, 5, 1), open: 10.5, high: 12, low: 10, close: 11, volume: 2 });
    const naive = parseCandleCsv('symbol,interval,datetime,open,high,low,close,volume\nBTCUSDT,1m,2025-06-05 00:37:00,1,2,0.5,1.5,3\n');
    assert.equal(naive[0]!.ts, Date.UTC(2025, 5, 5, 0, 37));
    const open = parseCandleCsv('open_time,open,high,low,close,volume\n1733007600000,1,1,1,1,0\n1733007660,1,1,1,1,0\n2024-11-30T23:02:00Z,1,1,1,1,0\n');
    assert.deepEqual(
      open.map((c) => c.ts),
      [1733007600000, 1733007660000, 1733007720000],
    );
  });

  it('reads every number as Number() reads its text: plain decimals in place, any other form as text (property)', () => {
    const digits = fc.stringMatching(/^[0-9]{1,18}$/);
    const numberText = fc.oneof(
      fc.integer({ min: 1, max: 20_000_000 }).map((n) => (n / 100).toFixed(2)),
      fc.double({ min: 1e-9, max: 1e12, noNaN: true }).map(String),
      fc.tuple(digits, digits).map(([i, f]) => `${i}.${f}`),
      // 16 to 20 digits: beyond what an integer below 2^53 holds exactly
      fc.tuple(fc.stringMatching(/^[1-9][0-9]{15,19}$/), fc.nat({ max: 14 })).map(([d, p]) => `${d.slice(0, p + 1)}.${d.slice(p + 1)}`),
      digits,
      fc.constantFrom('.5', '5.', '1e3', '+7', '0x10', '96440.0', '0000012.50', '1234567890.12345', '12345678901234567'),
    );
    fc.assert(
      fc.property(numberText, numberText, (price, volume) => {
        const v = Number(price);
        const q = Number(volume);
        fc.pre(v > 0 && Number.isFinite(v) && q >= 0 && Number.isFinite(q));
        const [c] = parseCandleCsv(`open_time,open,high,low,close,volume\n1733007600000,${price},${price},${price},${price},${volume}\n`);
        assert.deepEqual(c, { ts: 1733007600000, open: v, high: v, low: v, close: v, volume: q });
      }),
      { numRuns: 3000, seed: 3 },
    );
  });

  it('refuses bad rows naming the file and line', () => {
    const H = 'open_time,open,high,low,close,volume\n';
    const ok = '2025-06-06 21:41:00+00:00,100,101,99,100.5,1\n';
    const bad: [string, RegExp][] = [
      [H + ok + '2025-06-06 21:42:00+00:00,100,99,98,100.5,1\n', /^bad\.csv:3: inconsistent OHLC \(open 100 high 99 low 98 close 100\.5\)$/],
      [H + '2025-06-06 21:41:00+00:00,abc,101,99,100.5,1\n', /^bad\.csv:2: open is not a number: 'abc'$/],
      [H + '2025-06-06 21:41:00+00:00,100,101,,100.5,1\n', /^bad\.csv:2: low is not a number/],
      [H + ok + '\n' + '2025-06-06 21:42:00+00:00,100,101,99\n', /^bad\.csv:4: expected 6 fields, got 4/],
      [H + '2025-06-06 21:41:30+00:00,100,101,99,100.5,1\n', /^bad\.csv:2: candle open 2025-06-06T21:41:30\.000Z is not on a minute boundary$/],
      [H + ok + ok, /^bad\.csv:3: candle 2025-06-06T21:41:00\.000Z does not follow 2025-06-06T21:41:00\.000Z$/],
      [H + 'yesterday,100,101,99,100.5,1\n', /^bad\.csv:2: bad time 'yesterday'$/],
      [H + '2025-06-06 21:41:00+00:00,0,101,0,100.5,1\n', /^bad\.csv:2: prices must be > 0/],
      [H + '2025-06-06 21:41:00+00:00,100,101,99,100.5,-1\n', /^bad\.csv:2: volume must be >= 0, got -1$/],
      ['time,price\n1,2\n', /^bad\.csv:1: not a candle CSV header, missing open, high, low, close, volume/],
      ['a,b\n', /^bad\.csv:1: not a candle CSV header, missing a time column/],
      ['', /^bad\.csv:1: empty file/],
      [H, /^bad\.csv: no candle rows after the header$/],
    ];
    for (const [text, re] of bad) {
      assert.throws(() => parseCandleCsv(text, 'bad.csv'), { message: re }, text);
      assert.throws(() => parseInPieces(text, 'bad.csv', [1, 7, 3]), { message: re }, `${text} in pieces`);
    }
  });
});

/** CandleCsvParser fed `text` in pieces of the given lengths, cycled. */
function parseInPieces(text: string, source: string, lengths: number[]): Candle[] {
  const out: Candle[] = [];
  const p = new CandleCsvParser(source, (c) => out.push(c));
  for (let at = 0, i = 0; at < text.length; i++) {
    const n = lengths[i % lengths.length]!;
    p.push(text.slice(at, at + n));
    at += n;
  }
  p.end();
  return out;
}

describe('a file read in pieces (the replay reads its file a megabyte at a time)', () => {
  it('gives the candles and the errors of the whole text, however the text is cut (property)', () => {
    const H = ['\uFEFFopen,high,low,close,volume,close_datetime', 'open_time,open,high,low,close,volume'];
    const rows = [
      [
        '10,11,9,10.5,1,2024-12-01 00:00:59.999000+01:00',
        '10.5,12,10,11,2,2024-12-01 00:01:59.999000+01:00',
        '',
        '11,11,11,11,0,2024-12-01 00:05:59.999000+01:00',
      ],
      ['1733007600000,1,1,1,1,0', '1733007660,1,2,1,1,0', '2024-11-30T23:02:00Z,1,1,1,1,0', '2024-11-30T23:02:00Z,1,1,1,1,0'],
    ];
    fc.assert(
      fc.property(
        fc.nat({ max: 1 }),
        fc.nat({ max: 4 }),
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        (layout, n, eol, trailing, cuts) => {
          const text = [H[layout]!, ...rows[layout]!.slice(0, n)].join(eol) + (trailing ? eol : '');
          let whole: Candle[] | Error;
          try {
            whole = parseCandleCsv(text, 'f.csv');
          } catch (err) {
            whole = err as Error;
          }
          if (whole instanceof Error) assert.throws(() => parseInPieces(text, 'f.csv', cuts), { message: whole.message });
          else assert.deepEqual(parseInPieces(text, 'f.csv', cuts), whole);
        },
      ),
      { numRuns: 500, seed: 11 },
    );
  });

  it('reads the month in 1 MB pieces to the same candles as the whole text', (t) => {
    const f = load('binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');
    if (f === null) return lacking(t, 'the full privet1x CSV is not present');
    assert.deepEqual(parseInPieces(f.text, f.file, [1 << 20]), parseCandleCsv(f.text, f.file));
  });
});
