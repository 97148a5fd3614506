// Frames the exchange should never send but a client must survive: the simulator's garbage and
// oversized faults, and the one empty frame the exchange does send for an unknown symbol.
import { BOOK_CHANNEL, TRADE_CHANNEL } from './channels.js';

/** How many different malformed frames `malformedFrame` cycles through. */
export const MALFORMED_KINDS = 6;

/** Malformed frame number `i` (mod MALFORMED_KINDS): truncated, NaN, crossed, negative, unknown shape, empty. */
export function malformedFrame(i: number, symbol: string, ts: number): string {
  switch (i % MALFORMED_KINDS) {
    case 0:
      return `{"ch":"${BOOK_CHANNEL}","symbol":"${symbol}","ts":${ts},"data":{"b":[["9`; // truncated: not JSON
    case 1:
      return `{"ch":"${BOOK_CHANNEL}","symbol":"${symbol}","ts":${ts},"data":{"b":[["NaN","1"]],"a":[["95000.1","1"]]}}`;
    case 2:
      return `{"ch":"${BOOK_CHANNEL}","symbol":"${symbol}","ts":${ts},"data":{"b":[["95001.0","1"]],"a":[["95000.1","1"]]}}`;
    case 3:
      return `{"ch":"${TRADE_CHANNEL}","symbol":"${symbol}","ts":${ts},"data":[{"t":"${new Date(ts).toISOString()}","p":"-5","v":"1","s":"buy"}]}`;
    case 4:
      return `{"event":"channel_pushed","data":{"kline":{}}}`;
    default:
      return emptyBookFrame(BOOK_CHANNEL, symbol, ts);
  }
}

/** The one frame of empty levels the exchange pushes on a depth channel of an unknown symbol. */
export function emptyBookFrame(channel: string, symbol: string, ts: number): string {
  return `{"ch":"${channel}","symbol":"${symbol}","ts":${ts},"data":{"b":[["",""]],"a":[["",""]]}}`;
}

/** A valid book frame padded to more than `minBytes` (a client with that maxPayload must refuse it). */
export function oversizedFrame(symbol: string, ts: number, minBytes: number): string {
  return `{"ch":"${BOOK_CHANNEL}","symbol":"${symbol}","ts":${ts},"data":{"b":[["95000.0","1"]],"a":[["95000.1","1"]]},"pad":"${'x'.repeat(minBytes + 16)}"}`;
}
