// Which funding settlements an open position owes: every `fundingIntervalMs` boundary it was held through
// (opened at or before it) that is not yet noted or applied. On the tick path this is a division and two
// comparisons; the rate comes later, with the settlement (FundingDue, then FundingApplied).
import type { BrokerState } from './types.js';

/** Most funding settlements noted at once (a position restored after a long downtime). */
export const MAX_SETTLEMENTS_AT_ONCE = 1000;

/** Latest settlement noted or applied (-Infinity when none). */
export function fundingAccountedTo(s: BrokerState): number {
  const due = s.fundingDue;
  const last = s.lastFundingTime ?? -Infinity;
  return due && due.length > 0 ? Math.max(last, due[due.length - 1]!.fundingTime) : last;
}

/** Settlement times `from`, `from + step`, ... `latest` the position owes up to market time `at`; null when none. */
export function settlementsDue(s: BrokerState, openedAt: number, at: number, step: number): { from: number; latest: number } | null {
  const latest = Math.floor(at / step) * step;
  if (latest < openedAt) return null;
  const accounted = fundingAccountedTo(s);
  if (latest <= accounted) return null;
  const first = Math.max(Math.ceil(openedAt / step) * step, Math.floor(accounted / step) * step + step);
  return { from: Math.max(first, latest - (MAX_SETTLEMENTS_AT_ONCE - 1) * step), latest };
}
