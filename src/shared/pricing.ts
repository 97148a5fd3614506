// Pricing arithmetic for the paper broker: fees, adverse slippage and impact, notional and PnL for
// linear (qty in base coin) and inverse (qty in USD contracts) perpetuals. Plain functions so the
// broker, the reports and the tests share one definition of every number (docs/original-system.md §2, §8.2 item 18).
import type { ContractKind, Side } from './types.js';

const BPS = 10_000;

/** +1 for LONG, -1 for SHORT: the sign of PnL per unit of favourable price move. */
export function sideSign(side: Side): 1 | -1 {
  return side === 'LONG' ? 1 : -1;
}

/** Fee for a notional at a rate in basis points (maker 2 / taker 6 by default). */
export function fee(notionalValue: number, bps: number): number {
  return (notionalValue * bps) / BPS;
}

/** Quote-coin notional: linear qty × price; inverse qty is already USD. */
export function notional(kind: ContractKind, qty: number, price: number): number {
  return kind === 'linear' ? qty * price : qty;
}

/** Size in the base coin (what candle volume is measured in): inverse converts USD contracts at the price. */
export function baseQty(kind: ContractKind, qty: number, price: number): number {
  return kind === 'linear' ? qty : qty / price;
}

/** Inverse of baseQty: how many order units a base-coin amount is at the price. */
export function qtyFromBase(kind: ContractKind, base: number, price: number): number {
  return kind === 'linear' ? base : base * price;
}

/** Impact in bps for a notional: impactBpsPerMillion per 1,000,000 of notional. */
export function impactBps(notionalValue: number, impactBpsPerMillion: number): number {
  return (impactBpsPerMillion * notionalValue) / 1_000_000;
}

/**
 * Moves a price against the trader by `bps`: a buyer pays more, a seller receives less.
 * `buying` is true for a LONG entry and a SHORT exit.
 */
export function adverse(price: number, buying: boolean, bps: number): number {
  return buying ? price * (1 + bps / BPS) : price * (1 - bps / BPS);
}

/** Book price a side trades at: buys lift the ask, sells hit the bid. */
export function touchPrice(buying: boolean, bid: number, ask: number): number {
  return buying ? ask : bid;
}

/**
 * Gross PnL in the quote coin of closing `qty` opened at `entry` at `exit`.
 * Linear: (exit - entry) × qty for LONG. Inverse: qty × (1/entry - 1/exit) coins, valued at `exit`
 * (docs/original-system.md §8.2 item 18). SHORT mirrors both.
 */
export function grossPnl(kind: ContractKind, side: Side, entry: number, exit: number, qty: number): number {
  const s = sideSign(side);
  if (kind === 'linear') return s * (exit - entry) * qty;
  // qty × (1/entry - 1/exit) × exit, written as qty × (exit/entry - 1) so a tiny exit price cannot overflow.
  return s * qty * (exit / entry - 1);
}

/**
 * Average entry after adding `q2` at `p2` to `q1` at `p1`: the qty-weighted mean, as the original's
 * position engine did (docs/original-system.md §8.2 item 18). Exact for linear; for inverse the exact (harmonic) mean
 * differs only in the second order of the price gap, and the reducer that calls this does not know the kind.
 */
export function averageEntry(q1: number, p1: number, q2: number, p2: number): number {
  return (q1 * p1 + q2 * p2) / (q1 + q2);
}

/** Funding settlement (rate as a fraction): longs pay a positive rate, shorts receive it. */
export function fundingAmount(kind: ContractKind, side: Side, rate: number, qty: number, markPrice: number): number {
  return -sideSign(side) * rate * notional(kind, qty, markPrice);
}

export function isFinitePositive(x: number): boolean {
  return Number.isFinite(x) && x > 0;
}
