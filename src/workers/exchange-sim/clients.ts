// A connected WebSocket client and its subscriptions.
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { MarketChannelKind } from '../../shared/bitunix/index.js';
import type { SymbolMarket } from './market.js';

export type SubKind = MarketChannelKind;

export interface Sub {
  market: SymbolMarket;
  ch: string;
  kind: SubKind;
  intervalMs: number;
  /** Kline: the bucket last pushed (-1 = none yet), to push the final candle when it rolls. */
  lastBucket: number;
}

export interface Client {
  ws: WebSocket;
  /** The connection under `ws` (from the HTTP upgrade), corked around a batch of sends so they leave in one write. */
  socket: Duplex;
  subs: Map<string, Sub>;
  lastRecvWall: number;
  /** The server second the socket opened, echoed in pongs. */
  openSecond: number;
}
