// The price guard on its own: which frames it trusts, holds as suspect, confirms, or rejects, and how its
// bound and its market clock follow elapsed time, accelerated feeds and blind spans.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Frame } from '../src/shared/bitunix/index.js';
import { priceBoundFor } from '../src/shared/price-bound.js';
import { PriceGuard } from '../src/shared/price-guard.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0);
const S = 'BTCUSDT';

const book = (ts: number, bid: number, symbol = S): Frame => ({ type: 'book', symbol, ts, bid, ask: bid + 0.1, bidQty: 1, askQty: 1 });
const trade = (ts: number, price: number, symbol = S): Frame => ({ type: 'trade', symbol, ts, price, qty: 0.1 });
const kline = (ts: number, low: number, high: number, symbol = S): Frame => ({
  type: 'kline',
  symbol,
  ts,
  channel: 'market_kline_1min',
  open: low,
  high,
  low,
  close: high,
  volume: 1,
});
const mark = (ts: number, markPrice: number, fundingRate = 0.0001, symbol = S): Frame => ({
  type: 'price',
  symbol,
  ts,
  markPrice,
  indexPrice: markPrice,
  fundingRate,
  fundingTime: T0,
  nextFundingTime: T0 + 8 * 3600_000,
});

/** A guard that already trusts 100 000 at T0 (frames received at their market time). */
function trusting(marketSpeed = 1): PriceGuard {
  const g = new PriceGuard({ symbol: S, bound: priceBoundFor(S), marketSpeed });
  assert.equal(g.screen(book(T0 - 100, 100_000), T0 - 100), 'trusted', 'a fresh start takes the first price as it comes');
  assert.equal(g.screen(trade(T0, 100_000), T0), 'trusted');
  return g;
}

test('a frame for another symbol is bad on every channel', () => {
  const g = trusting();
  for (const f of [book(T0 + 1, 1, 'ETHUSDT'), trade(T0 + 1, 1, 'ETHUSDT'), kline(T0 + 1, 1, 2, 'ETHUSDT'), mark(T0 + 1, 1, 0, 'ETHUSDT')]) {
    assert.equal(g.screen(f, T0 + 1), 'wrong_symbol', f.type);
  }
  assert.deepEqual(g.reference, { price: 100_000, ts: T0 });
});

test('a single implausible price is held, never trusted, and dropped unconfirmed when the market goes on', () => {
  const g = trusting();
  for (const [f, at, what] of [
    [trade(T0 + 100, 1), T0 + 100, 'a price of 1'],
    [book(T0 + 200, 300_000), T0 + 200, '3x the market'],
  ] as const) {
    assert.equal(g.screen(f, at), 'suspect', what);
    assert.deepEqual(g.reference, { price: 100_000, ts: T0 }, `${what} does not become the trusted price`);
  }
  assert.equal(g.takeUnconfirmed(), 1, 'the price of 1 was dropped when 3x (consistent with neither) replaced it');
  assert.equal(g.screen(book(T0 + 300, 100_010), T0 + 300), 'trusted');
  assert.equal(g.takeUnconfirmed(), 1, '3x dropped once a trusted price arrived');
  assert.deepEqual(g.takeConfirmed(), []);
});

test('a real jump beyond the bound is acted on once a second frame or the mark price confirms it', () => {
  const g = trusting();
  assert.equal(g.screen(book(T0 + 500, 80_000), T0 + 500), 'suspect', '-20 % within a second');
  assert.equal(g.screen(trade(T0 + 600, 79_990), T0 + 600), 'confirmed');
  assert.deepEqual(
    g.takeConfirmed().map((h) => h.frame.ts),
    [T0 + 500],
    'the held frame is handed back to be acted on first',
  );
  assert.equal(g.reference?.price, 79_990);
  assert.equal(g.takeUnconfirmed(), 0);

  const m = trusting();
  assert.equal(m.screen(book(T0 + 500, 80_000), T0 + 500), 'suspect');
  assert.equal(m.screen(mark(T0 + 700, 80_020), T0 + 700), 'confirmed', 'the mark price confirms');
  assert.deepEqual(
    m.takeConfirmed().map((h) => h.frame.ts),
    [T0 + 500],
  );
  assert.equal(m.screen(book(T0 + 800, 80_010), T0 + 800), 'trusted');
});

test('the bound grows with elapsed market time up to a ceiling that only confirmation passes', () => {
  assert.equal(trusting().screen(book(T0 + 500, 115_000), T0 + 500), 'suspect', '+15 % within half a second');
  assert.equal(trusting().screen(book(T0 + 4000, 115_000), T0 + 4000), 'trusted', '+15 % after 4 s');
  assert.equal(trusting().screen(book(T0 + 3600_000, 90_000), T0 + 3600_000), 'trusted', '-10 % after a blind hour');
  const g = trusting();
  assert.equal(g.screen(book(T0 + 3600_000, 70_000), T0 + 3600_000), 'suspect', '-30 % is past the ceiling however long the span');
  assert.equal(g.screen(book(T0 + 3600_100, 70_010), T0 + 3600_100), 'confirmed', '...until a second frame agrees');
});

test('a kline, a mark price or a funding rate out of bounds is dropped', () => {
  const g = trusting();
  assert.equal(g.screen(kline(T0 + 1000, 1, 100_050), T0 + 1000), 'implausible_price', 'a candle low of 1');
  assert.equal(g.screen(kline(T0 + 1000, 99_000, 101_000), T0 + 1000), 'trusted');
  assert.equal(g.screen(mark(T0 + 1000, 300_000), T0 + 1000), 'implausible_mark');
  assert.equal(g.screen(mark(T0 + 1000, 100_000, 0.5), T0 + 1000), 'implausible_funding', 'a 50 % funding rate');
  assert.equal(g.screen(mark(T0 + 1000, 100_020), T0 + 1000), 'trusted');
});

test('market clock: a ts an hour ahead is bad, however fast the simulator runs within reason', () => {
  const live = trusting();
  assert.equal(live.screen(book(T0 + 3600_000, 100_000), T0 + 1000), 'future_ts');
  assert.equal(live.screen(book(T0 + 1000, 100_000), T0 + 1000), 'trusted');

  // --sim-speed 10: 10 s of wall time carry 100 s of market time.
  const sim = trusting(10);
  assert.equal(sim.screen(book(T0 + 100_000, 100_000), T0 + 10_000), 'trusted');
  assert.equal(sim.screen(book(T0 + 100_000 + 3600_000, 100_000), T0 + 10_100), 'future_ts');

  // A replay at full speed has no wall-clock pace to hold it to.
  const max = trusting(Infinity);
  assert.equal(max.screen(book(T0 + 3600_000, 100_000), T0 + 1), 'trusted');
});

test('market clock: blind spans and a suspended process are no fault; a wall clock stepped back re-anchors', () => {
  const g = trusting();
  // 45 s with no frame (a half-open socket, a sleeping laptop): both clocks moved on together.
  assert.equal(g.screen(book(T0 + 45_000, 100_300), T0 + 45_000), 'trusted');
  // Frames that arrived late (received after a pause) are never ahead.
  assert.equal(g.screen(book(T0 + 45_100, 100_300), T0 + 120_000), 'trusted');

  // The wall clock steps back an hour: every frame is ahead of it; after 10 s of that the guard follows.
  const w = trusting();
  const back = -3600_000;
  assert.equal(w.screen(book(T0 + 1000, 100_000), T0 + 1000 + back), 'future_ts');
  assert.equal(w.screen(book(T0 + 5000, 100_000), T0 + 5000 + back), 'future_ts');
  assert.equal(w.screen(book(T0 + 12_000, 100_000), T0 + 12_000 + back), 'trusted');
  assert.equal(w.screen(book(T0 + 13_000, 100_000), T0 + 13_000 + back), 'trusted');
});

test('confirmation comes later in market time: frames stamped alike (one burst) do not confirm each other', () => {
  const g = trusting();
  assert.equal(g.screen(book(T0 + 500, 300_000), T0 + 500), 'suspect');
  assert.equal(g.screen(mark(T0 + 500, 300_000), T0 + 500), 'implausible_mark', 'a mark of the same instant is no confirmation');
  assert.equal(g.screen(trade(T0 + 500, 300_000), T0 + 500), 'suspect', 'nor is a trade of the same instant: it is held with the book');
  assert.equal(g.screen(book(T0 + 600, 100_000), T0 + 600), 'trusted');
  assert.equal(g.takeUnconfirmed(), 2, 'both held frames dropped');
});

test('frames of one instant are held together and handed back together once a later frame confirms them', () => {
  const g = trusting();
  // a real jump: the exchange sends the book and the trade of the same tick at once
  assert.equal(g.screen(book(T0 + 500, 70_000), T0 + 500), 'suspect');
  assert.equal(g.screen(trade(T0 + 500, 70_000.1), T0 + 500), 'suspect');
  assert.equal(g.screen(book(T0 + 600, 70_000.2), T0 + 600), 'confirmed');
  assert.deepEqual(
    g.takeConfirmed().map((h) => h.frame.type),
    ['book', 'trade'],
  );
  assert.equal(g.takeUnconfirmed(), 0, 'nothing was dropped: a confirmed move counts no bad frame');
});

test("a held frame is the guard's own copy: a feed that reuses one Frame per kind does not change what is confirmed", () => {
  const g = trusting();
  // One object per kind, overwritten by every frame, as the replay's feed reads them (replay-feed.ts).
  const slot = { type: 'book', symbol: S, ts: T0 + 500, bid: 70_000, ask: 70_000.1, bidQty: 1, askQty: 1 } satisfies Frame;
  assert.equal(g.screen(slot, T0 + 500), 'suspect');
  Object.assign(slot, { ts: T0 + 600, bid: 70_000.2, ask: 70_000.3, bidQty: 2, askQty: 3 });
  assert.equal(g.screen(slot, T0 + 600), 'confirmed');
  const [held] = g.takeConfirmed();
  assert.notEqual(held!.frame, slot);
  assert.deepEqual(held!.frame, { type: 'book', symbol: S, ts: T0 + 500, bid: 70_000, ask: 70_000.1, bidQty: 1, askQty: 1 }, 'the frame as it was held');
  assert.equal(held!.recv, T0 + 500);
});

test('after a restart with a position open, the first frames are judged against the anchor (the entry)', () => {
  const g = new PriceGuard({ symbol: S, bound: priceBoundFor(S), marketSpeed: 1 });
  g.anchor(100_000, T0 - 3600_000);
  assert.equal(g.screen(trade(T0, 1), T0), 'suspect', 'a first price of 1 is not taken on its own');
  assert.equal(g.screen(book(T0 + 100, 104_000), T0 + 100), 'trusted', 'an hour later, +4 % is plausible');
  assert.equal(g.takeUnconfirmed(), 1);
  const far = new PriceGuard({ symbol: S, bound: priceBoundFor(S), marketSpeed: 1 });
  far.anchor(100_000, T0 - 3600_000);
  assert.equal(far.screen(book(T0, 60_000), T0), 'suspect', '-40 % since the entry: held');
  assert.equal(far.screen(book(T0 + 100, 60_010), T0 + 100), 'confirmed', 'and taken once a later frame agrees');
});
