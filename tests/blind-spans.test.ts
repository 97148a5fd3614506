// Blind spans, pure and on the tick path: every kind of blindness opens a span at the last tick seen and the
// first tick after closes it; overlapping spans merge; the minutes overlapping a span are judged only on what the
// engine did not see of them, and a stop crossed while blind exits at the stop (recovered: true), even when the
// price has come back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlindSpanTracker, SeenPrices, spanMinutes, unseenRange, type BlindCause } from '../src/shared/blind-spans.js';
import { RecordingExecutor } from './helpers/recording-executor.js';
import { TradingCore } from '../src/main/trading/trading-core.js';
import { decodeFrame, encodeBook, encodeKline } from '../src/shared/bitunix/index.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import type { EngineEvent, ExitEvent } from '../src/shared/events.js';
import { createRng } from '../src/shared/rng.js';
import { TickRing } from '../src/shared/tick-ring.js';
import type { BlindSpan } from '../src/shared/blind-spans.js';
import type { Candle, Order, Side } from '../src/shared/types.js';
import { sinkWith } from './helpers/core-sink.js';

const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 10, 0); // a minute boundary

test('each cause opens a span at the last tick seen; the first tick after closes it', () => {
  for (const cause of ['disconnect', 'stale', 'suspended', 'restart'] as BlindCause[]) {
    const t = new BlindSpanTracker();
    t.begin(cause, T0 + 10_000);
    assert.equal(t.blind, true, `${cause}: blind from the start`);
    assert.equal(t.isOpen, true);
    const span = t.resume(T0 + 30_000);
    assert.deepEqual(span, { fromTs: T0 + 10_000, toTs: T0 + 30_000, causes: [cause] });
    assert.equal(t.isOpen, false);
    assert.equal(t.blind, true, `${cause}: still blind until judged`);
    t.recovered([span!]);
    assert.equal(t.blind, false);
  }
});

test('a second cause joins the open span; nothing seen before the span means nothing to judge', () => {
  const t = new BlindSpanTracker();
  t.begin('restart', T0 + 5_000);
  t.begin('disconnect', 0); // reconnect failures before any tick this run: the restart's start stands
  t.begin('stale', T0 + 8_000);
  assert.deepEqual(t.resume(T0 + 40_000), { fromTs: T0 + 5_000, toTs: T0 + 40_000, causes: ['restart', 'disconnect', 'stale'] });
  const fresh = new BlindSpanTracker();
  fresh.begin('disconnect', 0);
  assert.equal(fresh.resume(T0), null, 'no tick before: no span');
  assert.equal(fresh.blind, false);
});

test('overlapping and touching spans merge into one; separate spans stay apart, in time order', () => {
  const t = new BlindSpanTracker();
  t.add({ fromTs: T0 + 5 * M, toTs: T0 + 6 * M, causes: ['gap'] });
  t.begin('disconnect', T0 + 10_000);
  t.resume(T0 + 70_000);
  t.add({ fromTs: T0 + 65_000, toTs: T0 + 90_000, causes: ['gap'] });
  assert.deepEqual(
    t.pending,
    [
      { fromTs: T0 + 10_000, toTs: T0 + 90_000, causes: ['disconnect', 'gap'] },
      { fromTs: T0 + 5 * M, toTs: T0 + 6 * M, causes: ['gap'] },
    ].sort((a, b) => a.fromTs - b.fromTs),
  );
  // a span judged while a larger one absorbed it stays pending until that one is judged
  t.recovered([{ fromTs: T0 + 5 * M, toTs: T0 + 6 * M, causes: ['gap'] }]);
  assert.equal(t.pending.length, 1);
  assert.equal(t.pending[0]!.toTs, T0 + 90_000);
});

test('the minutes checked are every 1-minute candle overlapping the span, the one still forming included', () => {
  assert.deepEqual(spanMinutes({ fromTs: T0 + 50_000, toTs: T0 + 50_500 }), [T0]);
  assert.deepEqual(spanMinutes({ fromTs: T0 + 50_000, toTs: T0 + 2 * M + 1 }), [T0, T0 + M, T0 + 2 * M]);
});

test('only what was not seen of a minute counts: extremes beyond the ticks seen, the open only when the span began before it', () => {
  const seen = new SeenPrices();
  for (const [ts, p] of [
    [T0 + 1000, 100],
    [T0 + 9000, 98],
    [T0 + 50_000, 101],
  ] as const)
    seen.observe(ts, p, p);
  const candle: Candle = { ts: T0, open: 100, high: 101, low: 90, close: 100, volume: 1 };
  const span = { fromTs: T0 + 10_000, toTs: T0 + 40_000 };
  assert.deepEqual(unseenRange(candle, span, seen.minute(T0)), { ts: T0, high: null, low: 90, open: null });
  assert.equal(unseenRange({ ...candle, low: 98 }, span, seen.minute(T0)), null, 'the low was seen live: already judged');
  // a minute the engine saw nothing of, that began inside the span: the whole candle, its open a gap-through price
  assert.deepEqual(unseenRange({ ...candle, ts: T0 + M }, { fromTs: T0 + 10_000, toTs: T0 + 2 * M }, seen.minute(T0 + M)), {
    ts: T0 + M,
    high: 101,
    low: 90,
    open: 100,
  });
  assert.equal(unseenRange({ ...candle, ts: T0 - M }, span, null), null, 'a minute that ended before the span is not judged');
});

// ── on the tick path ───────────────────────────────────────────────────────────────────────────────────────

function setup(signal: Side | null = null, state = freshBrokerState(10_000, T0)) {
  const events: EngineEvent[] = [];
  const spans: BlindSpan[] = [];
  const submitted: Order[] = [];
  let strategyCalls = 0;
  const sink = sinkWith({ record: (e) => void events.push(e), blindSpan: (s) => void spans.push(s), error: (m) => assert.fail(m) });
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0, slipBps: 0 }, createRng(1), state);
  const strategy = {
    name: 't',
    onCandle: () => {
      strategyCalls++;
      return signal ? { side: signal } : null;
    },
  };
  const core = new TradingCore(
    { symbol: 'BTCUSDT', kind: 'linear', intervalMs: M, riskPct: 1, stopBps: 30, tpR: 1.5 },
    broker,
    new CandleBuilder(M),
    TickRing.allocate(64),
    strategy,
    sink,
    new RecordingExecutor(submitted),
  );
  const book = (ts: number, bid: number): void => core.onFrame(decodeFrame(encodeBook('BTCUSDT', ts, bid, bid + 0.1, 1, 1)), ts);
  const kline = (ts: number, c: number): void =>
    core.onFrame(decodeFrame(encodeKline('BTCUSDT', 'market_kline_1min', ts, { open: c, high: c, low: c, close: c, volume: 10 })), ts);
  const openLong = (at: number): void => {
    core.onQuote(
      { id: 'o-1', side: 'LONG', qty: 0.1, refPrice: 100_000, sl: 99_000, tp: 102_000, createdAt: at },
      { orderId: 'o-1', ts: at, bid: 100_000, ask: 100_000, last: 100_000, latencyMs: 0, synthetic: false },
    );
  };
  const exits = (): ExitEvent[] => events.filter((e): e is ExitEvent => e.event === 'Exit');
  return { core, broker, events, spans, submitted, book, kline, openLong, exits, calls: () => strategyCalls };
}

test('a stop crossed during a 20 s outage inside one candle, the price back when data resumes: exit at the stop, recovered', () => {
  const h = setup();
  h.book(T0 + 1000, 100_000);
  h.openLong(T0 + 1000);
  h.book(T0 + 10_000, 100_010);
  h.core.blind('disconnect');
  h.book(T0 + 30_000, 100_020); // the price is back: no tick exit
  assert.equal(h.exits().length, 0);
  assert.deepEqual(h.spans, [{ fromTs: T0 + 10_000, toTs: T0 + 30_000, causes: ['disconnect'] }]);
  assert.equal(h.core.recovering, true);
  h.core.recoverSpans(h.spans, [{ ts: T0, open: 100_000, high: 100_030, low: 98_800, close: 100_020, volume: 5 }]);
  const [exit] = h.exits();
  assert.ok(exit, 'the stop crossed while blind is honoured');
  assert.equal(exit.reason, 'SL');
  assert.equal(exit.price, 99_000, "at the stop (slippage 0 here), not at the low and not at today's price");
  assert.equal(exit.recovered, true);
  assert.deepEqual(exit.span, { fromTs: T0 + 10_000, toTs: T0 + 30_000 });
  assert.equal(h.broker.state.position, null);
  assert.equal(h.core.recovering, false);
});

test('whole minutes missed: a candle that opened beyond the stop exits at its open (gap-through), once', () => {
  const h = setup();
  h.book(T0 + 1000, 100_000);
  h.openLong(T0 + 1000);
  h.core.blind('suspended');
  h.book(T0 + 3 * M + 5000, 100_000);
  h.core.recoverSpans(h.spans, [
    { ts: T0 + M, open: 100_000, high: 100_100, low: 99_500, close: 99_600, volume: 1 },
    { ts: T0 + 2 * M, open: 98_500, high: 98_600, low: 98_000, close: 98_400, volume: 1 }, // gapped through 99 000
    { ts: T0 + 3 * M, open: 98_400, high: 103_000, low: 98_300, close: 100_000, volume: 1 }, // would reach the target
  ]);
  assert.equal(h.exits().length, 1);
  assert.equal(h.exits()[0]!.reason, 'SL');
  assert.equal(h.exits()[0]!.price, 98_500);
});

test('nothing unseen crossed a level: no exit, and entries and targets wait only until the span is judged', () => {
  const h = setup('LONG');
  h.book(T0 + 1000, 100_000);
  h.openLong(T0 + 1000);
  h.book(T0 + 10_000, 99_500); // the low of the minute, seen live
  h.core.blind('stale');
  h.book(T0 + 40_000, 102_500); // above the target, but the span may have stopped the position out first
  assert.equal(h.exits().length, 0, 'a target waits while the span is judged');
  h.core.recoverSpans(h.spans, [{ ts: T0, open: 100_000, high: 102_500, low: 99_500, close: 102_500, volume: 5 }]);
  assert.equal(h.exits().length, 0, 'the low was seen live and the high after the span: nothing new');
  h.book(T0 + 41_000, 102_500);
  assert.equal(h.exits()[0]?.reason, 'TP', 'once judged, the target is taken at the next tick');
  assert.equal(h.exits()[0]?.recovered, undefined);
});

test('a stop crossed on a tick while a span is being judged exits at once', () => {
  const h = setup();
  h.book(T0 + 1000, 100_000);
  h.openLong(T0 + 1000);
  h.core.blind('disconnect');
  h.book(T0 + 20_000, 98_900);
  assert.equal(h.exits().length, 1);
  assert.equal(h.exits()[0]!.source, 'tick');
});

test('no strategy decision on a candle closed while blind or while its span is judged', () => {
  const h = setup('LONG');
  h.book(T0 + 1000, 100_000);
  h.openLong(T0 + 1000);
  h.core.onQuote(
    { id: 'o-1', side: 'LONG', qty: 0.1, refPrice: 100_000, sl: 99_000, tp: 102_000, createdAt: T0 },
    { orderId: 'o-1', ts: T0, bid: 100_000, ask: 100_000, last: 100_000, latencyMs: 0, synthetic: false },
  );
  h.kline(T0 + 2000, 100_000);
  h.book(T0 + 3000, 99_000 - 1); // stopped out on a tick: flat, the strategy may trade again
  assert.equal(h.broker.state.position, null);
  h.core.blind('disconnect');
  h.kline(T0 + M + 1000, 100_000); // closes minute 0 while blind
  h.book(T0 + M + 2000, 100_000);
  h.kline(T0 + 2 * M + 1000, 100_000); // closes minute 1 while the span waits to be judged
  assert.equal(h.calls(), 0);
  assert.equal(h.submitted.length, 0);
  h.core.recoverSpans(h.spans, []);
  h.kline(T0 + 3 * M + 1000, 100_000);
  assert.equal(h.calls(), 1, 'decisions resume once the span is judged');
});

test('a kline that skips minutes with a position open is a span of cause gap, judged like the others', () => {
  const h = setup();
  h.book(T0 + 1000, 100_000);
  h.openLong(T0 + 1000);
  h.kline(T0 + 2000, 100_000);
  h.kline(T0 + 4 * M + 1000, 100_000); // minutes 1-3 missing
  assert.equal(h.spans.length, 1);
  assert.deepEqual(h.spans[0]!.causes, ['gap']);
  assert.equal(h.spans[0]!.fromTs, T0 + M);
  h.core.recoverSpans(h.spans, [{ ts: T0 + 2 * M, open: 100_000, high: 100_000, low: 98_000, close: 99_500, volume: 1 }]);
  assert.equal(h.exits()[0]?.reason, 'SL');
  assert.equal(h.exits()[0]?.price, 99_000);
});

test("after a restart, the saved minute's seen range keeps a low seen before a trailed stop from counting as a crossing", () => {
  // The first run saw the minute's low (99 500) and then trailed the stop above it; it was killed in that minute.
  const seenBefore = { ts: T0, high: 101_600, low: 99_500 };
  const first = setup();
  first.book(T0 + 1000, 100_000);
  first.openLong(T0 + 1000);
  const pos = first.broker.state.position!;
  const saved = { ...first.broker.state, position: { ...pos, sl: 100_500, trailActive: true, best: 101_600 } };
  for (const restoreSeen of [true, false]) {
    const h = setup(null, saved); // a new process: the broker restored from the snapshot, nothing seen yet
    if (restoreSeen) h.core.restoreSeenMinute(seenBefore);
    h.core.blind('restart', T0 + 45_000);
    h.book(T0 + 70_000, 101_000);
    h.core.recoverSpans(h.spans, [{ ts: T0, open: 100_000, high: 101_600, low: 99_500, close: 101_000, volume: 1 }]);
    assert.equal(h.exits().length, restoreSeen ? 0 : 1, restoreSeen ? 'seen before the kill: not judged again' : 'without it the low counts');
  }
});
