// A fill as a taker, the only way the paper broker fills: at the touch (ask for a buy, bid for a sell)
// moved adversely by the configured slippage plus the impact of the fill's notional. The entry and a
// working remainder's later fills are priced and journaled alike.
import type { BrokerConfig } from './broker-config.js';
import type { FillEvent } from './events.js';
import { adverse, fee, impactBps, notional, touchPrice } from './pricing.js';
import type { Side } from './types.js';

export interface TakerPrice {
  /** The touch the fill is priced from. */
  touch: number;
  /** Adverse slippage plus impact applied to it, in bps. */
  bps: number;
  price: number;
}

type PricingConfig = Pick<BrokerConfig, 'kind' | 'slipBps' | 'impactBpsPerMillion'>;

/** The touch a `side` order takes on the book (bid, ask). */
export function takerTouch(side: Side, bid: number, ask: number): number {
  return touchPrice(side === 'LONG', bid, ask);
}

/** The price of taking `qty` at `touch`. */
export function takerPrice(cfg: PricingConfig, side: Side, qty: number, touch: number): TakerPrice {
  const bps = cfg.slipBps + impactBps(notional(cfg.kind, qty, touch), cfg.impactBpsPerMillion);
  return { touch, bps, price: adverse(touch, side === 'LONG', bps) };
}

export interface FillTerms {
  orderId: string;
  side: Side;
  qty: number;
  sl: number;
  tp: number;
  at: number;
  orderAt: number;
  latencyMs: number;
}

/** The Fill event of a taker fill, in the journal's field order. */
export function takerFillEvent(cfg: Pick<BrokerConfig, 'kind' | 'takerBps'>, t: FillTerms, p: TakerPrice): FillEvent {
  return {
    event: 'Fill',
    orderId: t.orderId,
    side: t.side,
    price: p.price,
    qty: t.qty,
    fee: fee(notional(cfg.kind, t.qty, p.price), cfg.takerBps),
    liquidity: 'taker',
    sl: t.sl,
    tp: t.tp,
    at: t.at,
    orderAt: t.orderAt,
    latencyMs: t.latencyMs,
    priceBeforeSlippage: p.touch,
    slipBps: p.bps,
  };
}
