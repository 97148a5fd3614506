// The byte-level writers of the market pushes against the text codec: every value and frame they write
// must be, byte for byte, the latin1 of what dec()/encodeBook/encodeTrade/encodeKline/encodePrice return.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBook, encodeKline, encodePrice, encodeTrade } from '../src/shared/bitunix/encode.js';
import { putDec, writeBook, writeKline, writePrice, writeTrade, maxPushBytes } from '../src/shared/bitunix/encode-bytes.js';
import { dec } from '../src/shared/bitunix/wire-values.js';

const buf = new Uint8Array(4096);
const text = (at: number, len: number): string => Buffer.from(buf.buffer, at, len).toString('latin1');

/** A small deterministic generator, so a failure names a reproducible value. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function decBytes(v: number, grid: number, digits: number): string {
  const at = 7; // not at 0: the writer must honour its offset
  buf.fill(0);
  const end = putDec(buf, at, v, grid, digits);
  return text(at, end - at);
}

test('a number is written as dec() writes it, for grid values of every magnitude and number of decimals', () => {
  const r = rng(12);
  let n = 0;
  for (let decimals = 0; decimals <= 10; decimals++) {
    for (let digits = 1; digits <= 15; digits++) {
      for (let i = 0; i < 60; i++) {
        const k = Math.floor(r() * 10 ** digits);
        const v = (r() < 0.1 ? -1 : 1) * (k / 10 ** decimals);
        for (const grid of [decimals, 8, 5, 10]) {
          const d = grid === 5 ? 5 : grid === 10 ? 10 : 8;
          assert.equal(decBytes(v, grid, d), dec(v, d), `putDec(${v}, grid ${grid}, ${d})`);
          n++;
        }
      }
    }
  }
  assert.ok(n > 30_000);
});

test('numbers off the grid, tiny, huge and not finite fall back to exactly what dec() writes', () => {
  const r = rng(99);
  const edge = [
    0,
    -0,
    1e-7,
    5e-7,
    1e-6,
    1.5e-6,
    0.1,
    0.1 + 0.2,
    0.0123,
    99999.99,
    100000,
    1e15,
    1e15 - 1,
    999999999999999 / 1e8,
    123456789.12345678,
    1e21,
    1e300,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.EPSILON,
    NaN,
    Infinity,
    -Infinity,
    -1e-7,
    -0.5,
    2 ** 53,
  ];
  for (let i = 0; i < 3000; i++) edge.push((r() - 0.2) * 10 ** Math.floor(r() * 30 - 12));
  for (const v of edge) {
    for (const [grid, d] of [
      [8, 8],
      [5, 5],
      [10, 10],
      [0, 8],
      [2, 8],
    ] as const) {
      assert.equal(decBytes(v, grid, d), dec(v, d), `putDec(${v}, grid ${grid}, ${d})`);
    }
  }
});

test('book, trade, kline and price pushes are byte for byte the text codec, at any offset and within their bound', () => {
  const r = rng(7);
  const price = (): number => Math.round((r() < 0.05 ? r() : 50 + r() * 150_000) * 100) / 100;
  const qty = (d: number): number => Math.round(r() * 10 ** Math.floor(r() * 5) * 10 ** d) / 10 ** d;
  const symbols = ['BTCUSDT', 'ETHUSDT', 'X'];
  const kinds = new Set<string>();
  let prevTs = 0;
  for (let i = 0; i < 20_000; i++) {
    const symbol = symbols[i % symbols.length]!;
    // Pushes close in time share a ts's leading digits (the writer keeps them): a third follow the one before.
    const ts =
      i % 97 === 0
        ? Math.floor(r() * 1e5)
        : i % 89 === 0
          ? 999_990 + Math.floor(r() * 20)
          : i % 3 === 0
            ? prevTs + Math.floor(r() * 3_000)
            : 1_733_011_200_000 + Math.floor(r() * 40 * 86_400_000);
    prevTs = ts;
    const at = Math.floor(r() * 1000);
    let want: string;
    let len: number;
    let channel: string;
    switch (i % 4) {
      case 0: {
        channel = 'depth_book1';
        const [bid, ask, bq, aq] = [price(), price(), qty(4), qty(4)];
        want = encodeBook(symbol, ts, bid, ask, bq, aq);
        len = writeBook(buf, at, symbol, ts, bid, ask, bq, aq);
        break;
      }
      case 1: {
        channel = 'trade';
        const [p, v, s] = [price(), qty(8), r() < 0.5 ? ('buy' as const) : ('sell' as const)];
        want = encodeTrade(symbol, ts, p, v, s);
        len = writeTrade(buf, at, symbol, ts, p, v, s);
        break;
      }
      case 2: {
        channel = ['market_kline_1min', 'market_kline_5min', 'market_kline_60min'][i % 3]!;
        const [o, h, l, c] = [price(), price(), price(), price()];
        const k = { open: o, high: h, low: l, close: c, volume: r() < 0.1 ? 0 : qty(r() < 0.5 ? 4 : 8) };
        const withTurnover = r() < 0.2 ? { ...k, turnover: r() * 1e6 } : k;
        want = encodeKline(symbol, channel, ts, withTurnover);
        len = writeKline(buf, at, symbol, channel, ts, withTurnover);
        break;
      }
      default: {
        channel = 'price';
        const funding = Math.floor(ts / 28_800_000) * 28_800_000;
        const p = {
          markPrice: price(),
          indexPrice: price(),
          fundingRate: r() < 0.5 ? 0 : (r() - 0.5) / 1000,
          fundingTime: funding,
          nextFundingTime: funding + 28_800_000,
        };
        want = encodePrice(symbol, ts, p);
        len = writePrice(buf, at, symbol, ts, p);
      }
    }
    kinds.add(channel.slice(0, 5));
    assert.equal(text(at, len), want);
    assert.ok(len <= maxPushBytes(symbol, channel), `${want} is within the bound`);
  }
  assert.deepEqual([...kinds].sort(), ['depth', 'marke', 'price', 'trade']);
});

test('a trade time off the ISO cache (not an integer, or before 1970) is written as the text codec writes it', () => {
  for (const ts of [0, 59_999, 60_000, 1.5, -1, 253_402_300_799_999, 1_733_011_259_999]) {
    const len = writeTrade(buf, 3, 'BTCUSDT', ts, 100.5, 0.001, 'buy');
    assert.equal(text(3, len), encodeTrade('BTCUSDT', ts, 100.5, 0.001, 'buy'));
  }
});
