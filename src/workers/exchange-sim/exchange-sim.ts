// The embedded Bitunix exchange simulator: one http.Server that speaks the real exchange's public
// WebSocket and REST kline/funding endpoints, driven either by a seeded PriceProcess in an accelerated
// market clock or by a replayed candle CSV (ticks synthesised inside each candle), with fault injection
// for resilience tests (in process, by worker message, or over HTTP: POST /sim/fault, GET /sim/status).
// Frames and bodies come from the shared codec, so the engine's decoder is exercised byte for byte.
// Candles pushed on the WebSocket and served by REST are aggregated from one series of 1-minute candles,
// so closed candles agree exactly. This file holds the clients, their subscriptions and the pushes.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  channelKind,
  CONNECT_FRAME,
  decodeClientFrame,
  emptyBookFrame,
  encodeBook,
  encodeKline,
  encodePong,
  encodePrice,
  encodeTrade,
  encodeUnsubscribeAck,
  isDepthChannel,
  klineChannelMs,
  malformedFrame,
  oversizedFrame,
  PUBLIC_WS_PATH,
  SUBSCRIBE_LIMIT_FRAME,
} from '../../shared/bitunix/index.js';
import { PriceProcess } from '../../shared/price-process.js';
import { bookQty } from '../../shared/replay-tape.js';
import { createRng, randomSeed } from '../../shared/rng.js';
import type { Candle } from '../../shared/types.js';
import type { Client, Sub } from './clients.js';
import type { SimFault } from './faults.js';
import { Floods } from './flood.js';
import { FUNDING_PERIOD_MS, MINUTE, SymbolMarket } from './market.js';
import { ReplayPump } from './replay-pump.js';
import { handleRest, type RestHost } from './rest.js';
import type { SimFloodReport, SimOptions, SimStatus } from './types.js';

const MAX_SUBSCRIPTIONS = 300;
/** Above this much unsent data a client is conflated (pushes skipped), never buffered without bound. */
const MAX_BUFFERED = 4 * 1024 * 1024;
const MAX_PAYLOAD = 64 * 1024;

export class ExchangeSim {
  private readonly opts: Required<Omit<SimOptions, 'startTs' | 'seed' | 'replay'>> & { seed: number };
  private readonly markets = new Map<string, SymbolMarket>();
  private readonly startTs: number;
  private readonly wallStart: number;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private tickTimer: NodeJS.Timeout | null = null;
  private klineTimer: NodeJS.Timeout | null = null;
  private listenPort = 0;
  // Fault state (wall ms).
  private refuseUntil = 0;
  private silentUntil = 0;
  private pendingGarbage = 0;
  private garbageIndex = 0;
  /** Kline pushes for candles overlapping [skipFrom, skipTo) market ms are withheld. */
  private skipFrom = 0;
  private skipTo = 0;
  /** REST serves the candles of the skipped minutes with this low (0 = intact). */
  private skipRestLow = 0;
  private framesSent = 0;
  private readonly floods: Floods;
  /** Book/trade frames sent per symbol, from every source (GET /sim/flood). */
  private readonly tickFrames = new Map<string, number>();
  private stopped = false;
  /** Excursions still to come back (cleared on stop). */
  private readonly excursionTimers = new Set<NodeJS.Timeout>();
  private readonly replay: ReplayPump | null = null;

  constructor(options: SimOptions = {}) {
    const speed = options.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed)) throw new Error(`ExchangeSim: speed must be > 0, got ${speed}`);
    const symbols = (options.symbols ?? ['BTCUSDT']).map((s) => s.toUpperCase());
    if (symbols.length === 0) throw new Error('ExchangeSim: no symbols');
    this.opts = {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 0,
      symbols,
      seed: options.seed ?? randomSeed(),
      speed,
      startPrice: options.startPrice ?? 95_000,
      tickIntervalMs: options.tickIntervalMs ?? 100,
      klineIntervalMs: options.klineIntervalMs ?? 500,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
      restFormingCandle: options.restFormingCandle ?? true,
    };
    this.wallStart = Date.now();
    this.startTs = options.startTs ?? this.wallStart;
    if (options.replay !== undefined) {
      if (symbols.length !== 1) throw new Error('ExchangeSim: replay serves exactly one symbol');
      this.replay = new ReplayPump(symbols[0]!, options.replay, {
        clients: this.clients,
        isStopped: () => this.stopped,
        silentUntil: () => this.silentUntil,
        send: (c, text) => this.send(c, text),
        countTicks: (symbol, n) => this.countTicks(symbol, n),
        klineSkipped: (bucket, intervalMs) => this.klineSkipped(bucket, intervalMs),
      });
      this.markets.set(symbols[0]!, this.replay.market);
    } else {
      symbols.forEach((symbol, i) => {
        const seed = (this.opts.seed + i * 7919) >>> 0;
        const proc = new PriceProcess(createRng(seed), this.opts.startPrice, this.startTs);
        this.markets.set(symbol, SymbolMarket.simulated(symbol, proc, seed ^ 0x5f3759df));
      });
    }
    this.floods = new Floods({
      clients: this.clients,
      marketNow: () => this.marketNow(),
      canSend: (c) => this.canSend(c),
      isStopped: () => this.stopped,
      countSent: (n) => void (this.framesSent += n),
      countTicks: (symbol, n) => this.countTicks(symbol, n),
    });
    const rest: RestHost = {
      status: () => this.status(),
      floodReport: (since) => this.floodReport(since),
      inject: (f) => this.inject(f),
      market: (symbol) => this.markets.get(symbol),
      advanceAll: () => this.advanceAll(),
      restCandles: (m, intervalMs, limit, startTime, endTime) => {
        const candles = m.restCandles(intervalMs, limit, startTime, endTime, this.opts.restFormingCandle);
        return this.skipRestLow > 0 ? candles.map((c) => this.corrupted(c, intervalMs)) : candles;
      },
    };
    this.server = http.createServer((req, res) => handleRest(rest, req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });
    this.server.on('upgrade', (req, socket, head) => this.handleUpgrade(req, socket, head));
  }

  get port(): number {
    return this.listenPort;
  }

  /** Market time now: startTs + wall elapsed × speed; in replay, the time of the last frame replayed. */
  marketNow(): number {
    if (this.replay !== null) return this.replay.tape.now;
    return Math.floor(this.startTs + (Date.now() - this.wallStart) * this.opts.speed);
  }

  status(): SimStatus {
    const r = this.replay;
    return {
      connections: this.clients.size,
      marketNow: this.marketNow(),
      framesSent: this.framesSent,
      flooding: this.floods.active,
      garbagePending: this.pendingGarbage,
      replay: r === null ? null : { done: r.tape.done, candles: r.tape.next - r.tape.liveFrom, total: r.tape.liveCandles },
    };
  }

  /** Called once when a replay has pushed its last candle, with the number of live candles replayed. */
  onReplayDone(listener: (candles: number) => void): void {
    this.replay?.onDone(listener);
  }

  start(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        this.listenPort = typeof addr === 'object' && addr !== null ? addr.port : this.opts.port;
        this.tickTimer = setInterval(() => this.onTick(), this.opts.tickIntervalMs);
        // A replay pushes its candles itself; the timer only serves the price process.
        if (this.replay === null) this.klineTimer = setInterval(() => this.onKlineTimer(), this.opts.klineIntervalMs);
        resolve(this.listenPort);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true; // ends floods and the replay pump at their next turn
    this.replay?.stop();
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.klineTimer !== null) clearInterval(this.klineTimer);
    this.tickTimer = this.klineTimer = null;
    for (const t of this.excursionTimers) clearTimeout(t);
    this.excursionTimers.clear();
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  inject(f: SimFault): void {
    const now = Date.now();
    switch (f.kind) {
      case 'drop':
        // Like a network cut: no close frame.
        for (const c of this.clients) c.ws.terminate();
        break;
      case 'refuse':
        this.refuseUntil = now + f.ms;
        break;
      case 'silence':
        this.silentUntil = now + f.ms;
        break;
      case 'garbage':
        this.pendingGarbage += f.count;
        break;
      case 'oversized':
        for (const c of this.clients) this.send(c, oversizedFrame(this.opts.symbols[0]!, this.marketNow(), MAX_PAYLOAD));
        break;
      case 'skipKlines': {
        // From the next minute boundary, so the candle forming now still gets its final push.
        this.skipFrom = Math.floor(this.marketNow() / MINUTE) * MINUTE + MINUTE;
        this.skipTo = this.skipFrom + f.minutes * MINUTE;
        this.skipRestLow = f.restLow ?? 0;
        break;
      }
      case 'inject':
        for (const c of this.clients) for (const text of f.frames) this.send(c, text);
        break;
      case 'flood':
        this.floods.start(f, this.markets.values());
        break;
      case 'jump':
        for (const m of this.markets.values()) m.jump(f.bps);
        break;
      case 'excursion': {
        // Stepped up to now on both edges, so the ticks before and after keep their own prices.
        this.advanceAll();
        for (const m of this.markets.values()) m.jump(f.bps);
        const back = setTimeout(() => {
          this.excursionTimers.delete(back);
          this.advanceAll();
          for (const m of this.markets.values()) m.jumpBack(f.bps);
        }, f.ms);
        this.excursionTimers.add(back);
        break;
      }
    }
  }

  /** A candle as REST serves it while skipKlines has `restLow` set: corrupt within the skipped minutes. */
  private corrupted(c: Candle, intervalMs: number): Candle {
    return this.klineSkipped(c.ts, intervalMs) ? { ...c, low: this.skipRestLow } : c;
  }

  /** Whether the kline push of the candle [bucket, bucket + intervalMs) is withheld by skipKlines. */
  private klineSkipped(bucket: number, intervalMs: number): boolean {
    return bucket < this.skipTo && bucket + intervalMs > this.skipFrom;
  }

  private sendKline(c: Client, s: Sub, bucket: number, ts: number): void {
    if (this.klineSkipped(bucket, s.intervalMs)) return;
    const k = s.market.candleAt(s.intervalMs, bucket);
    if (k !== null) this.send(c, encodeKline(s.market.symbol, s.ch, ts, k));
  }

  /** The floods after id `since` (0 = all kept). */
  floodReport(since = 0): SimFloodReport {
    return { tickFrames: Object.fromEntries(this.tickFrames), floods: this.floods.since(since) };
  }

  // ---- WebSocket -------------------------------------------------------------------------------

  private handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== PUBLIC_WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (Date.now() < this.refuseUntil) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws, socket));
  }

  private onConnection(ws: WebSocket, socket: Duplex): void {
    const client: Client = { ws, socket, subs: new Map(), lastRecvWall: Date.now(), openSecond: Math.floor(this.marketNow() / 1000) };
    this.clients.add(client);
    ws.on('error', () => ws.terminate());
    ws.on('close', () => this.clients.delete(client));
    ws.on('message', (data: RawData, isBinary: boolean) => this.onClientMessage(client, data, isBinary));
    this.send(client, CONNECT_FRAME);
  }

  private onClientMessage(client: Client, data: RawData, isBinary: boolean): void {
    client.lastRecvWall = Date.now();
    if (isBinary) return;
    const f = decodeClientFrame(data.toString());
    if (f.op === 'ping') {
      this.send(client, encodePong(f.ping, client.openSecond));
    } else if (f.op === 'subscribe') {
      this.advanceAll();
      for (const a of f.args) this.subscribe(client, a.symbol.toUpperCase(), a.ch);
    } else if (f.op === 'unsubscribe') {
      for (const a of f.args) client.subs.delete(`${a.symbol.toUpperCase()}|${a.ch}`);
      this.send(client, encodeUnsubscribeAck(this.marketNow()));
    }
    // Unknown ops, channels and non-JSON get no reply (docs/bitunix-wire.md §1.3).
  }

  private subscribe(client: Client, symbol: string, ch: string): void {
    const market = this.markets.get(symbol);
    if (market === undefined) {
      // An unknown symbol gets one frame of empty levels and then nothing (docs/bitunix-wire.md §1.3).
      if (isDepthChannel(ch)) this.send(client, emptyBookFrame(ch, symbol, this.marketNow()));
      return;
    }
    const kind = channelKind(ch);
    if (kind === null) return;
    const intervalMs = kind === 'kline' ? klineChannelMs(ch) : null;
    const key = `${symbol}|${ch}`;
    if (client.subs.has(key)) return;
    if (client.subs.size >= MAX_SUBSCRIPTIONS) {
      this.send(client, SUBSCRIBE_LIMIT_FRAME);
      return;
    }
    const sub: Sub = { market, ch, kind, intervalMs: intervalMs ?? 0, lastBucket: -1 };
    client.subs.set(key, sub);
    // The first data frame is the only confirmation (docs/bitunix-wire.md §1.3). A replay pushes candles only as it
    // plays them, so its kline stream holds exactly the live candles.
    if (this.replay === null) this.pushSub(client, sub);
    else {
      const opening = this.replay.tape.openingFrame(sub);
      if (opening !== null) this.send(client, opening);
    }
    this.replay?.resume();
  }

  private advanceAll(): void {
    const now = this.marketNow();
    for (const m of this.markets.values()) m.advance(now);
  }

  private onTick(): void {
    this.advanceAll();
    const wall = Date.now();
    let garbage: string | null = null;
    if (this.pendingGarbage > 0) {
      this.pendingGarbage--;
      garbage = this.nextGarbage();
    }
    for (const c of this.clients) {
      if (this.opts.idleTimeoutMs > 0 && wall - c.lastRecvWall > this.opts.idleTimeoutMs) {
        c.ws.terminate(); // the real server drops a silent client with 1006, no close frame
        continue;
      }
      if (garbage !== null) this.send(c, garbage);
      if (this.replay !== null) continue; // the replay pump pushes market data
      // Closed kline buckets first, so each client sees market time in order.
      for (const s of c.subs.values()) {
        if (s.kind === 'kline' && s.lastBucket >= 0 && Math.floor(s.market.tick.ts / s.intervalMs) * s.intervalMs > s.lastBucket) {
          this.pushKline(c, s);
        }
      }
      for (const s of c.subs.values()) if ((s.kind === 'book' || s.kind === 'trade') && !this.floods.floods(s.market)) this.pushSub(c, s);
    }
  }

  private onKlineTimer(): void {
    this.advanceAll();
    for (const c of this.clients) {
      for (const s of c.subs.values()) if (s.kind === 'kline' || s.kind === 'price') this.pushSub(c, s);
    }
  }

  private pushSub(c: Client, s: Sub): void {
    const m = s.market;
    const t = m.tick;
    switch (s.kind) {
      case 'book':
        if (this.send(c, encodeBook(m.symbol, t.ts, t.bid, t.ask, bookQty(t.ts, 0), bookQty(t.ts, 1)))) this.countTicks(m.symbol, 1);
        break;
      case 'trade':
        if (this.send(c, encodeTrade(m.symbol, t.ts, t.last, t.qty, t.side))) this.countTicks(m.symbol, 1);
        break;
      case 'kline':
        this.pushKline(c, s);
        break;
      case 'price': {
        const k = Math.floor(t.ts / FUNDING_PERIOD_MS);
        this.send(
          c,
          encodePrice(m.symbol, t.ts, {
            markPrice: m.markPrice(),
            indexPrice: m.indexPrice(),
            fundingRate: m.fundingEstimate(k - 1), // `fr` is the rate settled at `ft` (docs/bitunix-wire.md §1.5.6)
            fundingTime: k * FUNDING_PERIOD_MS,
            nextFundingTime: (k + 1) * FUNDING_PERIOD_MS,
          }),
        );
        break;
      }
    }
  }

  /**
   * Push the in-progress candle. When the bucket rolled since the last push, first push the final state
   * of the old bucket (stamped at its last millisecond), so the client's closed candle equals REST's.
   */
  private pushKline(c: Client, s: Sub): void {
    const m = s.market;
    const ts = m.tick.ts;
    const bucket = Math.floor(ts / s.intervalMs) * s.intervalMs;
    if (s.lastBucket >= 0 && bucket > s.lastBucket) this.sendKline(c, s, s.lastBucket, s.lastBucket + s.intervalMs - 1);
    this.sendKline(c, s, bucket, ts);
    s.lastBucket = bucket;
  }

  /** False when the frame was not sent (closing, silenced, or a slow consumer being conflated). */
  private send(c: Client, text: string): boolean {
    if (!this.canSend(c)) return false;
    c.ws.send(text);
    this.framesSent++;
    return true;
  }

  private canSend(c: Client): boolean {
    if (c.ws.readyState !== WebSocket.OPEN) return false;
    if (this.silentUntil > 0 && Date.now() < this.silentUntil) return false;
    return c.ws.bufferedAmount <= MAX_BUFFERED; // above it, a slow consumer is conflated
  }

  private countTicks(symbol: string, n: number): void {
    this.tickFrames.set(symbol, (this.tickFrames.get(symbol) ?? 0) + n);
  }

  private nextGarbage(): string {
    return malformedFrame(this.garbageIndex++, this.opts.symbols[0]!, this.marketNow());
  }
}
