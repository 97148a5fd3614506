// The typed frames the Bitunix codec produces, and the limits every decoder applies.

export type BadFrameReason = 'not_json' | 'unknown_shape' | 'bad_number' | 'non_positive_price' | 'crossed_book' | 'future_ts' | 'empty_book' | 'too_large';

export type Frame =
  | { type: 'book'; symbol: string; ts: number; bid: number; ask: number; bidQty: number; askQty: number }
  /** The LAST trade of the pushed array. */
  | { type: 'trade'; symbol: string; ts: number; price: number; qty: number }
  /** `volume` is the base coin (`b`). */
  | { type: 'kline'; symbol: string; ts: number; channel: string; open: number; high: number; low: number; close: number; volume: number }
  /** `fundingRate` is a fraction (the wire's percent / 100): the rate last settled at `fundingTime`. */
  | { type: 'price'; symbol: string; ts: number; markPrice: number; indexPrice: number; fundingRate: number; fundingTime: number; nextFundingTime: number }
  | { type: 'connect'; ok: boolean }
  | { type: 'pong'; pong: number }
  /** Subscribe/unsubscribe acks and other op frames; `ok`/`msg` when the frame carries them (e.g. "subscribe channel > 300"). */
  | { type: 'control'; op: string; ok?: boolean; msg?: string }
  | { type: 'bad'; reason: BadFrameReason; detail?: string };

export interface DecodeOptions {
  /** Wall clock now (ms); enables the future-ts check. */
  nowMs?: number;
  /** How far ahead of nowMs a frame's ts may be (default 60 s). */
  maxFutureMs?: number;
  /** Largest accepted frame, in UTF-16 code units of the text (default 64 KiB). */
  maxBytes?: number;
}

export type KlineInterval = '1m' | '3m' | '5m' | '15m' | '30m' | '1h';

export const DEFAULT_MAX_FUTURE_MS = 60_000;
export const DEFAULT_MAX_BYTES = 64 * 1024;
