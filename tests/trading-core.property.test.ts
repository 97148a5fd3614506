// Property: whatever arrives on the socket, the tick path never throws and no NaN or Infinity ever
// reaches broker state (SPEC §2: bad frames are dropped and counted, never reaching the broker).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { RecordingExecutor } from './helpers/recording-executor.js';
import { TradingCore } from '../src/main/trading/trading-core.js';
import { decodeFrame, encodeBook, encodeKline, encodePrice, encodeTrade } from '../src/shared/bitunix/index.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import type { EngineEvent } from '../src/shared/events.js';
import { createRng } from '../src/shared/rng.js';
import type { Strategy } from '../src/shared/strategy.js';
import { TickRing } from '../src/shared/tick-ring.js';
import type { Order } from '../src/shared/types.js';
import { CORE_CONFIG, sinkWith } from './helpers/core-sink.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0);

function allFinite(x: unknown, path = 'state'): string | null {
  if (typeof x === 'number') return Number.isFinite(x) ? null : `${path} = ${x}`;
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const bad = allFinite(x[i], `${path}[${i}]`);
      if (bad) return bad;
    }
  } else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      const bad = allFinite(v, `${path}.${k}`);
      if (bad) return bad;
    }
  }
  return null;
}

// Enters on every candle, alternating sides, with its own (sometimes absurd) levels.
const greedy: Strategy = {
  name: 'greedy',
  onCandle: (_candles, ctx) => (ctx.position ? null : { side: ctx.barIndex % 2 ? 'LONG' : 'SHORT' }),
};

function harness() {
  const events: EngineEvent[] = [];
  const pending: Order[] = [];
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0 }, createRng(1), freshBrokerState(10_000, T0));
  const sink = sinkWith({ record: (e) => events.push(e) });
  const core = new TradingCore(CORE_CONFIG, broker, new CandleBuilder(60_000), TickRing.allocate(64), greedy, sink, new RecordingExecutor(pending));
  return { core, broker, events, pending };
}

const num = fc.oneof(fc.double({ min: 1, max: 200_000, noNaN: true }), fc.constantFrom(0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e300, 5e-324));

/** Frames shaped like the exchange's, with arbitrary (often hostile) numbers and times. */
const frame = fc.oneof(
  fc
    .record({ dt: fc.integer({ min: -10_000, max: 120_000 }), bid: num, spread: fc.double({ min: -5, max: 50, noNaN: true }) })
    .map((r) => ({ kind: 'book' as const, ...r })),
  fc.record({ dt: fc.integer({ min: -10_000, max: 120_000 }), p: num }).map((r) => ({ kind: 'trade' as const, ...r })),
  fc.record({ dt: fc.integer({ min: 0, max: 120_000 }), o: num, h: num, l: num, c: num, v: num }).map((r) => ({ kind: 'kline' as const, ...r })),
  fc
    .record({ dt: fc.integer({ min: 0, max: 60_000 }), fr: fc.double({ min: -1, max: 1, noNaN: true }), mp: num })
    .map((r) => ({ kind: 'price' as const, ...r })),
  fc.string({ maxLength: 200 }).map((text) => ({ kind: 'raw' as const, text })),
  fc.jsonValue().map((v) => ({ kind: 'raw' as const, text: JSON.stringify(v) ?? 'null' })),
);

test('arbitrary frames through the codec and the tick path: no throw, no NaN in broker state', () => {
  fc.assert(
    fc.property(fc.array(frame, { minLength: 1, maxLength: 300 }), (frames) => {
      const h = harness();
      let ts = T0;
      for (const f of frames) {
        let text: string;
        if (f.kind === 'raw') text = f.text;
        else {
          ts += f.dt;
          if (f.kind === 'book') text = encodeBook('BTCUSDT', ts, f.bid, f.bid + f.spread, 1, 1);
          else if (f.kind === 'trade') text = encodeTrade('BTCUSDT', ts, f.p, 0.5, 'buy');
          else if (f.kind === 'kline') text = encodeKline('BTCUSDT', 'market_kline_1min', ts, { open: f.o, high: f.h, low: f.l, close: f.c, volume: f.v });
          else
            text = encodePrice('BTCUSDT', ts, {
              markPrice: f.mp,
              indexPrice: f.mp,
              fundingRate: f.fr / 100,
              fundingTime: Math.floor(ts / 28_800_000) * 28_800_000,
              nextFundingTime: Math.floor(ts / 28_800_000) * 28_800_000 + 28_800_000,
            });
        }
        h.core.onFrame(decodeFrame(text), ts);
        // execution: every queued order is quoted from the current book, as the worker would
        for (const o of h.pending.splice(0)) {
          const t = h.core.tick;
          h.core.onQuote(o, {
            orderId: o.id,
            ts: t.ts || o.createdAt,
            bid: t.bid || o.refPrice,
            ask: t.ask || o.refPrice,
            last: t.last || o.refPrice,
            latencyMs: 0,
            synthetic: !h.core.haveBook,
          });
        }
        const bad = allFinite(h.broker.state);
        if (bad) throw new Error(`non-finite number in broker state: ${bad}`);
      }
      for (const e of h.events) {
        const bad = allFinite(e, e.event);
        if (bad) throw new Error(`non-finite number in a journaled event: ${bad}`);
      }
    }),
    { numRuns: 300, seed: 42 },
  );
});

test('valid frames do trade in that harness (the property above is not vacuous)', () => {
  const h = harness();
  let ts = T0;
  let price = 100_000;
  for (let i = 0; i < 400; i++) {
    ts += 15_000;
    price += i % 20 < 10 ? 80 : -80; // swings of 800 cross a 30 bps stop or target
    h.core.onFrame(decodeFrame(encodeBook('BTCUSDT', ts, price, price + 0.1, 1, 1)), ts);
    h.core.onFrame(
      decodeFrame(encodeKline('BTCUSDT', 'market_kline_1min', ts, { open: price, high: price + 5, low: price - 5, close: price, volume: 10 })),
      ts,
    );
    for (const o of h.pending.splice(0)) {
      const t = h.core.tick;
      h.core.onQuote(o, { orderId: o.id, ts: t.ts, bid: t.bid, ask: t.ask, last: t.last, latencyMs: 0, synthetic: false });
    }
  }
  const names = h.events.map((e) => e.event);
  assert.ok(names.includes('Fill'), 'fills happen');
  assert.ok(names.includes('Exit'), 'exits happen');
  assert.equal(h.core.badFramesTotal, 0);
});
