// Signal -> Order: market entry at the close, default stop/target, risk-based size, and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOrder, type OrderParams, type OrderRefusal } from '../src/shared/order-builder.js';
import type { Result } from '../src/shared/result.js';
import type { Order } from '../src/shared/types.js';

const T = Date.UTC(2024, 0, 1, 12, 1);
const base: OrderParams = { id: 'o1', refPrice: 100_000, equity: 10_000, riskPct: 1, stopBps: 30, tpR: 1.5, kind: 'linear', at: T };

function ok(r: Result<Order, OrderRefusal>): Order {
  assert.ok(r.ok, `expected an order, got ${r.ok ? '' : r.reason}`);
  return r.value;
}
const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b)), `${a} != ${b}`);

test('LONG with defaults: stop 30 bps below, target 1.5 R, qty risks 1 % of equity (notes §4.1 example)', () => {
  const o = ok(buildOrder({ side: 'LONG' }, base));
  // stop distance 100 000 × 0.003 = 300; risk 100 → qty 1/3 BTC; SL 99 700, TP 100 450.
  near(o.sl, 99_700);
  near(o.tp, 100_450);
  near(o.qty, 100 / 300);
  assert.deepEqual({ id: o.id, side: o.side, refPrice: o.refPrice, createdAt: o.createdAt }, { id: 'o1', side: 'LONG', refPrice: 100_000, createdAt: T });
});

test('SHORT with defaults mirrors the levels', () => {
  const o = ok(buildOrder({ side: 'SHORT' }, base));
  near(o.sl, 100_300);
  near(o.tp, 99_550);
  near(o.qty, 100 / 300);
});

test('inverse: qty in USD contracts = risk × entry / stop distance', () => {
  const o = ok(buildOrder({ side: 'LONG' }, { ...base, kind: 'inverse' }));
  near(o.qty, (100 * 100_000) / 300); // 33 333.33 USD
  // Losing that qty at the stop costs exactly the risk: qty × (1/entry - 1/sl) × sl = -100.
  near(o.qty * (1 / 100_000 - 1 / o.sl) * o.sl, -100);
});

test("the signal's own stop sets the distance; its own target is used as given", () => {
  const o = ok(buildOrder({ side: 'LONG', sl: 99_000 }, base));
  near(o.sl, 99_000);
  near(o.tp, 101_500); // 1.5 × 1 000
  near(o.qty, 0.1); // 100 / 1 000
  const s = ok(buildOrder({ side: 'SHORT', sl: 100_500, tp: 98_000 }, base));
  near(s.tp, 98_000);
  near(s.qty, 100 / 500);
});

test('levels on the wrong side or non-finite are refused with a reason', () => {
  assert.deepEqual(buildOrder({ side: 'LONG', sl: 100_100 }, base), { ok: false, reason: 'sl_wrong_side' });
  assert.deepEqual(buildOrder({ side: 'LONG', sl: 100_000 }, base), { ok: false, reason: 'sl_wrong_side' });
  assert.deepEqual(buildOrder({ side: 'LONG', tp: 99_000 }, base), { ok: false, reason: 'tp_wrong_side' });
  assert.deepEqual(buildOrder({ side: 'SHORT', sl: 99_900 }, base), { ok: false, reason: 'sl_wrong_side' });
  assert.deepEqual(buildOrder({ side: 'SHORT', tp: 100_100 }, base), { ok: false, reason: 'tp_wrong_side' });
  assert.deepEqual(buildOrder({ side: 'LONG', sl: Number.NaN }, base), { ok: false, reason: 'sl_not_finite' });
  assert.deepEqual(buildOrder({ side: 'SHORT', tp: Number.POSITIVE_INFINITY }, base), { ok: false, reason: 'tp_not_finite' });
  assert.deepEqual(buildOrder({ side: 'LONG', sl: -5 }, base), { ok: false, reason: 'sl_wrong_side' });
});

test('no equity, a bad close or a bad side produce no order', () => {
  assert.deepEqual(buildOrder({ side: 'LONG' }, { ...base, equity: 0 }), { ok: false, reason: 'no_equity' });
  assert.deepEqual(buildOrder({ side: 'LONG' }, { ...base, equity: Number.NaN }), { ok: false, reason: 'no_equity' });
  assert.deepEqual(buildOrder({ side: 'LONG' }, { ...base, refPrice: Number.NaN }), { ok: false, reason: 'invalid_close' });
  assert.deepEqual(buildOrder({ side: 'UP' as 'LONG' }, base), { ok: false, reason: 'invalid_side' });
});

test('a tight stop is capped to the hard limits instead of sizing an order the broker must refuse', () => {
  // stop 2 bps: risk 100 / distance 20 = 5 BTC = 500 000 notional; capped to 98 % of min(200 000, 20 × 10 000).
  const o = ok(buildOrder({ side: 'LONG' }, { ...base, stopBps: 2, maxNotional: 200_000, maxLeverage: 20 }));
  near(o.qty, (200_000 * 0.98) / 100_000);
  const lev = ok(buildOrder({ side: 'SHORT' }, { ...base, stopBps: 2, maxNotional: 1_000_000, maxLeverage: 5 }));
  near(lev.qty, (50_000 * 0.98) / 100_000);
  const inv = ok(buildOrder({ side: 'LONG' }, { ...base, kind: 'inverse', stopBps: 2, maxNotional: 200_000, maxLeverage: 20 }));
  near(inv.qty, 200_000 * 0.98);
  // a size within the limits is untouched
  near(ok(buildOrder({ side: 'LONG' }, { ...base, maxNotional: 200_000, maxLeverage: 20 })).qty, 100 / 300);
});
