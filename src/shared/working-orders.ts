// What an entry leaves when the candle's liquidity cannot take all of it: a working remainder at a
// limit a little worse than the parent's fill, filled on later ticks and split again while liquidity runs
// short. Ids stay traceable to the parent: `${parent}#rest`, `#rest2`, `#rest3`...
import { adverse } from './pricing.js';
import type { Order, WorkingOrder } from './types.js';

/** A working order's worst acceptable price: the parent fill price this many bps worse. */
export const WORKING_ORDER_TOLERANCE_BPS = 10;

/** The rest of `order` after `filledQty` filled at `price` at market time `at`, or null when nothing is left. */
export function entryRemainder(order: Order, filledQty: number, price: number, at: number): WorkingOrder | null {
  const remainder = order.qty - filledQty;
  if (!(remainder > order.qty * 1e-9)) return null;
  return {
    id: `${order.id}#rest`,
    parentId: order.id,
    side: order.side,
    qty: remainder,
    limitPrice: adverse(price, order.side === 'LONG', WORKING_ORDER_TOLERANCE_BPS),
    createdAt: at,
  };
}

/** What is left of `w` after `filledQty` of it filled: same creation time, so it expires with the entry. */
export function workingRemainder(w: WorkingOrder, filledQty: number): WorkingOrder {
  const m = /#rest(\d*)$/.exec(w.id);
  const n = m ? (m[1] === '' ? 1 : Number(m[1])) : 0;
  return { ...w, id: `${w.parentId}#rest${n + 1}`, qty: w.qty - filledQty };
}
