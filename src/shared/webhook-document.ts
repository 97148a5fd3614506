// What a webhook receiver is sent: which journal events are notified, and the JSON document for one of
// them (the event's fields, the symbol, and a one-line text for humans, the field Slack displays).
export const NOTIFIED_EVENTS: ReadonlySet<string> = new Set(['Fill', 'Exit', 'TradingState', 'BreakerTripped', 'WsFatal', 'SessionEnd']);

/** A notification as POSTed: who, what, a line for humans (Slack reads `text`), and the event's fields. */
export interface WebhookDocument {
  symbol: string;
  event: string;
  text: string;
  [field: string]: unknown;
}

const num = (x: unknown): string => (typeof x === 'number' && Number.isFinite(x) ? String(Number(x.toPrecision(10))) : String(x));
const signedMoney = (x: unknown): string => (typeof x === 'number' ? `${x >= 0 ? '+' : ''}${x.toFixed(2)}` : String(x));

/** The one-line human text of a notified event. */
export function notificationText(symbol: string, e: Record<string, unknown>): string {
  switch (e.event) {
    case 'Fill':
      return `${symbol}: opened ${String(e.side)} ${num(e.qty)} @ ${num(e.price)} (fee ${num(e.fee)}, stop ${num(e.sl)}, target ${num(e.tp)})`;
    case 'Exit': {
      const net = typeof e.pnl === 'number' && typeof e.fee === 'number' ? e.pnl - e.fee : e.pnl;
      return `${symbol}: closed by ${String(e.reason)} ${num(e.qty)} @ ${num(e.price)}, PnL ${signedMoney(e.pnl)} gross, ${signedMoney(net)} after the exit fee`;
    }
    case 'TradingState':
      return `${symbol}: trading ${String(e.state)}${e.reason ? ` (${String(e.reason)})` : ''}${e.previous ? `, was ${String(e.previous)}` : ''}`;
    case 'BreakerTripped':
      return `${symbol}: circuit breaker tripped (${String(e.reason)}${e.detail ? `: ${String(e.detail)}` : ''}), flattening`;
    case 'WsFatal':
      return `${symbol}: market data lost for good (${String(e.reason)}), the session stops`;
    case 'SessionEnd':
      return `${symbol}: session ended (${String(e.reason)}, exit ${String(e.exitCode)}, ${String(e.errors ?? 0)} errors)`;
    default:
      return `${symbol}: ${String(e.event)}`;
  }
}

export function webhookDocument(symbol: string, e: Record<string, unknown>): WebhookDocument {
  return { ...e, symbol, event: String(e.event), text: notificationText(symbol, e) };
}
