// Bitunix WebSocket channel names: the one place that spells them.
import type { KlineInterval } from './frame.js';

/** The best bid/ask channel (one level). */
export const BOOK_CHANNEL = 'depth_book1';
export const TRADE_CHANNEL = 'trade';
/** Mark price, index price and funding. */
export const PRICE_CHANNEL = 'price';
export const KLINE_PREFIX = 'market_kline_';
/** Every depth channel (depth_book1, depth_book5, ...) starts with this. */
export const DEPTH_PREFIX = 'depth_book';

const KLINE_CHANNEL: Record<KlineInterval, string> = {
  '1m': 'market_kline_1min',
  '3m': 'market_kline_3min',
  '5m': 'market_kline_5min',
  '15m': 'market_kline_15min',
  '30m': 'market_kline_30min',
  '1h': 'market_kline_60min',
};

/** WS kline channel for an interval; one hour is `60min`, never `1h` (docs/bitunix-wire.md §1.5.3). */
export function klineChannel(interval: KlineInterval): string {
  const ch = KLINE_CHANNEL[interval];
  if (ch === undefined) throw new Error(`klineChannel: unsupported interval ${String(interval)}`);
  return ch;
}

/** Interval length of a `market_kline_<n>min` channel, or null when it is not one this codec serves. */
export function klineChannelMs(channel: string): number | null {
  if (!channel.startsWith(KLINE_PREFIX) || !channel.endsWith('min')) return null;
  const minutes = Number(channel.slice(KLINE_PREFIX.length, -3));
  return minutes === 1 || minutes === 3 || minutes === 5 || minutes === 15 || minutes === 30 || minutes === 60 ? minutes * 60_000 : null;
}

/** The channels a trading session subscribes to: the book, trades, its candle interval, and mark/funding. */
export function marketChannels(interval: KlineInterval): string[] {
  return [BOOK_CHANNEL, TRADE_CHANNEL, klineChannel(interval), PRICE_CHANNEL];
}

export type MarketChannelKind = 'book' | 'trade' | 'kline' | 'price';

/** What a market-data channel carries, or null for a channel the simulator does not serve. */
export function channelKind(ch: string): MarketChannelKind | null {
  if (klineChannelMs(ch) !== null) return 'kline';
  if (ch === BOOK_CHANNEL) return 'book';
  if (ch === TRADE_CHANNEL) return 'trade';
  if (ch === PRICE_CHANNEL) return 'price';
  return null;
}

/** Whether a channel is any depth channel (an unknown symbol gets one empty frame on those). */
export function isDepthChannel(ch: string): boolean {
  return ch.startsWith(DEPTH_PREFIX);
}
