// No single frame moves money, driven through the trading core frame by frame with a long position open:
// frames for another symbol, prices of 1 and 3x the market, a crossed book, a ts an hour ahead, an absurd
// mark price and candle leave position, stop and equity untouched and are counted by reason, and nothing
// but trusted ticks reaches the tick ring (from which fills are priced). A genuine fast move still stops
// the position out at its first tick through the stop, and a jump past the bound does once confirmed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecordingExecutor } from './helpers/recording-executor.js';
import { TradingCore } from '../src/main/trading/trading-core.js';
import { decodeFrame, encodeBook, encodeKline, encodePrice, encodeTrade } from '../src/shared/bitunix/index.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import type { EngineEvent, ExitEvent } from '../src/shared/events.js';
import { createRng } from '../src/shared/rng.js';
import { TickRing } from '../src/shared/tick-ring.js';
import { CORE_CONFIG, sinkWith } from './helpers/core-sink.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const ENTRY = 100_000;
const SL = 97_200;

/** A core over `state` (a fresh account by default) that never enters by itself. */
function core(state = freshBrokerState(10_000, T0)) {
  const events: EngineEvent[] = [];
  const sink = sinkWith({ record: (e) => void events.push(e), error: (m) => assert.fail(m) });
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0 }, createRng(1), state);
  const ring = TickRing.allocate(64);
  const core = new TradingCore(CORE_CONFIG, broker, new CandleBuilder(60_000), ring, { name: 'none', onCandle: () => null }, sink, new RecordingExecutor());
  /** A frame as the socket delivers it, received at `recv` (its own ts unless given). */
  const frame = (text: string, ts: number, recv = ts): void => core.onFrame(decodeFrame(text), recv);
  const book = (ts: number, bid: number): void => frame(encodeBook('BTCUSDT', ts, bid, bid + 0.1, 1, 1), ts);
  return { core, broker, ring, events, frame, book };
}

/** A core trusting 100 000 with a LONG of 0.5 BTC open at 100 000, stop 97 200 (2.8 %), target 130 000. */
function withLong() {
  const h = core();
  const { broker, book } = h;
  book(T0 - 200, ENTRY);
  book(T0 - 100, ENTRY);
  h.core.onQuote(
    { id: 'long', side: 'LONG', qty: 0.5, refPrice: ENTRY, sl: SL, tp: 130_000, createdAt: T0 - 100 },
    { orderId: 'long', ts: T0 - 100, bid: ENTRY, ask: ENTRY + 0.1, last: ENTRY, latencyMs: 0, synthetic: false },
  );
  assert.equal(broker.state.position?.sl, SL);
  return h;
}

const moved = (events: EngineEvent[]): string[] =>
  events.filter((e) => ['Fill', 'Exit', 'StopMoved', 'FundingApplied', 'BreakerTripped'].includes(e.event)).map((e) => e.event);

test('hostile frames with a position open: no fill, exit, stop move or funding, equity unchanged, each counted', () => {
  const h = withLong();
  const equity = h.broker.state.equity;
  const before = h.events.length;
  let t = T0;
  const normal = (): void => h.book((t += 100), ENTRY + 10);
  // another symbol's book: the ETHUSDT bid 1 / ask 2
  h.frame(encodeBook('ETHUSDT', (t += 100), 1, 2, 1, 1), t);
  normal();
  h.frame(encodeTrade('BTCUSDT', (t += 100), 1, 0.5, 'sell'), t); // a price of 1
  normal();
  h.frame(encodeBook('BTCUSDT', (t += 100), 3 * ENTRY, 3 * ENTRY + 0.1, 1, 1), t); // 3x: would trail the stop up
  normal();
  h.frame(`{"ch":"depth_book1","symbol":"BTCUSDT","ts":${(t += 100)},"data":{"b":[["100100","1"]],"a":[["99900","1"]]}}`, t);
  // a normal price stamped an hour ahead: taken, it would make every later tick look an hour old
  h.frame(encodeBook('BTCUSDT', t + 3600_000, ENTRY, ENTRY + 0.1, 1, 1), t + 3600_000, (t += 100));
  // a mark price of 3x with a funding settlement the position was open for
  h.frame(
    encodePrice('BTCUSDT', (t += 100), {
      markPrice: 3 * ENTRY,
      indexPrice: 3 * ENTRY,
      fundingRate: 0.001,
      fundingTime: T0,
      nextFundingTime: T0 + 8 * 3600_000,
    }),
    t,
  );
  h.frame(encodeKline('BTCUSDT', 'market_kline_1min', (t += 100), { open: ENTRY, high: ENTRY + 20, low: 1, close: ENTRY + 10, volume: 3 }), t);
  for (let i = 0; i < 5; i++) normal();

  assert.deepEqual(moved(h.events.slice(before)), [], 'nothing that moves money');
  assert.equal(h.broker.state.equity, equity, 'equity unchanged');
  assert.equal(h.broker.state.position?.sl, SL, 'the stop did not move');
  assert.deepEqual(Object.fromEntries(h.core.badFrames), {
    wrong_symbol: 1,
    implausible_price: 3, // the 1, the 3x and the candle's low of 1
    crossed_book: 1,
    future_ts: 1,
    implausible_mark: 1,
  });
  assert.equal(h.core.tick.ts, t, 'later ticks are still taken (the clock did not jump an hour)');
  assert.deepEqual([h.core.tick.bid, h.core.tick.last], [ENTRY + 10, ENTRY + 0.05], 'the current tick holds only trusted prices (last: the first mid)');
  assert.equal(h.ring.latest()?.bid, ENTRY + 10, 'only trusted ticks are in the ring that prices fills');
  assert.equal(h.core.builder.forming, null, 'the corrupt candle never formed');

  // ...and a genuine move of 5 % in steps over 10 s still stops the position out at its first tick through the stop.
  for (let k = 1; k <= 10; k++) {
    const px = ENTRY * (1 - 0.005 * k);
    h.frame(encodeTrade('BTCUSDT', t + k * 1000 - 500, px + 0.1, 0.2, 'sell'), t + k * 1000 - 500);
    h.book(t + k * 1000, px);
  }
  const exits = h.events.filter((e): e is ExitEvent => e.event === 'Exit');
  assert.equal(exits.length, 1);
  const exit = exits[0]!;
  assert.equal(exit.reason, 'SL');
  assert.equal(exit.source, 'tick');
  assert.equal(exit.at, t + 6000, 'at the first tick at or below the stop (97 000 after six steps)');
  assert.ok(exit.price <= 97_000 && exit.price > 96_990, `exit at that tick's bid less slippage, got ${exit.price}`);
});

test('a jump past the bound is held until a second frame confirms it, then stops the position out', () => {
  const h = withLong();
  h.book(T0 + 500, 70_000); // -30 % in half a second
  assert.equal(h.broker.state.position?.orderId, 'long', 'one frame alone does not close the position');
  assert.equal(h.ring.latest()?.bid, ENTRY, 'nor reach the ring');
  h.frame(encodeTrade('BTCUSDT', T0 + 600, 70_000.1, 0.3, 'sell'), T0 + 600);
  const exit = h.events.find((e): e is ExitEvent => e.event === 'Exit');
  assert.ok(exit, 'confirmed: the stop is honoured');
  assert.equal(exit.reason, 'SL');
  assert.equal(exit.at, T0 + 500, 'at the confirmed tick itself');
  assert.ok(exit.price <= 70_000 && exit.price > 69_990, `gapped through: at that tick's bid, got ${exit.price}`);
  assert.equal(h.core.badFramesTotal, 0, 'a confirmed move is not a bad frame');
});

test('REST candles with a low of 1 are rejected before they may close the position, and counted', () => {
  const h = withLong();
  const M = 60_000;
  const fetched = [0, 1, 2].map((i) => ({ ts: T0 + i * M, open: ENTRY, high: ENTRY + 30, low: i === 1 ? 1 : ENTRY - 30, close: ENTRY, volume: 2 }));
  const accepted = h.core.screenCandles(fetched);
  h.core.checkMissed(accepted);
  assert.equal(h.broker.state.position?.orderId, 'long', 'the position is still open');
  assert.deepEqual(
    accepted.map((c) => c.low),
    [ENTRY - 30, ENTRY - 30],
  );
  assert.deepEqual(Object.fromEntries(h.core.badFrames), { rest_implausible_price: 1 });
});

test('after a restart with the position open, a first frame at 1 closes nothing: it is judged against the entry', () => {
  const saved = withLong().broker.state;
  const h = core(saved); // a new process over the saved state, nothing seen yet
  h.frame(encodeBook('BTCUSDT', T0 + 60_000, 1, 1.1, 1, 1), T0 + 60_000);
  h.book(T0 + 60_100, ENTRY - 50);
  assert.deepEqual(moved(h.events), [], 'no exit at 1');
  assert.equal(h.broker.state.position?.orderId, 'long');
  assert.equal(h.ring.latest()?.bid, ENTRY - 50, 'the first tick taken is the plausible one');
  assert.deepEqual(Object.fromEntries(h.core.badFrames), { implausible_price: 1 });
});
