// The tick path, frame by frame: funding settled from the exchange's price channel (once, with the
// right sign, only for a position open at the settlement), gaps reported for backfill, missed candles
// checked against the position, and entries blocked while data is stale or state cannot be saved.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TradingCore, type CoreSink } from '../src/main/trading-core.js';
import { decodeFrame, encodeBook, encodeKline, encodePrice } from '../src/shared/bitunix-codec.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import type { EngineEvent } from '../src/shared/events.js';
import { createRng } from '../src/shared/rng.js';
import { TickRing } from '../src/shared/tick-ring.js';
import type { Order, Side } from '../src/shared/types.js';

const T0 = Date.UTC(2026, 0, 5, 7, 50); // 10 minutes before the 08:00 settlement
const H8 = Date.UTC(2026, 0, 5, 8, 0);

function setup(signal: Side | null = null) {
  const events: EngineEvent[] = [];
  const submitted: Order[] = [];
  const gaps: Array<[number, number]> = [];
  const sink: CoreSink = {
    record: (e) => void events.push(e), changed: () => {}, submit: (o) => (submitted.push(o), true), queueDepth: () => submitted.length,
    blindSpan: () => {}, gap: (a, b) => void gaps.push([a, b]), breakerTripped: () => {}, error: (m) => assert.fail(m), info: () => {}, warn: () => {},
  };
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0 }, createRng(1), freshBrokerState(10_000, T0));
  const core = new TradingCore({ symbol: 'BTCUSDT', kind: 'linear', intervalMs: 60_000, riskPct: 1, stopBps: 30, tpR: 1.5 },
    broker, new CandleBuilder(60_000), TickRing.allocate(64), { name: 't', onCandle: () => (signal ? { side: signal } : null) }, sink);
  const book = (ts: number, bid: number): void => core.onFrame(decodeFrame(encodeBook('BTCUSDT', ts, bid, bid + 0.1, 1, 1)), ts);
  const kline = (ts: number, c: number): void => core.onFrame(decodeFrame(encodeKline('BTCUSDT', 'market_kline_1min', ts, { open: c, high: c + 5, low: c - 5, close: c, volume: 10 })), ts);
  const open = (side: Side, at: number): void => {
    core.onQuote({ id: `o-${side}`, side, qty: 0.5, refPrice: 100_000, sl: side === 'LONG' ? 90_000 : 110_000, tp: side === 'LONG' ? 110_000 : 90_000, createdAt: at },
      { orderId: `o-${side}`, ts: at, bid: 100_000, ask: 100_000.1, last: 100_000, latencyMs: 0, synthetic: false });
  };
  return { core, broker, events, submitted, gaps, book, kline, open };
}

const price = (ts: number, fundingTime: number, frPercent: number): string =>
  encodePrice('BTCUSDT', ts, { markPrice: 100_000, indexPrice: 100_000, fundingRate: frPercent / 100, fundingTime, nextFundingTime: fundingTime + 8 * 3600_000 });

test('funding from the price channel: settled rate (percent on the wire), once, longs pay a positive rate', () => {
  const h = setup();
  h.book(T0, 100_000);
  h.open('LONG', T0);
  const before = h.broker.state.equity;
  // fr "0.01" = 0.01 % = 0.0001; a long of 0.5 BTC at mark 100 000 pays 5
  h.core.onFrame(decodeFrame(price(H8 + 500, H8, 0.01)), H8 + 500);
  h.core.onFrame(decodeFrame(price(H8 + 1000, H8, 0.01)), H8 + 1000); // the same settlement again
  const funding = h.events.filter((e) => e.event === 'FundingApplied');
  assert.equal(funding.length, 1);
  assert.ok(Math.abs((funding[0] as { amount: number }).amount + 5) < 1e-9);
  assert.ok(Math.abs(h.broker.state.equity - (before - 5)) < 1e-9);
});

test('funding: shorts receive a positive rate; a settlement before the position opened is not charged', () => {
  const h = setup();
  h.book(T0, 100_000);
  h.core.onFrame(decodeFrame(price(T0 + 1000, Date.UTC(2026, 0, 5, 0, 0), 0.01)), T0 + 1000); // 00:00, flat then
  h.open('SHORT', T0 + 2000);
  h.core.onFrame(decodeFrame(price(T0 + 3000, Date.UTC(2026, 0, 5, 0, 0), 0.01)), T0 + 3000); // opened after 00:00
  assert.equal(h.events.filter((e) => e.event === 'FundingApplied').length, 0);
  h.core.onFrame(decodeFrame(price(H8 + 10, H8, 0.02)), H8 + 10);
  const f = h.events.find((e) => e.event === 'FundingApplied') as { amount: number };
  assert.ok(Math.abs(f.amount - 10) < 1e-9, `short receives 0.02 % of 50 000 = 10, got ${f.amount}`);
});

test('a kline bucket that skips minutes asks for a backfill of exactly the missing ones', () => {
  const h = setup();
  h.kline(T0 + 1, 100_000);
  h.kline(T0 + 60_001, 100_010);
  h.kline(T0 + 4 * 60_000 + 1, 100_020); // minutes +2 and +3 missing
  assert.deepEqual(h.gaps, [[T0 + 2 * 60_000, T0 + 3 * 60_000]]);
});

test('missed candles are checked against the position in order: a stop crossed while deaf is honoured', () => {
  const h = setup();
  h.book(T0, 100_000);
  h.open('LONG', T0);
  h.core.checkMissed([
    { ts: T0 + 60_000, open: 100_000, high: 100_100, low: 99_900, close: 100_000, volume: 1 },
    { ts: T0 + 120_000, open: 95_000, high: 95_100, low: 89_000, close: 89_500, volume: 1 }, // gaps through 90 000
    { ts: T0 + 180_000, open: 89_500, high: 120_000, low: 89_000, close: 119_000, volume: 1 }, // would have hit the target
  ]);
  const exit = h.events.find((e) => e.event === 'Exit') as { reason: string; price: number; source: string };
  assert.equal(exit.reason, 'SL');
  assert.equal(exit.source, 'candle');
  assert.ok(exit.price <= 90_000, 'at the gap, no better than the stop');
  assert.equal(h.events.filter((e) => e.event === 'Exit').length, 1);
});

test('no new entries while data is stale, while stopping or when state cannot be saved; quotes discarded when fills are blocked', () => {
  for (const block of ['stale', 'entries', 'fills'] as const) {
    const h = setup('LONG');
    h.book(T0, 100_000);
    if (block === 'stale') h.core.stale = true;
    if (block === 'entries') h.core.entriesBlocked = 'stopping';
    if (block === 'fills') h.core.fillsBlocked = 'disk full';
    for (let i = 0; i < 3; i++) h.kline(T0 + i * 60_000 + 1, 100_000);
    if (block === 'fills') {
      assert.ok(h.submitted.length > 0, 'fills blocked alone does not stop the strategy');
      for (const o of h.submitted) h.core.onQuote(o, { orderId: o.id, ts: T0, bid: 100_000, ask: 100_000.1, last: 100_000, latencyMs: 0, synthetic: false });
      assert.equal(h.broker.state.position, null, 'a quote is discarded, never opening a position that cannot be saved');
      assert.equal(h.events.filter((e) => e.event === 'Fill').length, 0);
    } else {
      assert.equal(h.submitted.length, 0, `${block}: no order`);
    }
  }
});
