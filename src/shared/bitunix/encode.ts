// Encoding the exchange's market pushes, byte-compatible with what Bitunix sends: the simulator serves
// them and tests feed them to the decoder.
import { BOOK_CHANNEL, TRADE_CHANNEL } from './channels.js';
import { dec, iso, isoMs, round } from './wire-values.js';

/** What a kline push carries: `turnover` (quote volume) defaults to volume × close. */
export interface KlinePush {
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  turnover?: number;
}

/** What a price push carries; `fundingRate` is a fraction (the wire carries percent). */
export interface PricePush {
  markPrice: number;
  indexPrice: number;
  fundingRate: number;
  fundingTime: number;
  nextFundingTime: number;
}

/** The start of a book push, up to the `data` field (the flood writes the rest from a cache). */
export function bookHead(symbol: string, ts: number): string {
  return `{"ch":"${BOOK_CHANNEL}","symbol":"${symbol}","ts":${ts},`;
}

/** The start of a trade push, up to the first trade's time `isoTime` (the flood writes the rest from a cache). */
export function tradeHead(symbol: string, ts: number, isoTime: string): string {
  return `{"ch":"${TRADE_CHANNEL}","symbol":"${symbol}","ts":${ts},"data":[{"t":"${isoTime}",`;
}

export function encodeBook(symbol: string, ts: number, bid: number, ask: number, bidQty: number, askQty: number): string {
  return `{"ch":"depth_book1","symbol":"${symbol}","ts":${ts},"data":{"b":[["${dec(bid, 8)}","${dec(bidQty, 8)}"]],"a":[["${dec(ask, 8)}","${dec(askQty, 8)}"]]}}`;
}

export function encodeTrade(symbol: string, ts: number, price: number, qty: number, side: 'buy' | 'sell'): string {
  return `{"ch":"trade","symbol":"${symbol}","ts":${ts},"data":[{"t":"${isoMs(ts)}","p":"${dec(price, 8)}","v":"${dec(qty, 8)}","s":"${side}"}]}`;
}

/** `b` = base volume, `q` = quote turnover (defaults to volume × close). */
export function encodeKline(symbol: string, channel: string, ts: number, c: KlinePush): string {
  const q = round(c.turnover ?? c.volume * c.close, 5);
  return `{"ch":"${channel}","symbol":"${symbol}","ts":${ts},"data":{"o":"${dec(c.open, 8)}","c":"${dec(c.close, 8)}","h":"${dec(c.high, 8)}","l":"${dec(c.low, 8)}","b":"${dec(c.volume, 8)}","q":"${dec(q, 5)}"}}`;
}

/** `fundingRate` is a fraction; the wire carries percent. */
export function encodePrice(symbol: string, ts: number, p: PricePush): string {
  const fr = dec(round(p.fundingRate * 100, 10), 10);
  return `{"ch":"price","symbol":"${symbol}","ts":${ts},"data":{"ip":"${dec(p.indexPrice, 8)}","mp":"${dec(p.markPrice, 8)}","fr":"${fr}","ft":"${iso(p.fundingTime)}","nft":"${iso(p.nextFundingTime)}"}}`;
}
