// The paper broker, tick by tick: fills, exits, rejects, idempotency, gap-through, stop-first, trailing,
// funding, working orders, the circuit breaker, and the replay property (journal fold == live state).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG, type BrokerConfig } from '../src/shared/broker-config.js';
import { applyEvent, freshBrokerState, reducerFor } from '../src/shared/broker-state.js';
import type { BrokerEvent, ExitEvent, FillEvent } from '../src/shared/events.js';
import { buildOrder } from '../src/shared/order-builder.js';
import { createRng } from '../src/shared/rng.js';
import type { BrokerState, Candle, FillQuote, Order, Side, Tick } from '../src/shared/types.js';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const MIN = 60_000;
const DAY = 86_400_000;

/** Default config without slippage and impact, so hand-computed prices are round. */
function cfg(over: Partial<BrokerConfig> = {}): BrokerConfig {
  return { ...DEFAULT_BROKER_CONFIG, slipBps: 0, impactBpsPerMillion: 0, ...over };
}
function broker(over: Partial<BrokerConfig> = {}, balance = 10_000, seed = 1): PaperBroker {
  return new PaperBroker(cfg(over), createRng(seed), freshBrokerState(balance, T0));
}
const tick = (ts: number, bid: number, ask: number): Tick => ({ ts, bid, ask, last: bid });
const quote = (orderId: string, ts: number, bid: number, ask: number): FillQuote => ({
  orderId,
  ts,
  bid,
  ask,
  last: bid,
  latencyMs: 100,
  synthetic: false,
});
function longOrder(over: Partial<Order> = {}): Order {
  return { id: 'o1', side: 'LONG', qty: 0.3333, refPrice: 100_000, sl: 99_700, tp: 100_450, createdAt: T0, ...over };
}
function shortOrder(over: Partial<Order> = {}): Order {
  return { id: 's1', side: 'SHORT', qty: 0.3333, refPrice: 100_000, sl: 100_300, tp: 99_550, createdAt: T0, ...over };
}
const candle = (ts: number, open: number, high: number, low: number, close: number, volume = 100): Candle => ({
  ts,
  open,
  high,
  low,
  close,
  volume,
});
const near = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);
const only = <K extends BrokerEvent['event']>(evs: readonly BrokerEvent[], k: K): Extract<BrokerEvent, { event: K }>[] =>
  evs.filter((e): e is Extract<BrokerEvent, { event: K }> => e.event === k);
function exitOf(evs: readonly BrokerEvent[]): ExitEvent {
  const x = only(evs, 'Exit');
  assert.equal(x.length, 1, `expected one Exit in ${JSON.stringify(evs)}`);
  return x[0]!;
}
function fillOf(evs: readonly BrokerEvent[]): FillEvent {
  const f = only(evs, 'Fill');
  assert.equal(f.length, 1, `expected one Fill in ${JSON.stringify(evs)}`);
  return f[0]!;
}
function rejectOf(evs: readonly BrokerEvent[]): string {
  assert.equal(evs.length, 1, JSON.stringify(evs));
  assert.equal(evs[0]!.event, 'OrderRejected');
  return (evs[0] as { reason: string }).reason;
}

describe('entries', () => {
  test('a fresh state starts flat with the balance, its breaker day taken from market time', () => {
    const s = freshBrokerState(10_000, Date.UTC(2024, 5, 30, 23, 59));
    assert.deepEqual(s, {
      equity: 10_000,
      startingEquity: 10_000,
      position: null,
      workingOrders: [],
      processedOrderIds: [],
      lastEntryAt: null,
      recentOrderTimes: [],
      breaker: { day: '2024-06-30', dayStartEquity: 10_000, peakEquity: 10_000, consecutiveLosses: 0, tripped: false, reason: null, trippedAt: null },
      lastFundingTime: null,
      stats: { trades: 0, wins: 0, fees: 0, realizedPnl: 0, funding: 0 },
    });
  });

  test('LONG buys at the ask and pays 6 bps taker: equity 10 000, ask 100 000.1, qty 0.3333', () => {
    const b = broker();
    const evs = b.applyQuote(longOrder(), quote('o1', T0 + 200, 100_000, 100_000.1));
    const f = fillOf(evs);
    assert.equal(f.price, 100_000.1);
    assert.equal(f.qty, 0.3333);
    assert.equal(f.liquidity, 'taker');
    near(f.fee, 19.998019998); // 0.3333 × 100 000.1 × 0.0006
    near(b.state.equity, 10_000 - 19.998019998);
    assert.deepEqual(b.state.position, {
      orderId: 'o1',
      side: 'LONG',
      entry: 100_000.1,
      qty: 0.3333,
      sl: 99_700,
      tp: 100_450,
      openedAt: T0 + 200,
      entryFee: f.fee,
      riskDistance: 100_000.1 - 99_700,
      best: 100_000.1,
      trailActive: false,
    });
    assert.deepEqual(b.state.processedOrderIds, ['o1']);
    assert.equal(b.state.lastEntryAt, T0 + 200);
    assert.deepEqual(b.state.recentOrderTimes, [T0 + 200]);
  });

  test('SHORT sells at the bid', () => {
    const b = broker();
    const f = fillOf(b.applyQuote(shortOrder(), quote('s1', T0, 99_999.9, 100_000)));
    assert.equal(f.price, 99_999.9);
    near(f.fee, 0.3333 * 99_999.9 * 0.0006);
    assert.equal(b.state.position?.side, 'SHORT');
  });

  test('entry slippage and impact are adverse: 0.5 bps + 1 bps per million of notional', () => {
    // 0.5 BTC at ask 100 000: notional 50 000 → impact 0.05 bps; total 0.55 bps → 100 005.5
    const b = broker({ slipBps: 0.5, impactBpsPerMillion: 1 });
    const f = fillOf(b.applyQuote(longOrder({ qty: 0.5 }), quote('o1', T0, 99_999, 100_000)));
    near(f.price, 100_005.5);
    near(f.fee, 0.5 * 100_005.5 * 0.0006); // 30.00165
    const s = broker({ slipBps: 0.5, impactBpsPerMillion: 1 });
    const g = fillOf(s.applyQuote(shortOrder({ qty: 0.5 }), quote('s1', T0, 100_000, 100_001)));
    near(g.price, 99_994.5);
  });

  test('inverse LONG: fee on the USD notional', () => {
    const b = broker({ kind: 'inverse', symbol: 'BTCUSD' });
    const f = fillOf(b.applyQuote(longOrder({ qty: 33_333 }), quote('o1', T0, 99_999, 100_000)));
    near(f.fee, 33_333 * 0.0006); // 19.9998
    near(b.state.equity, 10_000 - 19.9998);
  });
});

describe('rejections', () => {
  test('one position at a time: position_open', () => {
    const b = broker();
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    const o2 = longOrder({ id: 'o2', createdAt: T0 + 2 * MIN });
    assert.equal(b.checkEntry(o2, T0 + 2 * MIN, 100_000), 'position_open');
    assert.equal(rejectOf(b.applyQuote(o2, quote('o2', T0 + 2 * MIN, 99_999, 100_000))), 'position_open');
    assert.equal(b.state.position?.orderId, 'o1');
    assert.deepEqual(b.state.processedOrderIds, ['o1', 'o2']);
  });

  test('idempotency: a processed id never fills again, whether it was filled or rejected', () => {
    const b = broker({ minTradeIntervalMs: 0 });
    fillOf(b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000)));
    b.forceClose(tick(T0 + 1000, 99_999, 100_000), 'FORCE_CLOSE');
    assert.equal(b.state.position, null);
    assert.equal(b.checkEntry(longOrder(), T0 + 2000, 100_000), 'duplicate_order_id');
    assert.equal(rejectOf(b.applyQuote(longOrder(), quote('o1', T0 + 2000, 99_999, 100_000))), 'duplicate_order_id');
    assert.equal(b.state.position, null);
    // A rejected id is processed too.
    const big = longOrder({ id: 'big', qty: 5 });
    assert.equal(rejectOf(b.applyQuote(big, quote('big', T0 + 3000, 99_999, 100_000))), 'notional_exceeded');
    assert.equal(rejectOf(b.applyQuote({ ...big, qty: 0.1 }, quote('big', T0 + 4000, 99_999, 100_000))), 'duplicate_order_id');
    assert.deepEqual(b.state.processedOrderIds, ['o1', 'big']);
  });

  test('the processed-id list keeps only the newest processedIdsCap ids', () => {
    const b = broker({ processedIdsCap: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) b.applyQuote(longOrder({ id, qty: Number.NaN }), quote(id, T0, 99_999, 100_000));
    assert.deepEqual(b.state.processedOrderIds, ['c', 'd', 'e']);
  });

  test('throttled: entries closer than minTradeIntervalMs (60 s) to the last entry', () => {
    const b = broker();
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    b.forceClose(tick(T0 + 10_000, 99_999, 100_000), 'FORCE_CLOSE');
    const o2 = longOrder({ id: 'o2' });
    assert.equal(b.checkEntry(o2, T0 + 59_999, 100_000), 'throttled');
    assert.equal(rejectOf(b.applyQuote(o2, quote('o2', T0 + 59_999, 99_999, 100_000))), 'throttled');
    const o3 = longOrder({ id: 'o3' });
    assert.equal(b.checkEntry(o3, T0 + 60_000, 100_000), null);
    fillOf(b.applyQuote(o3, quote('o3', T0 + 60_000, 99_999, 100_000)));
  });

  test('rate_limit_exceeded: more than maxOrdersPerMinute accepted orders in a sliding 60 s window', () => {
    const b = broker({ minTradeIntervalMs: 0, maxOrdersPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      fillOf(b.applyQuote(longOrder({ id: `r${i}` }), quote(`r${i}`, T0 + i * 1000, 99_999, 100_000)));
      b.forceClose(tick(T0 + i * 1000 + 500, 99_999, 100_000), 'FORCE_CLOSE');
    }
    const r3 = longOrder({ id: 'r3' });
    assert.equal(b.checkEntry(r3, T0 + 59_999, 100_000), 'rate_limit_exceeded');
    assert.equal(rejectOf(b.applyQuote(r3, quote('r3', T0 + 59_999, 99_999, 100_000))), 'rate_limit_exceeded');
    // 60 s after the first accepted order it has left the window.
    fillOf(b.applyQuote(longOrder({ id: 'r4' }), quote('r4', T0 + 60_000, 99_999, 100_000)));
    assert.deepEqual(b.state.recentOrderTimes, [T0 + 1000, T0 + 2000, T0 + 60_000]);
  });

  test('notional_exceeded above maxNotional (200 000)', () => {
    const b = broker({}, 100_000);
    const o = longOrder({ qty: 2.5 }); // 250 000 at 100 000, 2.5× leverage
    assert.equal(b.checkEntry(o, T0, 100_000), 'notional_exceeded');
    assert.equal(rejectOf(b.applyQuote(o, quote('o1', T0, 99_999, 100_000))), 'notional_exceeded');
  });

  test('leverage_exceeded above maxLeverage (20×): 20× is allowed, 20.2× is not', () => {
    const b = broker({}, 5_000);
    assert.equal(b.checkEntry(longOrder({ qty: 1.01 }), T0, 100_000), 'leverage_exceeded');
    assert.equal(rejectOf(b.applyQuote(longOrder({ qty: 1.01 }), quote('o1', T0, 99_999, 100_000))), 'leverage_exceeded');
    assert.equal(b.checkEntry(longOrder({ id: 'o2', qty: 1 }), T0, 100_000), null);
    fillOf(b.applyQuote(longOrder({ id: 'o2', qty: 1 }), quote('o2', T0, 99_999, 100_000)));
  });

  test('daily_loss_exceeded once the day lost maxDailyLossPct; the next UTC day allows entries again', () => {
    const b = broker({ maxDrawdownPct: 50, minTradeIntervalMs: 0 });
    b.applyQuote(longOrder({ qty: 1, sl: 99_500, tp: 101_000 }), quote('o1', T0, 99_999, 100_000));
    const x = exitOf(b.onTick(tick(T0 + 1000, 99_400, 99_401)));
    assert.equal(x.reason, 'SL');
    // -600 gross, fees 60 + 59.64: equity 9 280.36, 7.2 % below the day's start.
    near(b.state.equity, 10_000 - 600 - 60 - 59.64);
    const o2 = longOrder({ id: 'o2' });
    assert.equal(b.checkEntry(o2, T0 + 2000, 100_000), 'daily_loss_exceeded');
    assert.equal(rejectOf(b.applyQuote(o2, quote('o2', T0 + 2000, 99_999, 100_000))), 'daily_loss_exceeded');
    const nextDay = Date.UTC(2024, 0, 2, 0, 0, 1);
    const o3 = longOrder({ id: 'o3', createdAt: nextDay });
    assert.equal(b.checkEntry(o3, nextDay, 100_000), null);
    const evs = b.applyQuote(o3, quote('o3', nextDay, 99_999, 100_000));
    assert.deepEqual(evs[0], { event: 'BreakerReset', day: '2024-01-02', dayStartEquity: 10_000 - 600 - 60 - 59.64, at: nextDay });
    fillOf(evs);
  });

  test('breaker_tripped blocks entries', () => {
    const b = broker({ maxLosses: 1, minTradeIntervalMs: 0 });
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    const evs = b.onTick(tick(T0 + 1000, 99_600, 99_601));
    assert.equal(only(evs, 'BreakerTripped').length, 1);
    assert.equal(b.checkEntry(longOrder({ id: 'o2' }), T0 + 2000, 100_000), 'breaker_tripped');
    assert.equal(rejectOf(b.applyQuote(longOrder({ id: 'o2' }), quote('o2', T0 + 2000, 99_999, 100_000))), 'breaker_tripped');
  });

  test('invalid orders and quotes are rejected; a quote past the bracket is refused', () => {
    const b = broker();
    assert.equal(b.checkEntry(longOrder({ qty: 0 }), T0, 100_000), 'invalid_order');
    assert.equal(b.checkEntry(longOrder(), T0, Number.NaN), 'invalid_order');
    assert.equal(rejectOf(b.applyQuote(longOrder({ sl: Number.NaN }), quote('o1', T0, 99_999, 100_000))), 'invalid_order');
    assert.equal(rejectOf(b.applyQuote(longOrder({ id: 'q' }), quote('q', T0, Number.NaN, 100_000))), 'invalid_quote');
    // The ask ran below the stop during the latency: filling would open an already-stopped position.
    assert.equal(rejectOf(b.applyQuote(longOrder({ id: 'x' }), quote('x', T0, 99_649, 99_650))), 'bracket_crossed');
    assert.equal(rejectOf(b.applyQuote(shortOrder({ id: 'y' }), quote('y', T0, 99_500, 99_501))), 'bracket_crossed');
    assert.equal(b.state.position, null);
    assert.equal(b.state.equity, 10_000);
  });
});

describe('exits on ticks', () => {
  test('LONG TP at the bid: PnL, fees, equity and stats', () => {
    const b = broker();
    const f = fillOf(b.applyQuote(longOrder(), quote('o1', T0, 100_000, 100_000.1)));
    assert.equal(only(b.onTick(tick(T0 + 1000, 100_449.9, 100_450)), 'Exit').length, 0);
    const x = exitOf(b.onTick(tick(T0 + 2000, 100_450, 100_450.1)));
    const pnl = (100_450 - 100_000.1) * 0.3333; // 149.95167
    const exitFee = 0.3333 * 100_450 * 0.0006; // 20.087991
    assert.deepEqual(
      { ...x, pnl: 0, fee: 0 },
      {
        event: 'Exit',
        orderId: 'o1',
        reason: 'TP',
        price: 100_450,
        qty: 0.3333,
        pnl: 0,
        fee: 0,
        source: 'tick',
        at: T0 + 2000,
        priceBeforeSlippage: 100_450,
        slipBps: 0,
      },
    );
    near(x.pnl, pnl);
    near(x.fee, exitFee);
    near(b.state.equity, 10_000 - f.fee + pnl - exitFee);
    assert.equal(b.state.position, null);
    assert.equal(b.state.stats.trades, 1);
    assert.equal(b.state.stats.wins, 1);
    near(b.state.stats.fees, f.fee + exitFee);
    near(b.state.stats.realizedPnl, pnl - f.fee - exitFee); // 109.86566
    assert.equal(b.state.breaker.consecutiveLosses, 0);
  });

  test('LONG SL gap-through fills at the bid beyond the stop, never at the stop', () => {
    const b = broker();
    b.applyQuote(longOrder(), quote('o1', T0, 99_999.9, 100_000));
    const x = exitOf(b.onTick(tick(T0 + 1000, 99_500, 99_500.1)));
    assert.equal(x.reason, 'SL');
    assert.equal(x.price, 99_500);
    near(x.pnl, (99_500 - 100_000) * 0.3333); // -166.65
    assert.equal(b.state.stats.wins, 0);
    assert.equal(b.state.breaker.consecutiveLosses, 1);
  });

  test('SHORT SL at the ask (gap-through) and SHORT TP at the ask', () => {
    const b = broker({ minTradeIntervalMs: 0 });
    b.applyQuote(shortOrder(), quote('s1', T0, 99_999.9, 100_000));
    assert.deepEqual(b.onTick(tick(T0 + 500, 100_299, 100_299.9)), []);
    const x = exitOf(b.onTick(tick(T0 + 1000, 100_300.4, 100_300.5)));
    assert.equal(x.reason, 'SL');
    assert.equal(x.price, 100_300.5);
    near(x.pnl, (99_999.9 - 100_300.5) * 0.3333); // -100.18998
    b.applyQuote(shortOrder({ id: 's2' }), quote('s2', T0 + 2000, 99_999.9, 100_000));
    const y = exitOf(b.onTick(tick(T0 + 3000, 99_549, 99_550)));
    assert.equal(y.reason, 'TP');
    assert.equal(y.price, 99_550);
    near(y.pnl, (99_999.9 - 99_550) * 0.3333);
  });

  test('exit slippage is adverse and scaled by an RNG draw in [0.5, 1.5)', () => {
    const seed = 42;
    const b = broker({ slipBps: 2 }, 10_000, seed);
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000)); // entry: 100 000 × (1 + 2 bps) = 100 020
    const factor = createRng(seed).uniform(0.5, 1.5);
    const x = exitOf(b.onTick(tick(T0 + 1000, 100_500, 100_501)));
    near(x.price, 100_500 * (1 - (2 * factor) / 10_000));
    near(x.pnl, (x.price - 100_020) * 0.3333);
    near(x.fee, 0.3333 * x.price * 0.0006);
    // SHORT exits buy: slipped up.
    const s = broker({ slipBps: 2 }, 10_000, seed);
    s.applyQuote(shortOrder(), quote('s1', T0, 100_000, 100_001));
    const y = exitOf(s.onTick(tick(T0 + 1000, 99_499, 99_500)));
    near(y.price, 99_500 * (1 + (2 * factor) / 10_000));
  });

  test('inverse LONG SL and inverse SHORT TP use the inverse PnL formula', () => {
    const b = broker({ kind: 'inverse', symbol: 'BTCUSD', minTradeIntervalMs: 0 });
    b.applyQuote(longOrder({ qty: 33_333 }), quote('o1', T0, 99_999, 100_000));
    const x = exitOf(b.onTick(tick(T0 + 1000, 99_700, 99_701)));
    near(x.pnl, 33_333 * (1 / 100_000 - 1 / 99_700) * 99_700); // -99.999
    near(x.pnl, -99.999);
    near(x.fee, 33_333 * 0.0006);
    near(b.state.equity, 10_000 - 19.9998 - 99.999 - 19.9998);
    b.applyQuote(shortOrder({ id: 's1', qty: 33_333 }), quote('s1', T0 + 2000, 100_000, 100_001));
    const y = exitOf(b.onTick(tick(T0 + 3000, 99_549, 99_550)));
    near(y.pnl, -33_333 * (1 / 100_000 - 1 / 99_550) * 99_550); // +149.9985
    near(y.pnl, 149.9985);
  });

  test('unrealized marks LONG at the bid and SHORT at the ask; equityWith adds it', () => {
    const b = broker();
    b.applyQuote(longOrder({ qty: 0.5 }), quote('o1', T0, 99_999, 100_000));
    near(b.unrealized(tick(T0 + 1, 100_100, 100_200)), 50);
    near(b.equityWith(tick(T0 + 1, 100_100, 100_200)), 10_000 - 30 + 50);
    near(b.equityWith(null), 10_000 - 30);
    assert.equal(b.unrealized(tick(T0 + 1, Number.NaN, 100_200)), 0);
    const s = broker();
    s.applyQuote(shortOrder({ qty: 0.5 }), quote('s1', T0, 100_000, 100_001));
    near(s.unrealized(tick(T0 + 1, 99_800, 99_900)), 50);
  });

  test('non-finite, non-positive or crossed ticks are ignored', () => {
    const b = broker();
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    const before = b.state;
    for (const t of [
      tick(T0 + 1, Number.NaN, 100_000),
      tick(T0 + 1, 0, 1),
      tick(Number.NaN, 99_000, 99_001),
      tick(T0 + 1, 99_000, 98_000),
      tick(T0 + 1, 99_000, Number.POSITIVE_INFINITY),
    ]) {
      assert.deepEqual(b.onTick(t), []);
    }
    assert.equal(b.state, before);
  });
});

describe('exits on candles', () => {
  const C = T0 + MIN; // a candle opening after the entry

  test('LONG: both touched → SL first at the stop; gap below the stop → the open', () => {
    const b = broker({ minTradeIntervalMs: 0 });
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    const x = exitOf(b.onCandle(candle(C, 100_000, 100_500, 99_600, 100_100), MIN));
    assert.deepEqual([x.reason, x.price, x.source, x.at], ['SL', 99_700, 'candle', C + MIN]);
    near(x.pnl, (99_700 - 100_000) * 0.3333);
    near(x.fee, 0.3333 * 99_700 * 0.0006);
    b.applyQuote(longOrder({ id: 'o2' }), quote('o2', C + MIN, 99_999, 100_000));
    const y = exitOf(b.onCandle(candle(C + MIN, 99_600, 99_800, 99_500, 99_700), MIN));
    assert.deepEqual([y.reason, y.price], ['SL', 99_600]);
  });

  test('LONG: target touched only → TP at the target, or at the open when it opened beyond', () => {
    const b = broker({ minTradeIntervalMs: 0 });
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    assert.deepEqual(b.onCandle(candle(C, 100_000, 100_400, 99_800, 100_100), MIN), []);
    const x = exitOf(b.onCandle(candle(C + MIN, 100_100, 100_500, 99_800, 100_300), MIN));
    assert.deepEqual([x.reason, x.price], ['TP', 100_450]);
    b.applyQuote(longOrder({ id: 'o2' }), quote('o2', C + 2 * MIN, 99_999, 100_000));
    const y = exitOf(b.onCandle(candle(C + 2 * MIN, 100_600, 100_700, 100_500, 100_650), MIN));
    assert.deepEqual([y.reason, y.price], ['TP', 100_600]);
  });

  test('SHORT mirrored: stop-first, gap above the stop, target', () => {
    const b = broker({ minTradeIntervalMs: 0 });
    b.applyQuote(shortOrder(), quote('s1', T0, 100_000, 100_001));
    const x = exitOf(b.onCandle(candle(C, 100_000, 100_400, 99_500, 99_900), MIN));
    assert.deepEqual([x.reason, x.price], ['SL', 100_300]);
    near(x.pnl, (100_000 - 100_300) * 0.3333);
    b.applyQuote(shortOrder({ id: 's2' }), quote('s2', C + MIN, 100_000, 100_001));
    const y = exitOf(b.onCandle(candle(C + MIN, 100_350, 100_400, 100_200, 100_380), MIN));
    assert.deepEqual([y.reason, y.price], ['SL', 100_350]);
    b.applyQuote(shortOrder({ id: 's3' }), quote('s3', C + 2 * MIN, 100_000, 100_001));
    const z = exitOf(b.onCandle(candle(C + 2 * MIN, 100_000, 100_200, 99_500, 99_600), MIN));
    assert.deepEqual([z.reason, z.price], ['TP', 99_550]);
  });

  test('a candle that closed before the position opened is not judged', () => {
    const b = broker();
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    assert.deepEqual(b.onCandle(candle(T0 - MIN, 100_000, 100_500, 99_000, 99_500), MIN), []);
    assert.notEqual(b.state.position, null);
  });

  test('inverse candle exit uses the inverse PnL', () => {
    const b = broker({ kind: 'inverse', symbol: 'BTCUSD' });
    b.applyQuote(longOrder({ qty: 33_333 }), quote('o1', T0, 99_999, 100_000));
    const x = exitOf(b.onCandle(candle(C, 100_000, 100_100, 99_600, 99_650), MIN));
    near(x.pnl, 33_333 * (1 / 100_000 - 1 / 99_700) * 99_700);
  });
});

describe('trailing stop', () => {
  test('LONG: arms at 1 R, trails 1 R behind the best, only tightens, emits moves of ≥ 0.1 R, exits as TRAIL', () => {
    const b = broker();
    b.applyQuote(longOrder({ qty: 0.5, tp: 101_000 }), quote('o1', T0, 99_999, 100_000)); // R = 300
    assert.deepEqual(b.onTick(tick(T0 + 1, 100_299, 100_300)), []);
    assert.deepEqual(b.onTick(tick(T0 + 2, 100_300, 100_301)), [{ event: 'StopMoved', orderId: 'o1', sl: 100_000, best: 100_300, at: T0 + 2 }]);
    assert.equal(b.state.position?.trailActive, true);
    assert.deepEqual(b.onTick(tick(T0 + 3, 100_320, 100_321)), []); // a 20 (< 30) move is not journaled
    assert.equal(b.state.position?.sl, 100_000);
    assert.deepEqual(b.onTick(tick(T0 + 4, 100_330, 100_331)), [{ event: 'StopMoved', orderId: 'o1', sl: 100_030, best: 100_330, at: T0 + 4 }]);
    assert.deepEqual(b.onTick(tick(T0 + 5, 100_200, 100_201)), []); // never loosens
    assert.equal(b.state.position?.sl, 100_030);
    const x = exitOf(b.onTick(tick(T0 + 6, 100_029, 100_030)));
    assert.deepEqual([x.reason, x.price], ['TRAIL', 100_029]);
    near(x.pnl, 29 * 0.5);
  });

  test('SHORT trails above the best (lowest ask)', () => {
    const b = broker();
    b.applyQuote(shortOrder({ qty: 0.5, tp: 99_000 }), quote('s1', T0, 100_000, 100_001)); // R = 300
    assert.deepEqual(b.onTick(tick(T0 + 1, 99_699, 99_700)), [{ event: 'StopMoved', orderId: 's1', sl: 100_000, best: 99_700, at: T0 + 1 }]);
    const x = exitOf(b.onTick(tick(T0 + 2, 99_999.5, 100_000.5)));
    assert.deepEqual([x.reason, x.price], ['TRAIL', 100_000.5]);
  });

  test('a candle is judged against the stop in force at its open, not one trailed later inside it', () => {
    const b = broker();
    b.applyQuote(longOrder({ qty: 0.5, tp: 101_000 }), quote('o1', T0, 99_999, 100_000));
    const c1 = T0 + MIN;
    b.onTick(tick(c1 + 30_000, 100_300, 100_301)); // trailed to 100 000 mid-candle
    // Its low (99 950, before the rally) is below the trailed stop but above the stop at its open (99 700).
    assert.deepEqual(b.onCandle(candle(c1, 100_000, 100_310, 99_950, 100_290), MIN), []);
    const x = exitOf(b.onCandle(candle(c1 + MIN, 100_290, 100_295, 99_950, 100_010), MIN));
    assert.deepEqual([x.reason, x.price], ['TRAIL', 100_000]);
  });
});

describe('funding', () => {
  const FT = T0 + 4 * 3600_000; // 16:00 UTC

  test('LONG pays a positive rate, once per funding time', () => {
    const b = broker();
    b.applyQuote(longOrder({ qty: 0.5 }), quote('o1', T0, 99_999, 100_000));
    const equity = b.state.equity;
    assert.deepEqual(b.applyFunding(0.0001, FT, 100_000), [{ event: 'FundingApplied', rate: 0.0001, amount: -5, fundingTime: FT, side: 'LONG', at: FT }]);
    near(b.state.equity, equity - 5);
    assert.equal(b.state.stats.funding, -5);
    assert.equal(b.state.lastFundingTime, FT);
    assert.deepEqual(b.applyFunding(0.0001, FT, 100_000), []);
    assert.deepEqual(b.applyFunding(0.0001, FT - 8 * 3600_000, 100_000), []);
    near(b.state.equity, equity - 5);
  });

  test('SHORT receives a positive rate; a negative rate reverses both', () => {
    const s = broker();
    s.applyQuote(shortOrder({ qty: 0.5 }), quote('s1', T0, 100_000, 100_001));
    assert.equal(only(s.applyFunding(0.0001, FT, 100_000), 'FundingApplied')[0]!.amount, 5);
    assert.equal(only(s.applyFunding(-0.0001, FT + 8 * 3600_000, 100_000), 'FundingApplied')[0]!.amount, -5);
    const l = broker();
    l.applyQuote(longOrder({ qty: 0.5 }), quote('o1', T0, 99_999, 100_000));
    assert.equal(only(l.applyFunding(-0.0001, FT, 100_000), 'FundingApplied')[0]!.amount, 5);
  });

  test('inverse funding is on the USD notional', () => {
    const b = broker({ kind: 'inverse', symbol: 'BTCUSD' });
    b.applyQuote(longOrder({ qty: 50_000 }), quote('o1', T0, 99_999, 100_000));
    near(only(b.applyFunding(0.0001, FT, 90_000), 'FundingApplied')[0]!.amount, -5);
  });

  test('no position, a position opened after the settlement, or bad numbers: nothing', () => {
    const b = broker();
    assert.deepEqual(b.applyFunding(0.0001, FT, 100_000), []);
    b.applyQuote(longOrder({ qty: 0.5 }), quote('o1', FT + 1, 99_999, 100_000));
    assert.deepEqual(b.applyFunding(0.0001, FT, 100_000), []);
    assert.deepEqual(b.applyFunding(Number.NaN, FT + 8 * 3600_000, 100_000), []);
    assert.deepEqual(b.applyFunding(0.0001, FT + 8 * 3600_000, 0), []);
    assert.equal(b.state.lastFundingTime, null);
  });
});

describe('liquidity cap and working orders', () => {
  test('a fill takes at most 25 % of the last candle volume; the rest rests 10 bps worse and fills as taker after the next close', () => {
    const b = broker();
    b.onCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1), MIN); // 1 BTC → cap 0.25 BTC
    const evs = b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    const f = fillOf(evs);
    assert.equal(f.qty, 0.25);
    near(f.fee, 0.25 * 100_000 * 0.0006);
    const placed = only(evs, 'WorkingOrderPlaced');
    assert.equal(placed.length, 1);
    const w = placed[0]!.order;
    assert.equal(w.parentId, 'o1');
    near(w.qty, 0.0833);
    near(w.limitPrice, 100_100); // 100 000 × (1 + 10 bps)
    assert.equal(w.createdAt, T0);
    assert.deepEqual(b.state.workingOrders, [w]);

    assert.deepEqual(b.onTick(tick(T0 + 1000, 100_149, 100_150)), []); // ask above the limit: rests
    assert.deepEqual(b.onTick(tick(T0 + 2000, 100_049, 100_050)), []); // this candle's liquidity is taken
    b.noteClosedCandle(candle(T0, 100_000, 100_150, 99_990, 100_050, 1)); // fresh liquidity
    const g = fillOf(b.onTick(tick(T0 + MIN + 2000, 100_049, 100_050)));
    assert.deepEqual([g.orderId, g.liquidity, g.price], [w.id, 'taker', 100_050]);
    near(g.fee, w.qty * 100_050 * 0.0006);
    const pos = b.state.position!;
    near(pos.qty, 0.3333);
    near(pos.entry, (0.25 * 100_000 + 0.0833 * 100_050) / 0.3333);
    near(pos.entryFee, f.fee + g.fee);
    near(b.state.equity, 10_000 - f.fee - g.fee);
    assert.deepEqual(b.state.workingOrders, []);
    // Not a new accepted order: the rate window and the processed ids do not see it.
    assert.deepEqual(b.state.recentOrderTimes, [T0]);
    assert.deepEqual(b.state.processedOrderIds, ['o1']);
  });

  test('SHORT remainder rests 10 bps below the fill and fills when the bid is at or above it', () => {
    const b = broker();
    b.onCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1), MIN);
    const evs = b.applyQuote(shortOrder(), quote('s1', T0, 100_000, 100_001));
    const w = only(evs, 'WorkingOrderPlaced')[0]!.order;
    near(w.limitPrice, 99_900);
    b.noteClosedCandle(candle(T0, 100_000, 100_010, 99_890, 99_950, 1));
    assert.deepEqual(b.onTick(tick(T0 + MIN + 1000, 99_899, 99_900)), []);
    assert.equal(fillOf(b.onTick(tick(T0 + MIN + 2000, 99_950, 99_951))).price, 99_950);
  });

  test('inverse cap converts: 25 % of 1 BTC at 100 000 is 25 000 USD contracts', () => {
    const b = broker({ kind: 'inverse', symbol: 'BTCUSD' });
    b.onCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1), MIN);
    const evs = b.applyQuote(longOrder({ qty: 33_333 }), quote('o1', T0, 99_999, 100_000));
    near(fillOf(evs).qty, 25_000);
    near(only(evs, 'WorkingOrderPlaced')[0]!.order.qty, 8_333);
  });

  test('working orders are cancelled when the position closes, on shutdown, and expire after 24 h', () => {
    const b = broker({ minTradeIntervalMs: 0 });
    b.onCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1), MIN);
    const w = only(b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000)), 'WorkingOrderPlaced')[0]!.order;
    const evs = b.onTick(tick(T0 + 1000, 99_600, 99_601));
    assert.equal(exitOf(evs).qty, 0.25);
    assert.deepEqual(only(evs, 'WorkingOrderCancelled'), [{ event: 'WorkingOrderCancelled', id: w.id, reason: 'position_closed', at: T0 + 1000 }]);
    assert.deepEqual(b.state.workingOrders, []);

    const w2 = only(b.applyQuote(longOrder({ id: 'o2' }), quote('o2', T0 + 2000, 99_999, 100_000)), 'WorkingOrderPlaced')[0]!.order;
    assert.equal(b.state.workingOrders.length, 1);
    assert.deepEqual(b.expireWorkingOrders(T0 + 2000 + DAY - 1), []);
    assert.deepEqual(b.expireWorkingOrders(T0 + 2000 + DAY), [{ event: 'WorkingOrderCancelled', id: w2.id, reason: 'expired', at: T0 + 2000 + DAY }]);
    assert.deepEqual(b.state.workingOrders, []);

    const b3 = broker();
    b3.onCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1), MIN);
    b3.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    assert.deepEqual(
      only(b3.cancelWorkingOrders('shutdown', T0 + 5), 'WorkingOrderCancelled').map((e) => e.reason),
      ['shutdown'],
    );
    assert.deepEqual(b3.state.workingOrders, []);
  });

  test('without a known candle volume there is no cap', () => {
    const b = broker();
    assert.equal(fillOf(b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000))).qty, 0.3333);
  });
});

describe('circuit breaker', () => {
  test('trips on drawdown measured from the peak including unrealized, once; the broker does not flatten by itself', () => {
    const b = broker({ maxDrawdownPct: 5 });
    b.applyQuote(longOrder({ qty: 1, sl: 90_000, tp: 120_000 }), quote('o1', T0, 99_999, 100_000)); // fee 60
    assert.deepEqual(b.onTick(tick(T0 + 1, 100_500, 100_501)), []); // equity 9 940 + 500 = 10 440: the peak
    assert.deepEqual(b.onTick(tick(T0 + 2, 99_990, 99_991)), []); // 9 930: 4.885 % below the peak
    const evs = b.onTick(tick(T0 + 3, 99_960, 99_961)); // 9 900: 5.17 % below the peak (1 % below the start)
    assert.equal(evs.length, 1);
    const t = evs[0]!;
    assert.equal(t.event, 'BreakerTripped');
    assert.equal((t as { reason: string }).reason, 'max_drawdown');
    assert.equal(b.state.breaker.tripped, true);
    assert.equal(b.state.breaker.trippedAt, T0 + 3);
    assert.notEqual(b.state.position, null);
    assert.deepEqual(b.onTick(tick(T0 + 4, 99_900, 99_901)), []); // tripped once
    const x = exitOf(b.forceClose(tick(T0 + 5, 99_900, 99_901), 'BREAKER'));
    assert.deepEqual([x.reason, x.source, x.price], ['BREAKER', 'forced', 99_900]);
  });

  test('trips on the 5th consecutive losing exit, counting a forced exit', () => {
    const b = broker({ minTradeIntervalMs: 0, maxDrawdownPct: 50, maxDailyLossPct: 50 });
    for (let i = 0; i < 4; i++) {
      b.applyQuote(longOrder({ id: `l${i}` }), quote(`l${i}`, T0 + i * 1000, 99_999, 100_000));
      const evs = b.onTick(tick(T0 + i * 1000 + 500, 99_650, 99_651));
      assert.equal(exitOf(evs).reason, 'SL');
      assert.equal(only(evs, 'BreakerTripped').length, 0);
    }
    assert.equal(b.state.breaker.consecutiveLosses, 4);
    b.applyQuote(longOrder({ id: 'l4' }), quote('l4', T0 + 5000, 99_999, 100_000));
    const evs = b.forceClose(tick(T0 + 5500, 99_999, 100_000), 'FORCE_CLOSE'); // loses the fees
    assert.equal(exitOf(evs).source, 'forced');
    const trips = only(evs, 'BreakerTripped');
    assert.equal(trips.length, 1);
    assert.equal(trips[0]!.reason, 'max_losses');
    assert.equal(b.state.breaker.consecutiveLosses, 5);
  });

  test('a win resets the streak; a candle exit counts too', () => {
    const b = broker({ minTradeIntervalMs: 0, maxDrawdownPct: 50, maxDailyLossPct: 50 });
    let t = T0;
    const lose = (): void => {
      b.applyQuote(longOrder({ id: `x${t}` }), quote(`x${t}`, t, 99_999, 100_000));
      b.onCandle(candle(t, 100_000, 100_010, 99_600, 99_650), MIN);
      t += MIN;
    };
    for (let i = 0; i < 4; i++) lose();
    assert.equal(b.state.breaker.consecutiveLosses, 4);
    b.applyQuote(longOrder({ id: 'win' }), quote('win', t, 99_999, 100_000));
    b.onTick(tick(t + 1, 100_460, 100_461));
    assert.equal(b.state.breaker.consecutiveLosses, 0);
    t += MIN;
    for (let i = 0; i < 4; i++) lose();
    assert.equal(b.state.breaker.tripped, false);
    lose();
    assert.equal(b.state.breaker.tripped, true);
  });

  test('resets on the next UTC day of market time: peak, streak and the trip', () => {
    const b = broker({ maxLosses: 1 });
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    b.onTick(tick(T0 + 1000, 99_600, 99_601));
    assert.equal(b.state.breaker.tripped, true);
    assert.deepEqual(b.onTick(tick(Date.UTC(2024, 0, 1, 23, 59, 59), 99_600, 99_601)), []);
    const midnight = Date.UTC(2024, 0, 2);
    const evs = b.onTick(tick(midnight, 99_600, 99_601));
    assert.deepEqual(evs, [{ event: 'BreakerReset', day: '2024-01-02', dayStartEquity: b.state.equity, at: midnight }]);
    assert.deepEqual(b.state.breaker, {
      day: '2024-01-02',
      dayStartEquity: b.state.equity,
      peakEquity: b.state.equity,
      consecutiveLosses: 0,
      tripped: false,
      reason: null,
      trippedAt: null,
    });
    assert.equal(b.checkEntry(longOrder({ id: 'o2' }), midnight + MIN, 100_000), null);
  });

  test('a restored tripped state stays tripped the same day (no startup reset)', () => {
    const b = broker({ maxLosses: 1 });
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    b.onTick(tick(T0 + 1000, 99_600, 99_601));
    const restored = new PaperBroker(cfg({ maxLosses: 1 }), createRng(9), JSON.parse(JSON.stringify(b.state)) as BrokerState);
    assert.equal(restored.checkEntry(longOrder({ id: 'o2' }), T0 + 2 * MIN, 100_000), 'breaker_tripped');
    assert.deepEqual(restored.onTick(tick(T0 + 2 * MIN, 99_600, 99_601)), []);
  });
});

describe('precision: what a fill may be priced from, and what the journal proves', () => {
  const H = 3600_000;

  test('no fill from a quote older than the order time plus its latency; a fill says what it was priced from', () => {
    const b = broker({ slipBps: 0.5, impactBpsPerMillion: 1 });
    const early = longOrder({ id: 'early', createdAt: T0, latencyMs: 250 });
    assert.equal(rejectOf(b.applyQuote(early, quote('early', T0 + 249, 99_999, 100_000))), 'quote_before_latency');
    assert.equal(b.state.position, null);
    const o = longOrder({ id: 'o2', createdAt: T0, latencyMs: 250 });
    const f = fillOf(b.applyQuote(o, quote('o2', T0 + 250, 99_999, 100_000)));
    assert.deepEqual([f.at, f.orderAt, f.latencyMs, f.priceBeforeSlippage], [T0 + 250, T0, 250, 100_000]);
    assert.ok(f.at >= f.orderAt! + f.latencyMs!);
    // Rechecked from the event alone: the touch moved against the buyer by slipBps, which is the
    // configured 0.5 bps plus 1 bps per million of the fill's notional.
    near(f.slipBps!, 0.5 + (f.qty * 100_000) / 1_000_000);
    near(f.price, 100_000 * (1 + f.slipBps! / 10_000));
  });

  test('an exit says the level it was decided at and the slippage applied to it', () => {
    const b = broker({ slipBps: 2 }, 10_000, 5);
    b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    const x = exitOf(b.onTick(tick(T0 + 1000, 99_500, 99_500.1)));
    assert.equal(x.priceBeforeSlippage, 99_500);
    assert.ok(x.slipBps! >= 1 && x.slipBps! < 3);
    near(x.price, 99_500 * (1 - x.slipBps! / 10_000));
  });

  test('a remainder fills as a taker with slippage and impact, never on its own tick, and only from fresh liquidity', () => {
    const b = broker({ slipBps: 0.5, impactBpsPerMillion: 1 });
    b.noteClosedCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1)); // 1 BTC → 0.25 BTC a candle
    const evs = b.applyQuote(longOrder(), quote('o1', T0, 99_999, 100_000));
    assert.equal(fillOf(evs).qty, 0.25);
    const w = only(evs, 'WorkingOrderPlaced')[0]!.order;
    near(w.qty, 0.0833);
    assert.deepEqual(b.onTick(tick(T0, 99_999, 100_000)), [], 'not on the tick the remainder was placed on');
    assert.deepEqual(b.onTick(tick(T0 + 5_000, 99_999, 100_000)), [], 'not before the next close brings liquidity');
    b.noteClosedCandle(candle(T0, 100_000, 100_010, 99_990, 100_000, 0.2)); // 0.05 BTC of liquidity
    const part = b.onTick(tick(T0 + MIN + 1, 100_009, 100_010));
    const g = fillOf(part);
    near(g.qty, 0.05);
    assert.equal(g.liquidity, 'taker');
    assert.equal(g.priceBeforeSlippage, 100_010);
    near(g.slipBps!, 0.5 + (0.05 * 100_010) / 1_000_000);
    near(g.price, 100_010 * (1 + g.slipBps! / 10_000));
    near(g.fee, 0.05 * g.price * 0.0006);
    const rest = only(part, 'WorkingOrderPlaced')[0]!.order;
    assert.deepEqual([rest.id, rest.createdAt], ['o1#rest2', T0]);
    near(rest.qty, 0.0333);
    b.noteClosedCandle(candle(T0 + MIN, 100_000, 100_010, 99_990, 100_000, 1));
    const h = fillOf(b.onTick(tick(T0 + 2 * MIN + 1, 100_009, 100_010)));
    assert.deepEqual([h.orderId, h.liquidity], ['o1#rest2', 'taker']);
    near(b.state.position!.qty, 0.3333);
    assert.deepEqual(b.state.workingOrders, []);
  });

  test('funding is owed by the position held at the settlement, even when it closes a minute later', () => {
    const at8 = Date.UTC(2024, 0, 1, 16, 0); // T0 is 12:00: the next settlement is 16:00
    const b = broker();
    b.applyQuote(longOrder({ qty: 0.5, sl: 99_000, tp: 101_000 }), quote('o1', T0, 99_999, 100_000));
    const due = b.onTick(tick(at8 + 500, 99_999, 100_001));
    assert.deepEqual(due, [{ event: 'FundingDue', fundingTime: at8, side: 'LONG', qty: 0.5, markPrice: 100_000, at: at8 + 500 }]);
    assert.equal(exitOf(b.onTick(tick(at8 + MIN, 98_900, 98_901))).reason, 'SL');
    assert.equal(b.state.position, null);
    // The rate settled at 16:00 arrives on the next price frame, after the position is gone.
    const equity = b.state.equity;
    const restored = new PaperBroker(cfg(), createRng(2), JSON.parse(JSON.stringify(b.state)) as BrokerState);
    for (const x of [b, restored]) {
      assert.deepEqual(x.applyFunding(0.0001, at8, 98_900), [{ event: 'FundingApplied', rate: 0.0001, amount: -5, fundingTime: at8, side: 'LONG', at: at8 }]);
      near(x.state.equity, equity - 5);
      assert.equal(x.state.fundingDue, undefined);
      assert.deepEqual(x.applyFunding(0.0001, at8, 98_900), [], 'once');
      assert.deepEqual(x.onTick(tick(at8 + 2 * MIN, 98_900, 98_901)), []);
    }
  });

  test('a settlement seen live is applied once: noted on the tick, paid by the frame, never noted again', () => {
    const at8 = Date.UTC(2024, 0, 1, 16, 0);
    const b = broker();
    b.applyQuote(shortOrder({ qty: 0.5, sl: 101_000, tp: 99_000 }), quote('s1', T0, 100_000, 100_001));
    // The price frame comes before any tick after 16:00: it charges the open position itself.
    assert.equal(only(b.applyFunding(0.0001, at8, 100_000), 'FundingApplied')[0]!.amount, 5);
    assert.deepEqual(b.onTick(tick(at8 + 100, 99_999, 100_001)), []);
    assert.deepEqual(b.applyFunding(0.0001, at8, 100_000), []);
    assert.equal(b.state.stats.funding, 5);
  });

  test('a blind span: settlements inside it are noted for the position held then, each once', () => {
    const b = broker();
    b.applyQuote(longOrder({ qty: 0.5, sl: 90_000, tp: 110_000 }), quote('o1', T0, 99_999, 100_000));
    const evs = b.settleFundingThrough(T0 + 13 * H, 100_000); // 16:00 and 00:00 passed while deaf
    assert.deepEqual(
      only(evs, 'FundingDue').map((e) => e.fundingTime),
      [T0 + 4 * H, T0 + 12 * H],
    );
    assert.deepEqual(b.settleFundingThrough(T0 + 13 * H, 100_000), []);
    // Only the newest rate is published: both settlements are paid at it, the older one saying so.
    const paid = only(b.applyFunding(0.0002, T0 + 12 * H, 100_000), 'FundingApplied');
    assert.deepEqual(
      paid.map((e) => [e.fundingTime, e.amount, e.rateTime]),
      [
        [T0 + 4 * H, -10, T0 + 12 * H],
        [T0 + 12 * H, -10, undefined],
      ],
    );
    assert.equal(b.state.lastFundingTime, T0 + 12 * H);
  });

  test("a settlement inside a blind span is owed only if the span's candles show the position still open then", () => {
    const at8 = Date.UTC(2024, 0, 1, 16, 0);
    const span = { fromTs: at8 - 2 * MIN, toTs: at8 + 5 * MIN };
    const range = (ts: number, open: number, low: number) => ({ ts, high: open + 10, low, open });
    const run = (stopAt: number): BrokerEvent[] => {
      const b = broker();
      b.applyQuote(longOrder({ qty: 0.5, sl: 99_000, tp: 101_000 }), quote('o1', T0, 99_999, 100_000));
      // The first tick after the span, while its candles are still being fetched: no verdict on 16:00 yet.
      assert.deepEqual(b.onTick(tick(span.toTs, 99_500, 99_501), true), []);
      const ranges = [at8 - 2 * MIN, at8 - MIN, at8, at8 + MIN].map((ts) => range(ts, 99_500, ts === stopAt ? 98_900 : 99_400));
      return b.onBlindSpan(ranges, span);
    };
    const late = run(at8 + MIN); // stopped at 16:01: held at 16:00
    assert.deepEqual(only(late, 'FundingDue'), [{ event: 'FundingDue', fundingTime: at8, side: 'LONG', qty: 0.5, markPrice: 99_500, at: at8 }]);
    assert.equal(exitOf(late).recovered, true);
    assert.ok(late.findIndex((e) => e.event === 'FundingDue') < late.findIndex((e) => e.event === 'Exit'));
    const early = run(at8 - MIN); // stopped at 15:59: gone before 16:00
    assert.equal(exitOf(early).recovered, true);
    assert.deepEqual(only(early, 'FundingDue'), []);
  });

  test('working orders expire on market time: 24 h after they were placed, at the tick that says so', () => {
    const b = broker({ maxDrawdownPct: 50 });
    b.noteClosedCandle(candle(T0 - MIN, 100_000, 100_010, 99_990, 100_000, 1));
    const wide = longOrder({ qty: 0.3333, sl: 90_000, tp: 120_000 });
    const w = only(b.applyQuote(wide, quote('o1', T0, 99_999, 100_000)), 'WorkingOrderPlaced')[0]!.order;
    assert.deepEqual(only(b.onTick(tick(T0 + DAY - 1, 100_199, 100_200)), 'WorkingOrderCancelled'), []);
    assert.deepEqual(only(b.onTick(tick(T0 + DAY, 100_199, 100_200)), 'WorkingOrderCancelled'), [
      { event: 'WorkingOrderCancelled', id: w.id, reason: 'expired', at: T0 + DAY },
    ]);
    assert.deepEqual(b.state.workingOrders, []);
  });

  test('a new UTC day starts from equity including the open position; the day peak survives a restart', () => {
    const b = broker({ maxDrawdownPct: 5 });
    const initial = b.state;
    const events: BrokerEvent[] = [];
    events.push(...b.applyQuote(longOrder({ qty: 1, sl: 90_000, tp: 120_000 }), quote('o1', T0, 99_999, 100_000))); // fee 60
    events.push(...b.onTick(tick(Date.UTC(2024, 0, 1, 23, 59, 59), 100_400, 100_401)));
    const midnight = Date.UTC(2024, 0, 2, 0, 0, 1);
    const roll = b.onTick(tick(midnight, 100_500, 100_501));
    events.push(...roll);
    assert.deepEqual(only(roll, 'BreakerReset'), [{ event: 'BreakerReset', day: '2024-01-02', dayStartEquity: 10_000 - 60 + 500, at: midnight }]);
    // The day's peak: +1 000 unrealized (10 940), journaled at the next candle close.
    events.push(...b.onTick(tick(midnight + 10_000, 101_000, 101_001)));
    events.push(...b.persistPeak(midnight + MIN));
    assert.equal(b.state.breaker.peakEquity, 10_940);
    const restored = new PaperBroker(cfg({ maxDrawdownPct: 5 }), createRng(3), JSON.parse(JSON.stringify(events.reduce(applyEvent, initial))) as BrokerState);
    // 10 390 is 5.03 % below the persisted peak (but only 3.9 % below the realized start of 9 940 + 500).
    const trip = only(restored.onTick(tick(midnight + 2 * MIN, 100_450, 100_451)), 'BreakerTripped');
    assert.equal(trip.length, 1);
    assert.equal(trip[0]!.reason, 'max_drawdown');
  });
});

// ---------------------------------------------------------------- replay

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
/** Every number anywhere in the value is finite. */
function allFinite(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (v && typeof v === 'object') return Object.values(v).every(allFinite);
  return true;
}

interface Simulation {
  initial: BrokerState;
  broker: PaperBroker;
  events: BrokerEvent[];
}

/** A long seeded random session: a random-walk book, candles, signals through the order builder, funding, closes. */
function simulate(seed: number, steps: number, over: Partial<BrokerConfig> = {}): Simulation {
  const c = cfg({ slipBps: 0.5, impactBpsPerMillion: 1, minTradeIntervalMs: 30_000, maxDrawdownPct: 12, maxDailyLossPct: 20, maxLosses: 9, ...over });
  const initial = deepFreeze(freshBrokerState(10_000, T0));
  const broker = new PaperBroker(c, createRng(seed), initial);
  const r = createRng(seed + 1000);
  const events: BrokerEvent[] = [];
  let px = 100_000;
  let t = T0;
  let bucket = Math.floor(t / MIN) * MIN;
  let o = px,
    h = px,
    l = px;
  const pending: { order: Order; at: number }[] = [];
  let n = 0;
  let lastFunding = Math.floor(t / (8 * 3600_000)) * 8 * 3600_000;
  for (let i = 0; i < steps; i++) {
    t += r.int(50, 20_000);
    px *= 1 + r.normal() * (r.next() < 0.03 ? 0.003 : 0.0002); // calm, with occasional jumps
    const spread = px * 0.00001 * r.int(1, 5);
    const tk = tick(t, px - spread / 2, px + spread / 2);
    events.push(...broker.onTick(tk));
    h = Math.max(h, px);
    l = Math.min(l, px);
    const nb = Math.floor(t / MIN) * MIN;
    if (nb > bucket) {
      const cdl = candle(bucket, o, h, l, px, r.uniform(0.1, 3));
      events.push(...broker.onCandle(cdl, MIN));
      bucket = nb;
      o = h = l = px;
      if (r.next() < 0.5) {
        const side: Side = r.next() < 0.5 ? 'LONG' : 'SHORT';
        const built = buildOrder({ side }, { id: `o${n++}`, refPrice: px, equity: broker.state.equity, riskPct: 1, stopBps: 40, tpR: 2, kind: c.kind, at: t });
        if (built.ok && broker.checkEntry(built.value, t, px) === null) pending.push({ order: built.value, at: t + r.int(50, 500) });
      }
    }
    for (let k = pending.length - 1; k >= 0; k--) {
      const p = pending[k]!;
      if (p.at <= t) {
        pending.splice(k, 1);
        events.push(...broker.applyQuote(p.order, quote(p.order.id, t, tk.bid, tk.ask)));
        // Re-deliveries of the same quote must be idempotent.
        if (r.next() < 0.2) events.push(...broker.applyQuote(p.order, quote(p.order.id, t, tk.bid, tk.ask)));
        // Sometimes a shutdown cancels a fresh remainder before it fills.
        if (broker.state.workingOrders.length > 0 && r.next() < 0.5) events.push(...broker.cancelWorkingOrders('shutdown', t));
      }
    }
    const ft = Math.floor(t / (8 * 3600_000)) * 8 * 3600_000;
    if (ft > lastFunding) {
      lastFunding = ft;
      events.push(...broker.applyFunding(r.uniform(-0.0005, 0.0005), ft, px));
    }
    if (broker.state.breaker.tripped && broker.state.position) events.push(...broker.forceClose(tk, 'BREAKER'));
    if (r.next() < 0.002) events.push(...broker.forceClose(tk, 'FORCE_CLOSE'));
    if (r.next() < 0.001) events.push(...broker.expireWorkingOrders(t));
  }
  return { initial, broker, events };
}

describe('replay', () => {
  test('folding the emitted events over the initial state rebuilds the broker state exactly (seeded, multi-day)', () => {
    const { initial, broker: b, events } = simulate(7, 80_000);
    const counts: Record<string, number> = {};
    for (const e of events) counts[e.event] = (counts[e.event] ?? 0) + 1;
    // The run must actually exercise every kind of event, or the property proves little.
    for (const k of [
      'Fill',
      'Exit',
      'OrderRejected',
      'WorkingOrderPlaced',
      'WorkingOrderCancelled',
      'StopMoved',
      'FundingApplied',
      'BreakerTripped',
      'BreakerReset',
    ]) {
      assert.ok((counts[k] ?? 0) > 0, `no ${k} in ${JSON.stringify(counts)}`);
    }
    assert.ok(b.state.stats.trades > 20, `only ${b.state.stats.trades} trades`);
    // The fold freezes each input state, so a reducer that mutated its input would throw here.
    const replayed = events.reduce((s, e) => applyEvent(deepFreeze(s), e), initial);
    assert.deepStrictEqual(replayed, b.state);
    // What is journaled and snapshotted survives JSON unchanged.
    assert.deepStrictEqual(JSON.parse(JSON.stringify(events)), events);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(b.state)), b.state);
    assert.ok(allFinite(b.state));
    // Equity is the starting balance plus everything the stats account for.
    near(b.state.equity, 10_000 + b.state.stats.realizedPnl + b.state.stats.funding - (b.state.position?.entryFee ?? 0), 1e-9);
  });

  test('replay with a non-default processed-id cap uses reducerFor(cap)', () => {
    const { initial, broker: b, events } = simulate(11, 5_000, { processedIdsCap: 5 });
    assert.equal(b.state.processedOrderIds.length, 5);
    assert.deepStrictEqual(events.reduce(reducerFor(5), initial), b.state);
  });

  test('the same seed gives the same events', () => {
    assert.deepStrictEqual(simulate(3, 3_000).events, simulate(3, 3_000).events);
  });
});

describe('no NaN ever enters state (fast-check)', () => {
  const num = fc.oneof(
    fc.double({ min: 90_000, max: 110_000, noNaN: true }),
    fc.double({ min: -1e9, max: 1e9 }),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, -1),
  );
  const dt = fc.integer({ min: -5_000, max: 12 * 3600_000 });
  const op = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        k: fc.constant('tick' as const),
        dt,
        bid: num,
        spread: num,
        // Often a small move from the last well-formed price, so stops trail and levels are touched.
        near: fc.boolean(),
        rel: fc.integer({ min: -80, max: 80 }).map((bp) => bp / 10_000),
      }),
    },
    { weight: 2, arbitrary: fc.record({ k: fc.constant('candle' as const), dt, open: num, high: num, low: num, close: num, volume: num }) },
    {
      weight: 3,
      arbitrary: fc.record({
        k: fc.constant('quote' as const),
        dt,
        id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
        long: fc.boolean(),
        qty: num,
        sl: num,
        tp: num,
        bid: num,
        ask: num,
        qts: num,
        // Half the orders are well-formed around the current book, so fills and exits really happen.
        sane: fc.boolean(),
        px: fc.double({ min: 95_000, max: 105_000, noNaN: true }),
        size: fc.double({ min: 0.001, max: 1, noNaN: true }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('funding' as const), dt, rate: num, mark: num }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('force' as const), dt, bid: num, ask: num }) },
    { weight: 1, arbitrary: fc.record({ k: fc.constant('expire' as const), dt }) },
  );

  test('random inputs, including NaN, ±Infinity, zero and negatives, leave every state number finite and replayable', () => {
    const seen: Record<string, number> = {};
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.integer({ min: 0, max: 1000 }), (ops, seed) => {
        const initial = freshBrokerState(10_000, T0);
        const b = new PaperBroker(cfg({ slipBps: 1, impactBpsPerMillion: 1, minTradeIntervalMs: 0 }), createRng(seed), initial);
        const events: BrokerEvent[] = [];
        let t = T0;
        let lastPx = 100_000;
        for (const x of ops) {
          t += x.dt;
          switch (x.k) {
            case 'tick':
              events.push(...b.onTick(x.near ? tick(t, lastPx * (1 + x.rel), lastPx * (1 + x.rel) + 0.5) : tick(t, x.bid, x.bid + x.spread)));
              break;
            case 'candle':
              events.push(...b.onCandle(candle(t, x.open, x.high, x.low, x.close, x.volume), MIN));
              break;
            case 'quote': {
              const sgn = x.long ? 1 : -1;
              const order: Order = x.sane
                ? {
                    id: x.id,
                    side: x.long ? 'LONG' : 'SHORT',
                    qty: x.size,
                    refPrice: x.px,
                    sl: x.px * (1 - sgn * 0.003),
                    tp: x.px * (1 + sgn * 0.006),
                    createdAt: t,
                  }
                : { id: x.id, side: x.long ? 'LONG' : 'SHORT', qty: x.qty, refPrice: x.bid, sl: x.sl, tp: x.tp, createdAt: t };
              const q = x.sane ? quote(x.id, t, x.px, x.px + 0.5) : { ...quote(x.id, t, x.bid, x.ask), ts: Number.isFinite(x.qts) ? t : x.qts };
              b.checkEntry(order, t, order.refPrice);
              events.push(...b.applyQuote(order, q));
              break;
            }
            case 'funding':
              events.push(...b.applyFunding(x.rate, t, x.mark));
              break;
            case 'force':
              events.push(...b.forceClose(tick(t, x.bid, x.ask), 'FORCE_CLOSE'));
              break;
            case 'expire':
              events.push(...b.expireWorkingOrders(t));
              break;
          }
          lastPx = b.state.position?.entry ?? lastPx;
          b.unrealized(tick(t, x.k === 'tick' ? x.bid : 100_000, 100_001));
          if (!allFinite(b.state)) return false;
        }
        for (const e of events) seen[e.event] = (seen[e.event] ?? 0) + 1;
        assert.deepStrictEqual(events.reduce(applyEvent, initial), b.state);
        return allFinite(events);
      }),
      { numRuns: 300, seed: 20240101 },
    );
    // The generated inputs must reach fills and exits, or the property says nothing about them.
    for (const k of ['Fill', 'Exit', 'OrderRejected', 'FundingApplied', 'StopMoved']) assert.ok((seen[k] ?? 0) > 0, `no ${k}: ${JSON.stringify(seen)}`);
  });
});
