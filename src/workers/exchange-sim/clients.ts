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
  /** The connection under `ws`, from the HTTP upgrade: a flood batch is written to it at once, a replay batch corked. */
  socket: Duplex;
  subs: Map<string, Sub>;
  lastRecvWall: number;
  /** The server second the socket opened, echoed in pongs (docs/bitunix-wire.md §1.2). */
  openSecond: number;
}
