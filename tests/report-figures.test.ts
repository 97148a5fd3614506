// The figures of final_report.json against a hand computation on a small journal: three trades over
// three market days on 12-hour candles, funding paid on the first. Every number below is worked out by
// hand from the events (the arithmetic is written out), not by the code under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyEvent, freshBrokerState } from '../src/shared/broker-state.js';
import { isBrokerEvent, type BrokerEvent, type EngineEvent, type JournalEntry } from '../src/shared/events.js';
import { sessionStart } from './helpers/events.js';
import type { Candle } from '../src/shared/types.js';
import { buildFinalReport, marketRecord, summaryText } from '../src/main/reports.js';

const H = 3_600_000;
const D0 = Date.UTC(2024, 11, 1); // 2024-12-01 00:00 UTC
const fill = (id: string, side: 'LONG' | 'SHORT', price: number, qty: number, fee: number, at: number): EngineEvent => ({
  event: 'Fill',
  orderId: id,
  side,
  price,
  qty,
  fee,
  liquidity: 'taker',
  sl: side === 'LONG' ? price - 5 : price + 5,
  tp: side === 'LONG' ? price + 10 : price - 10,
  at,
});
const exit = (id: string, reason: 'TP' | 'SL', price: number, qty: number, pnl: number, fee: number, at: number): EngineEvent => ({
  event: 'Exit',
  orderId: id,
  reason,
  price,
  qty,
  pnl,
  fee,
  source: 'tick',
  at,
});

const EVENTS: EngineEvent[] = [
  sessionStart({ balance: 10_000 }),
  fill('t1', 'LONG', 100, 1, 1, D0 + 1 * H),
  { event: 'FundingApplied', rate: 0.005, amount: -0.5, fundingTime: D0 + 8 * H, side: 'LONG', at: D0 + 8 * H },
  exit('t1', 'TP', 110, 1, 10, 1, D0 + 20 * H),
  fill('t2', 'SHORT', 105, 2, 1, D0 + 30 * H),
  exit('t2', 'SL', 108, 2, -6, 1, D0 + 38 * H),
  fill('t3', 'LONG', 100, 1, 0.5, D0 + 51 * H),
  exit('t3', 'TP', 104, 1, 4, 0.5, D0 + 63 * H),
];
// a wall clock far from the market's (the run happened "now"); nothing below may depend on it
const ENTRIES = EVENTS.map((e, i) => ({ ...e, seq: i + 1, ts: Date.UTC(2026, 11, 1, 9) + i }) as JournalEntry);
const CLOSES = [102, 104, 106, 107, 101, 103];
const CANDLES: Candle[] = CLOSES.map((close, i) => ({ ts: D0 + i * 12 * H, open: close, high: close + 1, low: close - 1, close, volume: 1 }));

test('final_report figures match a hand computation on a small journal', () => {
  const start = freshBrokerState(10_000, 0);
  const end = ENTRIES.filter((e): e is JournalEntry & BrokerEvent => isBrokerEvent(e)).reduce((s, e) => applyEvent(s, e), start);
  const { curve, figures } = marketRecord({ start, entries: ENTRIES, candles: CANDLES, intervalMs: 12 * H, kind: 'linear', lastMarketTs: D0 + 72 * H });

  // equity at each candle close, marked at the close:
  //  D0 12:00  10000 − 1 (fee) − 0.5 (funding) + (102 − 100)·1       = 10000.5
  //  D1 00:00  10000 − 1 − 0.5 + 10 − 1 (t1 closed)                  = 10007.5
  //  D1 12:00  10007.5 − 1 (t2 fee) − (106 − 105)·2                  = 10004.5
  //  D2 00:00  10007.5 − 1 − 6 − 1 (t2 closed)                       =  9999.5
  //  D2 12:00  9999.5 − 0.5 (t3 fee) + (101 − 100)·1                 = 10000
  //  D3 00:00  9999.5 − 0.5 + 4 − 0.5 (t3 closed)                    = 10002.5
  assert.deepEqual(
    curve.map((p) => [new Date(p.ts).toISOString(), p.equity]),
    [
      ['2024-12-01T12:00:00.000Z', 10_000.5],
      ['2024-12-02T00:00:00.000Z', 10_007.5],
      ['2024-12-02T12:00:00.000Z', 10_004.5],
      ['2024-12-03T00:00:00.000Z', 9_999.5],
      ['2024-12-03T12:00:00.000Z', 10_000],
      ['2024-12-04T00:00:00.000Z', 10_002.5],
    ],
  );

  const r = buildFinalReport({
    exitCode: 0,
    reason: 'replay_end',
    symbol: 'BTCUSDT',
    start,
    end,
    errors: 0,
    durationSec: 12.3,
    ticks: 1,
    badFrames: 0,
    reconnects: 0,
    lastError: null,
    figures,
    generatedAt: Date.UTC(2026, 11, 1, 9, 30),
    tradingState: { state: 'HALTED', reason: 'kill_switch' },
  });
  assert.deepEqual(r.tradingState, { state: 'HALTED', reason: 'kill_switch' });
  const days = [10_007.5 / 10_000 - 1, 9_999.5 / 10_007.5 - 1, 10_002.5 / 9_999.5 - 1]; // each market day's last equity
  const mean = (days[0]! + days[1]! + days[2]!) / 3;
  const sd = Math.sqrt(((days[0]! - mean) ** 2 + (days[1]! - mean) ** 2 + (days[2]! - mean) ** 2) / 2);
  const downside = Math.sqrt(days[1]! ** 2 / 3);
  const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
  assert.deepEqual(
    {
      period: r.period,
      pnl: r.pnl,
      netPnl: r.netPnl,
      grossPnl: r.grossPnl,
      fees: r.fees,
      funding: r.funding,
      trades: r.trades,
      winRate: r.winRate,
      maxDrawdown: r.maxDrawdown,
      maxDrawdownPct: r.maxDrawdownPct,
      profitFactor: r.profitFactor,
      expectancy: r.expectancy,
      sharpeDaily: r.sharpeDaily,
      sortinoDaily: r.sortinoDaily,
      exposurePct: r.exposurePct,
      avgHoldingSec: r.avgHoldingSec,
      generatedAt: r.generatedAt,
    },
    {
      period: { from: '2024-12-01T00:00:00.000Z', to: '2024-12-04T00:00:00.000Z' },
      pnl: 2.5, // 10002.5 − 10000
      netPnl: 2.5,
      grossPnl: 8, // 10 − 6 + 4
      fees: 5, // 1 + 1 + 1 + 1 + 0.5 + 0.5
      funding: -0.5,
      trades: 3,
      winRate: r4(2 / 3), // t1 (+8 after fees) and t3 (+3) win, t2 (−8) loses
      maxDrawdown: 8, // peak 10007.5 → trough 9999.5
      maxDrawdownPct: r4((8 / 10_007.5) * 100),
      profitFactor: r4((7.5 + 3) / 8), // t1 net 10 − 2 − 0.5 funding = 7.5, t3 net 3; t2 net −8
      expectancy: r4((7.5 - 8 + 3) / 3),
      sharpeDaily: r4(mean / sd),
      sortinoDaily: r4(mean / downside),
      exposurePct: Math.round(((19 + 8 + 12) / 72) * 100 * 100) / 100, // hours held over the 72-hour period
      avgHoldingSec: ((19 + 8 + 12) / 3) * 3600,
      generatedAt: '2026-12-01T09:30:00.000Z',
    },
  );
  const summary = summaryText(r);
  assert.match(summary, /period {5}2024-12-01 00:00:00 → 2024-12-04 00:00:00 UTC \(market time\)/);
  assert.match(summary, /net PnL \+2\.5 = gross 8 − fees 5 \+ funding -0\.5/);
  assert.match(summary, /max drawdown 8 \(0\.0799 %\)/);
  assert.match(summary, /profit factor 1\.3125, expectancy 0\.8333/);
  assert.match(summary, /position {3}flat, trading HALTED \(kill_switch\)/);
  assert.match(summary, /exposure {3}54\.17 % of the period in a position, average holding 13 h 00 min 00 s/);
});

test('no trades, no market data: figures are zero or null, never NaN', () => {
  const start = freshBrokerState(10_000, 0);
  const { curve, figures } = marketRecord({ start, entries: [], candles: [], intervalMs: 60_000, kind: 'linear', lastMarketTs: 0 });
  assert.deepEqual(curve, []);
  assert.deepEqual(figures, {
    periodFrom: null,
    periodTo: null,
    grossPnl: 0,
    maxDrawdown: 0,
    maxDrawdownPct: 0,
    profitFactor: null,
    expectancy: null,
    sharpeDaily: null,
    sortinoDaily: null,
    exposurePct: 0,
    avgHoldingSec: null,
  });
});

test('one market day: Sharpe and Sortino are null (a single return has no spread)', () => {
  const start = freshBrokerState(10_000, 0);
  const entries = ENTRIES.slice(0, 4); // t1 only, within 2024-12-01
  const { figures } = marketRecord({ start, entries, candles: CANDLES.slice(0, 2), intervalMs: 12 * H, kind: 'linear', lastMarketTs: D0 + 24 * H });
  assert.deepEqual([figures.sharpeDaily, figures.sortinoDaily, figures.profitFactor, figures.maxDrawdown], [null, null, null, 0]);
});
