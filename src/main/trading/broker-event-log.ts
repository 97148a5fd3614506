// The log line a broker event earns beside its journal line (most earn none).
import type { BrokerEvent } from '../../shared/events.js';

export interface LogLine {
  level: 'info' | 'warn';
  obj: object;
  msg: string;
}

/** `seq` is the event's journal seq (undefined when the sink does not number events). */
export function brokerEventLog(e: BrokerEvent, seq: number | undefined): LogLine | null {
  switch (e.event) {
    case 'Fill':
      return {
        level: 'info',
        obj: { seq, orderId: e.orderId, side: e.side, price: e.price, qty: e.qty, fee: e.fee, sl: e.sl, tp: e.tp },
        msg: `FILL ${e.side} ${e.qty} @ ${e.price}`,
      };
    case 'Exit':
      return {
        level: 'info',
        obj: { seq, orderId: e.orderId, reason: e.reason, price: e.price, qty: e.qty, pnl: e.pnl, fee: e.fee, source: e.source },
        msg: `EXIT ${e.reason} @ ${e.price} pnl ${e.pnl.toFixed(2)}`,
      };
    case 'OrderRejected':
      return { level: 'info', obj: { orderId: e.orderId, reason: e.reason }, msg: 'order rejected' };
    case 'BreakerTripped':
      return { level: 'warn', obj: { reason: e.reason, detail: e.detail }, msg: 'circuit breaker tripped: flattening and ending the session' };
    default:
      return null;
  }
}
