// The broker's limits on opening a position: one at a time, an idempotent order id, the breaker, the
// throttle and rate limit, the daily loss, and the notional and leverage caps. Checked before queueing
// (at the candle's close) and again at the fill (at the filled price).
import { breakerAt, dailyLossPct } from './breaker.js';
import type { BrokerConfig } from './broker-config.js';
import { ORDER_RATE_WINDOW_MS } from './broker-state.js';
import type { EntryRefusal } from './events.js';
import { notional } from './pricing.js';
import type { BrokerState, Order } from './types.js';

/** Why `order` may not open a position at market time `at` and `price`, or null when it may. */
export function entryRefusal(s: BrokerState, cfg: BrokerConfig, order: Order, at: number, price: number): EntryRefusal | null {
  if (s.processedOrderIds.includes(order.id)) return 'duplicate_order_id';
  if (s.position) return 'position_open';
  const b = breakerAt(s.breaker, at, s.equity);
  if (b.tripped) return 'breaker_tripped';
  if (s.lastEntryAt !== null && at - s.lastEntryAt < cfg.minTradeIntervalMs) return 'throttled';
  const inWindow = s.recentOrderTimes.filter((t) => t > at - ORDER_RATE_WINDOW_MS && t <= at).length;
  if (inWindow >= cfg.maxOrdersPerMinute) return 'rate_limit_exceeded';
  if (dailyLossPct(b, s.equity) >= cfg.maxDailyLossPct) return 'daily_loss_exceeded';
  const n = notional(cfg.kind, order.qty, price);
  if (n > cfg.maxNotional) return 'notional_exceeded';
  if (!(s.equity > 0) || n / s.equity > cfg.maxLeverage) return 'leverage_exceeded';
  return null;
}
