// The tick path, frame by frame: funding settled from the exchange's price channel (once, with the
// right sign, owed by the position open at the settlement even if it closed since), gaps reported for
// backfill, missed candles checked against the position, entries blocked while data is stale or state
// cannot be saved, no fill before an order's time plus its latency, and the liquidity cap from live candles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingExecutor } from './helpers/recording-executor.js';
import { MarketTimeExecutor } from '../src/main/trading/market-time-executor.js';
import { TradingCore, type CoreConfig } from '../src/main/trading/trading-core.js';
import { decodeFrame, encodeBook, encodeKline, encodePrice } from '../src/shared/bitunix/index.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import type { EngineEvent, FillEvent } from '../src/shared/events.js';
import { createRng } from '../src/shared/rng.js';
import { TickRing } from '../src/shared/tick-ring.js';
import type { Order, Side } from '../src/shared/types.js';
import { CORE_CONFIG, sinkWith } from './helpers/core-sink.js';

const T0 = Date.UTC(2026, 0, 5, 7, 50); // 10 minutes before the 08:00 settlement
const H8 = Date.UTC(2026, 0, 5, 8, 0);

function setup(signal: Side | null = null, over: Partial<CoreConfig> & { marketTimeCapacity?: number } = {}) {
  const events: EngineEvent[] = [];
  const submitted: Order[] = [];
  const gaps: Array<[number, number]> = [];
  const sink = sinkWith({ record: (e) => void events.push(e), gap: (a, b) => void gaps.push([a, b]), error: (m) => assert.fail(m) });
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0 }, createRng(1), freshBrokerState(10_000, T0));
  const { marketTimeCapacity, ...cfg } = over;
  const executor = marketTimeCapacity === undefined ? new RecordingExecutor(submitted) : new MarketTimeExecutor(marketTimeCapacity);
  const core = new TradingCore(
    { ...CORE_CONFIG, ...cfg },
    broker,
    new CandleBuilder(60_000),
    TickRing.allocate(64),
    { name: 't', onCandle: () => (signal ? { side: signal } : null) },
    sink,
    executor,
  );
  const book = (ts: number, bid: number): void => core.onFrame(decodeFrame(encodeBook('BTCUSDT', ts, bid, bid + 0.1, 1, 1)), ts);
  const kline = (ts: number, c: number, volume = 10): void =>
    core.onFrame(decodeFrame(encodeKline('BTCUSDT', 'market_kline_1min', ts, { open: c, high: c + 5, low: c - 5, close: c, volume })), ts);
  const open = (side: Side, at: number): void => {
    core.onQuote(
      { id: `o-${side}`, side, qty: 0.5, refPrice: 100_000, sl: side === 'LONG' ? 90_000 : 110_000, tp: side === 'LONG' ? 110_000 : 90_000, createdAt: at },
      { orderId: `o-${side}`, ts: at, bid: 100_000, ask: 100_000.1, last: 100_000, latencyMs: 0, synthetic: false },
    );
  };
  return { core, broker, events, submitted, gaps, book, kline, open };
}

const price = (ts: number, fundingTime: number, frPercent: number): string =>
  encodePrice('BTCUSDT', ts, {
    markPrice: 100_000,
    indexPrice: 100_000,
    fundingRate: frPercent / 100,
    fundingTime,
    nextFundingTime: fundingTime + 8 * 3600_000,
  });

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
    if (block === 'stale') h.core.markStale();
    if (block === 'entries') h.core.blockEntries('stopping');
    if (block === 'fills') h.core.blockFills('disk full');
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

const fills = (events: EngineEvent[]): FillEvent[] => events.filter((e): e is FillEvent => e.event === 'Fill');

test('funding is charged to a position held across the settlement and closed a minute later, before the next price frame', () => {
  const h = setup();
  h.book(T0, 100_000);
  h.open('LONG', T0); // 0.5 BTC, stop 90 000
  h.book(H8 + 300, 100_000); // the first tick after 08:00: still held
  h.book(H8 + 60_000, 89_000); // 08:01: stopped out
  assert.equal(h.broker.state.position, null);
  const before = h.broker.state.equity;
  h.core.onFrame(decodeFrame(price(H8 + 61_000, H8, 0.01)), H8 + 61_000); // the rate settled at 08:00
  h.core.onFrame(decodeFrame(price(H8 + 62_000, H8, 0.01)), H8 + 62_000);
  const funding = h.events.filter((e) => e.event === 'FundingApplied') as Array<{ amount: number; fundingTime: number }>;
  assert.equal(funding.length, 1, 'charged once');
  assert.equal(funding[0]!.fundingTime, H8);
  // 0.01 % of 0.5 BTC at the 08:00 mark (the book's mid then: 100 000.05), not at the 89 000 of the exit
  const owed = 0.0001 * 0.5 * 100_000.05;
  assert.ok(Math.abs(funding[0]!.amount + owed) < 1e-9, `expected -${owed}, got ${funding[0]!.amount}`);
  assert.ok(Math.abs(h.broker.state.equity - (before - owed)) < 1e-9);
});

test('no fill before the order time plus its sampled latency: an older quote waits for the book to catch up', () => {
  const h = setup('LONG', { latency: { min: 200, max: 200, rng: createRng(4) } });
  h.book(T0, 100_000);
  h.kline(T0 + 1, 100_000);
  h.kline(T0 + 60_001, 100_000); // closes the first candle: the strategy buys
  const order = h.submitted[0]!;
  assert.equal(order.latencyMs, 200);
  const queued = h.events.find((e) => e.event === 'OrderQueued') as { at: number; latencyMs: number };
  assert.deepEqual([queued.at, queued.latencyMs], [order.createdAt, 200]);
  // The worker's wait ended, but the ring's newest tick is from before the order even existed.
  h.core.onQuote(order, { orderId: order.id, ts: T0, bid: 100_000, ask: 100_000.1, last: 100_000, latencyMs: 200, synthetic: false });
  h.book(order.createdAt + 199, 100_000);
  assert.equal(fills(h.events).length, 0);
  assert.equal(h.events.filter((e) => e.event === 'OrderRejected').length, 0, 'the order is not lost either');
  h.book(order.createdAt + 200, 100_001);
  const f = fills(h.events);
  assert.equal(f.length, 1);
  assert.deepEqual([f[0]!.at, f[0]!.orderAt, f[0]!.latencyMs, f[0]!.priceBeforeSlippage], [order.createdAt + 200, order.createdAt, 200, 100_001.1]);
});

test('the liquidity cap comes from the live candle that just closed; its remainder fills as a taker with slippage on a later tick', () => {
  const h = setup('LONG', { latency: { min: 100, max: 100, rng: createRng(5) }, marketTimeCapacity: 5 });
  h.book(T0, 100_000);
  h.kline(T0 + 1, 100_000, 0.4); // 0.4 BTC traded: at most 0.1 BTC a fill
  h.kline(T0 + 60_001, 100_000, 0.4);
  const { at } = h.events.find((e) => e.event === 'OrderQueued') as { at: number };
  h.book(at + 99, 100_000);
  assert.equal(fills(h.events).length, 0, 'not before the latency');
  h.book(at + 100, 100_000);
  const [entry] = fills(h.events);
  assert.ok(entry && Math.abs(entry.qty - 0.1) < 1e-12, `capped at 25 % of the live candle: ${entry?.qty}`);
  assert.equal(h.events.filter((e) => e.event === 'WorkingOrderPlaced').length, 1);
  h.book(at + 100, 100_000); // the same instant again
  h.book(at + 500, 100_000); // later, but this candle's liquidity is spent
  assert.equal(fills(h.events).length, 1);
  h.kline(T0 + 120_001, 100_000, 10); // the next close brings 2.5 BTC of liquidity
  h.book(T0 + 120_500, 100_002);
  const rest = fills(h.events)[1]!;
  assert.ok(rest, 'the remainder filled');
  assert.equal(rest.liquidity, 'taker');
  assert.equal(rest.priceBeforeSlippage, 100_002.1);
  assert.ok(rest.price > 100_002.1, 'slipped against the buyer, never at the raw touch');
  const slip = DEFAULT_BROKER_CONFIG.slipBps + (DEFAULT_BROKER_CONFIG.impactBpsPerMillion * rest.qty * 100_002.1) / 1_000_000;
  assert.ok(Math.abs(rest.price - 100_002.1 * (1 + slip / 10_000)) < 1e-6);
  assert.ok(Math.abs(rest.fee - (rest.qty * rest.price * DEFAULT_BROKER_CONFIG.takerBps) / 10_000) < 1e-9, 'taker fee');
  assert.ok(Math.abs(h.broker.state.position!.qty - (entry.qty + rest.qty)) < 1e-12);
});
