// The simulator's options, its status and flood reports, and the messages of its worker entry.
import type { Candle } from '../../shared/types.js';
import type { SimFault } from './faults.js';

export interface SimOptions {
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  symbols?: string[];
  seed?: number;
  /** Market clock multiplier. */
  speed?: number;
  startPrice?: number;
  /** Market start (ms); default Date.now(). */
  startTs?: number;
  /** Wall ms between book/trade pushes. */
  tickIntervalMs?: number;
  /** Wall ms between kline/price pushes. */
  klineIntervalMs?: number;
  /** Wall ms without a client frame after which the socket is dropped, like the real server (0 = never). */
  idleTimeoutMs?: number;
  /** Whether REST klines include the still-forming candle, as the real exchange was seen to do. */
  restFormingCandle?: boolean;
  /** Replay recorded 1-minute candles instead of running the price process (one symbol only). */
  replay?: ReplayOptions;
}

export interface ReplayOptions {
  /** Ascending 1-minute candles (e.g. from parseCandleCsv); missing minutes are filled flat. */
  candles: Candle[];
  /** Market ms per wall ms, or 'max': as fast as the subscribers consume. */
  speed: number | 'max';
  /** Ticks synthesised inside each candle (default 12). */
  ticksPerCandle?: number;
  /** Leading candles served only as closed REST history (default 200, so the engine can seed). */
  historyCandles?: number;
}

/** Faults for resilience tests. New kinds extend this union, `parseSimFault` and the switch in `inject`. */

/** GET /sim/status. `replay` is null unless replaying; `candles` counts live candles replayed so far. */
export interface SimStatus {
  connections: number;
  marketNow: number;
  framesSent: number;
  flooding: boolean;
  /** Garbage frames injected but not yet mixed into the stream (one per tick). */
  garbagePending: number;
  replay: { done: boolean; candles: number; total: number } | null;
}

/** One flood as sent, for a load test to recompute every frame (GET /sim/flood). */
export interface FloodRecord {
  id: number;
  /** The symbol flooded, or null for all. */
  symbol: string | null;
  ratePerSec: number;
  seconds: number;
  swing: number;
  /** The pattern's centre per flooded symbol: frame k of that symbol quotes floodBid(base, swing, k). */
  bases: Record<string, number>;
  /** Wall ms; endedAt null while running. */
  startedAt: number;
  endedAt: number | null;
  /** Frames written, summed over clients. */
  sent: number;
  /** Frames a client could not take (over MAX_BUFFERED unsent, silenced, closing): dropped, never queued. */
  conflated: number;
  /** Flat [k, n, ...]: the conflated batches, frames k..k+n-1 (bounded like tsLog). */
  drops: number[];
  /** The first flooded client's book/trade rotation: frame k is rotation[k % rotation.length]. */
  rotation: ('book' | 'trade')[];
  /** Flat [k, ts, k, ts, ...]: from frame k on, frames carry market time ts (until the next pair). */
  tsLog: number[];
  /** A log hit its bound: frames past it cannot be recomputed. */
  tsLogTruncated: boolean;
}

/** GET /sim/flood: book/trade frames sent per symbol since start (every source), and the recent floods. */
export interface SimFloodReport {
  tickFrames: Record<string, number>;
  floods: FloodRecord[];
}

/** Messages between the worker entry and its parent. */
export type SimParentMessage = { type: 'fault'; fault: SimFault } | { type: 'stop' };
export type SimWorkerMessage =
  | { type: 'listening'; port: number }
  | { type: 'stopped' }
  | { type: 'error'; message: string }
  | { type: 'replay-done'; candles: number };
