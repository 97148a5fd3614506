// A session far longer than what its reports keep (closed candles, chart points, trade rows) still reports the
// whole session: the streamed record's figures are exactly the batch definitions of docs/reports.md over every
// event and every candle, its period starts at the first candle, its chart covers it all within budget, and it
// lists the newest trades. Sessions are generated (seeded): minutes of candles with trades between them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { markToMarketCurve } from '../src/shared/equity-curve.js';
import { isBrokerEvent, type JournalEntry } from '../src/shared/events.js';
import { computeFigures } from '../src/shared/report-figures.js';
import { barsOf, curveOf, SessionRecord } from '../src/shared/session-record.js';
import { tradesFromJournal } from '../src/shared/trade-rows.js';
import type { Candle } from '../src/shared/types.js';

const MIN = 60_000;
const T0 = Date.UTC(2024, 11, 1);

interface Session {
  candles: Candle[];
  /** In journal order, interleaved with the candles by market time. */
  entries: JournalEntry[];
  /** Where each candle closes among the entries: the candle is handed over after this many entries. */
  after: number[];
}

/** `minutes` of candles; a trade (fill, maybe funding, exit) opens now and then and lasts a few minutes. */
function session(minutes: number, rnd: () => number): Session {
  const candles: Candle[] = [];
  const entries: JournalEntry[] = [];
  const after: number[] = [];
  let price = 100;
  let seq = 0;
  let open: { id: string; side: 'LONG' | 'SHORT'; entry: number; qty: number; until: number } | null = null;
  const add = (e: object): void => {
    entries.push({ ...e, seq: ++seq, ts: Date.UTC(2026, 11, 1) + seq } as JournalEntry);
  };
  for (let m = 0; m < minutes; m++) {
    const ts = T0 + m * MIN;
    const o = price;
    price = Math.max(1, price + (rnd() - 0.5) * 2);
    const c = { ts, open: o, high: Math.max(o, price) + rnd(), low: Math.min(o, price) - rnd(), close: price, volume: rnd() * 10 };
    const at = ts + Math.floor(rnd() * MIN); // inside the minute
    if (open === null && rnd() < 0.3) {
      const side = rnd() < 0.5 ? 'LONG' : 'SHORT';
      const qty = 0.1 + rnd();
      open = { id: `o${m}`, side, entry: price, qty, until: m + 1 + Math.floor(rnd() * 6) };
      add({ event: 'Fill', orderId: open.id, side, price, qty, fee: qty * price * 0.0006, liquidity: 'taker', sl: price * 0.9, tp: price * 1.1, at });
    } else if (open !== null && m >= open.until) {
      if (rnd() < 0.3) add({ event: 'FundingApplied', rate: 0.0001, amount: -0.01 * open.qty, fundingTime: at - 1, side: open.side, at: at - 1 });
      const pnl = (open.side === 'LONG' ? price - open.entry : open.entry - price) * open.qty;
      add({ event: 'Exit', orderId: open.id, reason: pnl >= 0 ? 'TP' : 'SL', price, qty: open.qty, pnl, fee: open.qty * price * 0.0006, source: 'tick', at });
      open = null;
    }
    if (rnd() < 0.05) add({ event: 'BreakerPeak', peakEquity: 10_000 + rnd(), at: ts + MIN });
    candles.push(c);
    after.push(entries.length);
  }
  return { candles, entries, after };
}

/** The record fed as a session feeds it: entries as they are journaled, each candle when it closes. */
function streamed(s: Session, limits: { candles: number; chartPoints: number; tradeRows: number }): SessionRecord {
  const r = new SessionRecord(freshBrokerState(10_000, T0), MIN, 'linear', limits);
  let next = 0;
  s.candles.forEach((c, i) => {
    while (next < s.after[i]!) r.entry(s.entries[next++]!);
    r.closed(c);
  });
  while (next < s.entries.length) r.entry(s.entries[next++]!);
  return r;
}

function seeded(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

test('a session longer than every limit reports exactly what the definitions give over all of it (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 1_500 }), (seed, minutes) => {
      const s = session(minutes, seeded(seed));
      const lastMarketTs = T0 + minutes * MIN;
      const small = streamed(s, { candles: 50, chartPoints: 64, tradeRows: 8 }).end(lastMarketTs);
      // The definitions, in batch over everything (docs/reports.md).
      const start = freshBrokerState(10_000, T0);
      const curve = markToMarketCurve({ start, entries: s.entries, candles: s.candles, intervalMs: MIN, kind: 'linear' });
      const rows = tradesFromJournal(s.entries);
      const lastAt = s.entries.reduce((m, e) => (isBrokerEvent(e) ? Math.max(m, e.at) : m), 0);
      const to = Math.max(lastMarketTs, lastAt, curve.at(-1)?.ts ?? 0);
      const figures = computeFigures({ trades: rows, curve, startingEquity: 10_000, periodFrom: T0, periodTo: to });
      assert.deepEqual(small.figures, figures);

      assert.equal(small.candleCount, minutes);
      // candles.csv: the newest candles, at most the window
      const kept = Math.min(minutes, 50);
      assert.ok(small.candleRows.length / 6 <= 50 && small.candleRows.length / 6 >= Math.min(minutes, 45));
      assert.equal(small.candleRows[small.candleRows.length - 6], s.candles.at(-1)!.ts);
      assert.ok(kept > 0);
      // the chart: the whole session within its budget, first open to last close
      const bars = barsOf(small.chart.bars);
      const points = curveOf(small.chart.curve);
      assert.ok(bars.length <= 65, `${bars.length} bars`);
      assert.equal(bars[0]!.ts, T0);
      assert.equal(bars[0]!.open, s.candles[0]!.open);
      assert.equal(bars.at(-1)!.close, s.candles.at(-1)!.close);
      assert.equal(Math.max(...bars.map((b) => b.high)), Math.max(...s.candles.map((c) => c.high)));
      assert.ok(points.length <= 65, `${points.length} curve points`);
      assert.deepEqual(points[0], curve[0]);
      assert.deepEqual(points.at(-1), curve.at(-1));
      // the table: the newest trades, the older ones counted
      assert.equal(small.tradesNotListed + small.trades.length, rows.length);
      assert.deepEqual(small.trades, rows.slice(rows.length - small.trades.length));
    }),
    { numRuns: 60, seed: 5 },
  );
});

test('within every limit, the chart has every candle and every curve point, and every trade is listed', () => {
  const s = session(600, seeded(9));
  const r = streamed(s, { candles: 1_000, chartPoints: 1_000, tradeRows: 1_000 }).end(T0 + 600 * MIN);
  assert.deepEqual(barsOf(r.chart.bars), s.candles);
  assert.deepEqual(
    curveOf(r.chart.curve),
    markToMarketCurve({ start: freshBrokerState(10_000, T0), entries: s.entries, candles: s.candles, intervalMs: MIN, kind: 'linear' }),
  );
  assert.deepEqual(r.trades, tradesFromJournal(s.entries));
  assert.equal(r.tradesNotListed, 0);
  assert.equal(r.candleRows.length, 600 * 6);
  assert.deepEqual(
    r.fillsAndExits.map((e) => e.seq),
    s.entries.filter((e) => e.event === 'Fill' || e.event === 'Exit').map((e) => e.seq),
  );
});
