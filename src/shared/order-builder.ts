// Turns a strategy's Signal into an entry Order the way the original engine did:
// market entry at the candle close, stop `stopBps` away unless the signal names `sl`, target `tpR` × the
// stop distance unless it names `tp`, and a size that loses `riskPct` % of equity at the stop.
// A signal whose levels are non-finite or on the wrong side of the entry is refused with a reason,
// so a buggy plugin costs a log line, never a nonsensical position.
import { ok, refused, type Result } from './result.js';
import type { ContractKind, Order, Signal } from './types.js';

export interface OrderParams {
  /** Idempotent client order id. */
  id: string;
  /** The entry reference: the close of the candle the strategy saw. */
  refPrice: number;
  /** Current realized equity in the quote coin. */
  equity: number;
  /** Percent of equity lost at the stop (1 = 1 %). */
  riskPct: number;
  /** Default stop distance in bps of the entry. */
  stopBps: number;
  /** Default target as a multiple of the stop distance. */
  tpR: number;
  kind: ContractKind;
  /** Market time the order is created (the candle's close). */
  at: number;
  /**
   * Hard limits the size is capped to (the broker refuses anything above them): a tight stop would
   * otherwise size a position the broker can only reject. 2 % headroom absorbs the price moving
   * during the execution latency.
   */
  maxNotional?: number;
  maxLeverage?: number;
}

const LIMIT_HEADROOM = 0.98;

/** Why a signal cannot be traded as an order. */
export type OrderRefusal =
  | 'invalid_side'
  | 'invalid_close'
  | 'no_equity'
  | 'invalid_sizing'
  | 'sl_not_finite'
  | 'tp_not_finite'
  | 'sl_wrong_side'
  | 'tp_wrong_side'
  | 'invalid_qty';

/** The order, or the reason the signal cannot be traded. */
export function buildOrder(signal: Signal, p: OrderParams): Result<Order, OrderRefusal> {
  const { equity, id, at } = p;
  const entry = p.refPrice;
  if (signal.side !== 'LONG' && signal.side !== 'SHORT') return refused('invalid_side');
  if (!Number.isFinite(entry) || entry <= 0) return refused('invalid_close');
  if (!Number.isFinite(equity) || equity <= 0) return refused('no_equity');
  if (!(p.riskPct > 0) || !(p.stopBps > 0) || !(p.tpR > 0)) return refused('invalid_sizing');
  if (signal.sl !== undefined && !Number.isFinite(signal.sl)) return refused('sl_not_finite');
  if (signal.tp !== undefined && !Number.isFinite(signal.tp)) return refused('tp_not_finite');

  const sign = signal.side === 'LONG' ? 1 : -1;
  const sl = signal.sl ?? entry - sign * entry * (p.stopBps / 10_000);
  // The stop must be strictly on the losing side (below a long's entry, above a short's).
  if (!(sign * (entry - sl) > 0) || sl <= 0) return refused('sl_wrong_side');
  const distance = Math.abs(entry - sl);
  const tp = signal.tp ?? entry + sign * distance * p.tpR;
  if (!(sign * (tp - entry) > 0) || tp <= 0) return refused('tp_wrong_side');

  const risk = (equity * p.riskPct) / 100;
  // Linear: base coins losing `risk` over `distance`. Inverse: USD contracts, whose loss at the stop is
  // qty × distance / entry, so qty = risk × entry / distance.
  let qty = p.kind === 'linear' ? risk / distance : (risk * entry) / distance;
  const capNotional = Math.min(p.maxNotional ?? Infinity, p.maxLeverage !== undefined ? equity * p.maxLeverage : Infinity) * LIMIT_HEADROOM;
  // Linear notional is qty × price; inverse qty is already USD notional.
  const capQty = p.kind === 'linear' ? capNotional / entry : capNotional;
  if (qty > capQty) qty = capQty;
  if (!Number.isFinite(qty) || qty <= 0) return refused('invalid_qty');

  return ok({ id, side: signal.side, qty, refPrice: entry, sl, tp, createdAt: at });
}
