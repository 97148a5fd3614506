// The broker's state and its reducer. `applyEvent` is the ONLY place BrokerState changes: the live
// broker applies each event it emits through it, and recovery folds the journal through it, so a
// replay rebuilds exactly the state the broker had. It never mutates its input (unchanged parts are
// shared) and needs nothing but the event: no clock, no randomness, and no config except the
// processed-id cap (`reducerFor(cap)`; `applyEvent` uses the default 1000).
// The breaker's persisted peak rises with realized equity at events and with the unrealized peak the
// broker journals (BreakerPeak) at candle closes; in between the tick-level peak lives in the broker.
// An event that contradicts the state (a Fill against an opposite open position) throws: the journal
// is corrupt and recovery must not guess.
import * as breaker from './breaker.js';
import { DEFAULT_BROKER_CONFIG } from './broker-config.js';
import type { BrokerEvent, FillEvent } from './events.js';
import { averageEntry } from './pricing.js';
import type { BreakerState, BrokerState, Position } from './types.js';

/** Window of the orders-per-minute limit. */
export const ORDER_RATE_WINDOW_MS = 60_000;

export function freshBrokerState(balance: number, at: number): BrokerState {
  return shaped({
    equity: balance,
    startingEquity: balance,
    position: null,
    workingOrders: [],
    processedOrderIds: [],
    lastEntryAt: null,
    recentOrderTimes: [],
    breaker: breaker.freshBreaker(balance, at),
    lastFundingTime: null,
    stats: { trades: 0, wins: 0, fees: 0, realizedPnl: 0, funding: 0 },
  });
}

/**
 * The state rebuilt from fixed literals, the same keys in the same order every time: the broker reads it on
 * every tick, and V8 keeps one hidden class per literal, where spreads, a rest copy and an optional key made a
 * new one after most events (dozens in a month's replay), so every read of it took the slow, megamorphic path.
 * The settlements due are absent when there are none (state.json's contract), so a state has one of two shapes.
 * A part the event left as it was in `prev` (already shaped) is kept as it is: the same object, so the
 * position a blind span began with is still recognised after a funding event.
 */
export function shaped(s: BrokerState, prev?: BrokerState): BrokerState {
  const p = s.position;
  const position: Position | null =
    p === null || p === prev?.position
      ? p
      : {
          orderId: p.orderId,
          side: p.side,
          entry: p.entry,
          qty: p.qty,
          sl: p.sl,
          tp: p.tp,
          openedAt: p.openedAt,
          entryFee: p.entryFee,
          riskDistance: p.riskDistance,
          best: p.best,
          trailActive: p.trailActive,
        };
  const b = s.breaker;
  const breaker: BreakerState =
    b === prev?.breaker
      ? b
      : {
          day: b.day,
          dayStartEquity: b.dayStartEquity,
          peakEquity: b.peakEquity,
          consecutiveLosses: b.consecutiveLosses,
          tripped: b.tripped,
          reason: b.reason,
          trippedAt: b.trippedAt,
        };
  const t = s.stats;
  const stats = t === prev?.stats ? t : { trades: t.trades, wins: t.wins, fees: t.fees, realizedPnl: t.realizedPnl, funding: t.funding };
  const out: BrokerState = {
    equity: s.equity,
    startingEquity: s.startingEquity,
    position,
    workingOrders: s.workingOrders,
    processedOrderIds: s.processedOrderIds,
    lastEntryAt: s.lastEntryAt,
    recentOrderTimes: s.recentOrderTimes,
    breaker,
    lastFundingTime: s.lastFundingTime,
    stats,
  };
  // Added last, as the reducer always added it: the one other shape.
  if (s.fundingDue !== undefined) out.fundingDue = s.fundingDue;
  return out;
}

function withProcessedId(ids: string[], id: string, cap: number): string[] {
  if (ids.includes(id)) return ids;
  const next = [...ids, id];
  return next.length > cap ? next.slice(next.length - cap) : next;
}

function applyFill(s: BrokerState, ev: FillEvent, cap: number): BrokerState {
  const pos = s.position;
  const equity = s.equity - ev.fee;
  const stats = { ...s.stats, fees: s.stats.fees + ev.fee };
  if (pos) {
    // A working-order remainder filling: it adds to the open position (average entry, qty, fee).
    if (pos.side !== ev.side) throw new Error(`Fill ${ev.orderId} (${ev.side}) against an open ${pos.side} position`);
    const position: Position = {
      ...pos,
      entry: averageEntry(pos.qty, pos.entry, ev.qty, ev.price),
      qty: pos.qty + ev.qty,
      entryFee: pos.entryFee + ev.fee,
      sl: ev.sl,
      tp: ev.tp,
    };
    return { ...s, equity, stats, position, workingOrders: s.workingOrders.filter((w) => w.id !== ev.orderId) };
  }
  const position: Position = {
    orderId: ev.orderId,
    side: ev.side,
    entry: ev.price,
    qty: ev.qty,
    sl: ev.sl,
    tp: ev.tp,
    openedAt: ev.at,
    entryFee: ev.fee,
    riskDistance: Math.abs(ev.price - ev.sl),
    best: ev.price,
    trailActive: false,
  };
  return {
    ...s,
    equity,
    stats,
    position,
    processedOrderIds: withProcessedId(s.processedOrderIds, ev.orderId, cap),
    lastEntryAt: ev.at,
    recentOrderTimes: [...s.recentOrderTimes.filter((t) => t > ev.at - ORDER_RATE_WINDOW_MS), ev.at],
  };
}

export type BrokerReducer = (state: BrokerState, ev: BrokerEvent) => BrokerState;

/**
 * The reducer for a given processed-id cap (cfg.processedIdsCap): the cap is the one rule of the state
 * that depends on config, so live and replay must use the same value. `applyEvent` uses the default.
 */
export function reducerFor(processedIdsCap: number): BrokerReducer {
  if (!Number.isInteger(processedIdsCap) || processedIdsCap < 1) throw new Error(`processedIdsCap must be a positive integer, got ${processedIdsCap}`);
  return (s, ev) => shaped(reduce(s, ev, processedIdsCap), s);
}

/** Folds one broker event into the state (default processed-id cap, DEFAULT_BROKER_CONFIG.processedIdsCap). */
export const applyEvent: BrokerReducer = reducerFor(DEFAULT_BROKER_CONFIG.processedIdsCap);

function reduce(s: BrokerState, ev: BrokerEvent, cap: number): BrokerState {
  switch (ev.event) {
    case 'Fill':
      return applyFill(s, ev, cap);
    case 'Exit': {
      const entryFee = s.position?.entryFee ?? 0;
      const net = ev.pnl - entryFee - ev.fee;
      const equity = s.equity + ev.pnl - ev.fee;
      return {
        ...s,
        equity,
        position: null,
        breaker: breaker.onExit(s.breaker, net, equity),
        stats: {
          ...s.stats,
          trades: s.stats.trades + 1,
          wins: s.stats.wins + (net > 0 ? 1 : 0),
          fees: s.stats.fees + ev.fee,
          realizedPnl: s.stats.realizedPnl + net,
        },
      };
    }
    case 'OrderRejected':
      return { ...s, processedOrderIds: withProcessedId(s.processedOrderIds, ev.orderId, cap) };
    case 'WorkingOrderPlaced':
      return { ...s, workingOrders: [...s.workingOrders, ev.order] };
    case 'WorkingOrderCancelled':
      return { ...s, workingOrders: s.workingOrders.filter((w) => w.id !== ev.id) };
    case 'StopMoved':
      if (!s.position) return s;
      return { ...s, position: { ...s.position, sl: ev.sl, best: ev.best, trailActive: true } };
    case 'FundingApplied': {
      const equity = s.equity + ev.amount;
      const { fundingDue, ...rest } = s;
      const due = fundingDue?.filter((d) => d.fundingTime > ev.fundingTime) ?? [];
      return {
        ...rest,
        ...(due.length > 0 ? { fundingDue: due } : {}),
        equity,
        lastFundingTime: ev.fundingTime,
        breaker: breaker.onEquity(s.breaker, equity),
        stats: { ...s.stats, funding: s.stats.funding + ev.amount },
      };
    }
    case 'FundingDue': {
      const { fundingTime, side, qty, markPrice } = ev;
      return { ...s, fundingDue: [...(s.fundingDue ?? []), { fundingTime, side, qty, markPrice }] };
    }
    case 'BreakerTripped':
      return { ...s, breaker: breaker.onTripped(s.breaker, ev.reason, ev.detail, ev.at) };
    case 'BreakerReset':
      return { ...s, breaker: breaker.onReset(ev.day, ev.dayStartEquity) };
    case 'BreakerPeak':
      return { ...s, breaker: breaker.onPeak(s.breaker, ev.peakEquity) };
  }
}
