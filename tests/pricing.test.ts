// Pricing: the numbers every fill, exit and funding settlement is made of, for linear and inverse contracts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adverse, averageEntry, baseQty, fee, fundingAmount, grossPnl, impactBps, notional, qtyFromBase, touchPrice } from '../src/shared/pricing.js';

const near = (actual: number, expected: number, eps = 1e-9): void =>
  assert.ok(Math.abs(actual - expected) <= eps * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);

test('fee is notional × bps / 10 000 (taker 6 bps on 0.3333 BTC at 100 000.1)', () => {
  // 0.3333 × 100 000.1 = 33 330.03333; × 0.0006 = 19.998019998
  near(fee(notional('linear', 0.3333, 100_000.1), 6), 19.998019998);
  near(fee(50_000, 2), 10);
});

test('notional: linear is qty × price, inverse qty is already USD', () => {
  assert.equal(notional('linear', 0.5, 100_000), 50_000);
  assert.equal(notional('inverse', 33_333, 100_000), 33_333);
});

test('base quantity for the liquidity cap converts inverse USD contracts at the price', () => {
  assert.equal(baseQty('linear', 0.4, 100_000), 0.4);
  assert.equal(baseQty('inverse', 25_000, 100_000), 0.25);
  assert.equal(qtyFromBase('inverse', 0.25, 100_000), 25_000);
  assert.equal(qtyFromBase('linear', 0.25, 100_000), 0.25);
});

test('slippage and impact are always adverse: buyers pay more, sellers receive less', () => {
  near(adverse(100_000, true, 0.5), 100_005);
  near(adverse(100_000, false, 0.5), 99_995);
  // 1 bps per million: 2 000 000 of notional costs 2 bps.
  near(impactBps(2_000_000, 1), 2);
  assert.equal(touchPrice(true, 99_999, 100_001), 100_001);
  assert.equal(touchPrice(false, 99_999, 100_001), 99_999);
});

test('linear PnL: LONG (exit - entry) × qty, SHORT mirrored', () => {
  near(grossPnl('linear', 'LONG', 100_000, 101_000, 0.5), 500);
  near(grossPnl('linear', 'SHORT', 100_000, 101_000, 0.5), -500);
  near(grossPnl('linear', 'SHORT', 100_000, 99_000, 0.5), 500);
});

test('inverse PnL: qty × (1/entry - 1/exit) × exit, SHORT mirrored', () => {
  // 10 000 USD long from 50 000 to 55 000: 10 000 × (1/50 000 - 1/55 000) × 55 000 = 1 000
  near(grossPnl('inverse', 'LONG', 50_000, 55_000, 10_000), 1_000);
  near(grossPnl('inverse', 'SHORT', 50_000, 55_000, 10_000), -1_000);
  // to 40 000: 10 000 × (1/50 000 - 1/40 000) × 40 000 = -2 000
  near(grossPnl('inverse', 'LONG', 50_000, 40_000, 10_000), -2_000);
  near(grossPnl('inverse', 'SHORT', 50_000, 40_000, 10_000), 2_000);
  // Same formula as the literal one from the notes.
  near(grossPnl('inverse', 'LONG', 100_000, 99_700, 33_333), 33_333 * (1 / 100_000 - 1 / 99_700) * 99_700);
});

test('average entry is the qty-weighted mean', () => {
  near(averageEntry(1, 100, 3, 200), 175);
  near(averageEntry(0.25, 100_000, 0.0833, 100_050), (0.25 * 100_000 + 0.0833 * 100_050) / 0.3333);
});

test('funding: longs pay a positive rate, shorts receive; a negative rate reverses it', () => {
  // 0.01 % on 0.5 BTC marked at 100 000 = 5
  near(fundingAmount('linear', 'LONG', 0.0001, 0.5, 100_000), -5);
  near(fundingAmount('linear', 'SHORT', 0.0001, 0.5, 100_000), 5);
  near(fundingAmount('linear', 'LONG', -0.0001, 0.5, 100_000), 5);
  near(fundingAmount('linear', 'SHORT', -0.0001, 0.5, 100_000), -5);
  // inverse: on the USD notional, the mark does not matter
  near(fundingAmount('inverse', 'LONG', 0.0001, 50_000, 123_456), -5);
  near(fundingAmount('inverse', 'SHORT', 0.0001, 50_000, 123_456), 5);
});
