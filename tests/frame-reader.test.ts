// The FrameReader keeps what repeats from one push to the next (the symbol, the kline channel, the funding
// times) so a push allocates only its Frame. What it keeps must never change what a push decodes to: a reader
// that has read any frames before decodes each one exactly as a fresh reader does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encodeBook, encodeKline, encodePrice, encodeTrade, FrameReader, frameSlots } from '../src/shared/bitunix/index.js';

const grid = fc.integer({ min: 1, max: 2_000_000 }).map((n) => n / 10);
const ts = fc.integer({ min: 0, max: 2e12 });
// Symbols that share prefixes, so a kept symbol lies at the start of the next one's bytes, or the next one at the
// start of the kept one's.
const symbol = fc.constantFrom('BTCUSDT', 'BTCUSDTX', 'BTCUSD', 'BTCUSDT"', 'ETHUSDT', 'B', '');
const frame = fc.oneof(
  fc.record({ sym: symbol, ts, b: grid, q: grid }).map((r) => encodeBook(r.sym, r.ts, r.b, r.b + 0.1, r.q, r.q)),
  fc.record({ sym: symbol, ts, p: grid, v: grid, buy: fc.boolean() }).map((r) => encodeTrade(r.sym, r.ts, r.p, r.v, r.buy ? 'buy' : 'sell')),
  fc
    .record({ sym: symbol, ch: fc.constantFrom('market_kline_1min', 'market_kline_15min', 'market_kline_1'), ts, l: grid, up: grid, v: grid })
    .map((r) => encodeKline(r.sym, r.ch, r.ts, { open: r.l, high: r.l + r.up, low: r.l, close: r.l, volume: r.v })),
  fc.record({ sym: symbol, ts, m: grid, ft: fc.integer({ min: 0, max: 3 }) }).map((r) =>
    encodePrice(r.sym, r.ts, {
      markPrice: r.m,
      indexPrice: r.m,
      fundingRate: 0.0001,
      fundingTime: 1733126400000 + r.ft * 28_800_000,
      nextFundingTime: 1733155200000 + r.ft * 28_800_000,
    }),
  ),
);
// A cut or an edit in a frame, so the kept bytes are sometimes followed by something else.
const edited = fc.tuple(frame, fc.nat(), fc.constantFrom('', '"', 'X', '\\', ','), fc.nat({ max: 2 })).map(([t, at, ch, del]) => {
  const i = at % (t.length + 1);
  return t.slice(0, i) + ch + t.slice(i + del);
});

for (const [name, reader] of [
  ['a reader', () => new FrameReader()],
  ['a reader with slots (each frame overwritten by the next read)', () => new FrameReader(frameSlots())],
] as const) {
  test(`${name} that has read other frames decodes each frame exactly as a fresh reader does (property)`, () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.array(fc.oneof(frame, frame, edited), { minLength: 1, maxLength: 12 }), (texts) => {
        const reused = reader();
        // All frames in one buffer, as a replay's ring holds them: the reused reader reads each in place.
        const buf = Buffer.from(texts.join(''), 'latin1');
        let at = 0;
        for (const t of texts) {
          const got = reused.decodeAt(buf, at, at + t.length);
          at += t.length;
          const fresh = new FrameReader().decode(Buffer.from(t, 'latin1'));
          assert.deepEqual(got, fresh, t);
          if (got !== null) decoded++;
        }
      }),
      { numRuns: 3000, seed: 21 },
    );
    assert.ok(decoded > 5000, `frames decoded on the fast path: ${decoded}`);
  });
}
