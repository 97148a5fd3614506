// The embedded Bitunix exchange simulator (SPEC §7): one http.Server that speaks the real exchange's
// public WebSocket (`/public/`) and REST kline/funding endpoints, driven either by a seeded PriceProcess in
// an accelerated market clock or by a replayed candle CSV (ticks synthesised inside each candle), with fault
// injection for resilience tests (in process, by worker message, or over HTTP: POST /sim/fault,
// GET /sim/status). Frames and bodies come from the shared codec, so the engine's decoder is exercised byte
// for byte. Candles pushed on the WebSocket and served by REST are aggregated from one series of 1-minute
// candles, so closed candles agree exactly.
// Loaded as a worker thread with workerData {kind:'exchange-sim', options}, it runs itself (see bottom).
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  bookHead,
  channelKind,
  CONNECT_FRAME,
  decodeClientFrame,
  emptyBookFrame,
  encodeBook,
  encodeFundingRate,
  encodeKline,
  encodePong,
  encodePrice,
  encodeRestKlines,
  encodeRestParamError,
  encodeTrade,
  encodeUnsubscribeAck,
  FUNDING_RATE_PATH,
  isDepthChannel,
  KLINE_PATH,
  klineChannelMs,
  malformedFrame,
  oversizedFrame,
  parseKlineQuery,
  PUBLIC_WS_PATH,
  querySymbol,
  restIntervalMs,
  SUBSCRIBE_LIMIT_FRAME,
  tradeHead,
} from '../shared/bitunix/index.js';
import { PriceProcess, type PriceTick } from '../shared/price-process.js';
import { createRng, randomSeed } from '../shared/rng.js';
import { bookQty, ReplayTape } from '../shared/replay-tape.js';
import type { Candle } from '../shared/types.js';

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
export type SimFault =
  | { kind: 'drop' }
  | { kind: 'refuse'; ms: number }
  | { kind: 'silence'; ms: number }
  | { kind: 'garbage'; count: number }
  | { kind: 'oversized' }
  /**
   * No kline pushes for the candles of the next `minutes` market minutes (REST still has them). With
   * `restLow`, REST serves those candles corrupt: their low is `restLow` (a history with a low of 1).
   */
  | { kind: 'skipKlines'; minutes: number; restLow?: number }
  /** These raw text frames are sent to every client at once, as they are (hostile or malformed frames). */
  | { kind: 'inject'; frames: string[] }
  /**
   * book/trade pushes at `ratePerSec` frames per second per client for `seconds`, then back to normal (the
   * normal book/trade pushes of the flooded symbols pause meanwhile). Prices follow `floodBid`: a triangle
   * wave around `base` (default: the bid when the flood starts) whose first leg goes to base + `swing`
   * (default -5 USD). `symbol` limits it to one symbol's subscribers.
   */
  | { kind: 'flood'; ratePerSec: number; seconds: number; symbol?: string; base?: number; swing?: number }
  /** The simulated price jumps by `bps` basis points at once (a gap through a stop). */
  | { kind: 'jump'; bps: number }
  /**
   * The simulated price jumps by `bps` and comes back by the same factor `ms` wall ms later: an excursion
   * that only the candles' high/low still show once it is over (a stop crossed while a client was blind).
   */
  | { kind: 'excursion'; bps: number; ms: number };

/** GET /sim/status. `replay` is null unless replaying; `candles` counts live candles replayed so far. */
export interface SimStatus {
  connections: number;
  marketNow: number;
  framesSent: number;
  flooding: boolean;
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

const jumpBps = (x: number): boolean => x > -5000 && x < 5000 && x !== 0;
const JUMP_BPS_RULE = 'a non-zero number in (-5000, 5000)';

/** A SimFault from untrusted JSON (the control endpoint); throws saying what is wrong. */
export function parseSimFault(v: unknown): SimFault {
  if (typeof v !== 'object' || v === null) throw new Error('fault must be a JSON object');
  const o = v as Record<string, unknown>;
  const n = (k: string, ok: (x: number) => boolean, rule: string): number => {
    const x = o[k];
    if (typeof x !== 'number' || !ok(x)) throw new Error(`fault ${String(o.kind)}: '${k}' must be ${rule}, got ${JSON.stringify(x)}`);
    return x;
  };
  const int1 = (x: number): boolean => Number.isInteger(x) && x >= 1 && x <= 1_000_000;
  switch (o.kind) {
    case 'drop':
    case 'oversized':
      return { kind: o.kind };
    case 'refuse':
    case 'silence':
      return { kind: o.kind, ms: n('ms', (x) => x >= 0 && x <= 86_400_000, 'ms 0-86400000') };
    case 'garbage':
      return { kind: 'garbage', count: n('count', int1, 'an integer >= 1') };
    case 'skipKlines': {
      const f: Extract<SimFault, { kind: 'skipKlines' }> = { kind: 'skipKlines', minutes: n('minutes', int1, 'an integer >= 1') };
      if (o.restLow !== undefined) f.restLow = n('restLow', (x) => x > 0 && x < 1e9, 'a price in (0, 1e9)');
      return f;
    }
    case 'inject': {
      const frames = o.frames;
      if (!Array.isArray(frames) || frames.length === 0 || frames.length > 1000 || !frames.every((x) => typeof x === 'string')) {
        throw new Error(`fault inject: 'frames' must be an array of 1-1000 strings`);
      }
      return { kind: 'inject', frames: [...(frames as string[])] };
    }
    case 'jump':
      return { kind: 'jump', bps: n('bps', jumpBps, JUMP_BPS_RULE) };
    case 'excursion':
      return { kind: 'excursion', bps: n('bps', jumpBps, JUMP_BPS_RULE), ms: n('ms', (x) => x > 0 && x <= 3_600_000, 'ms in (0, 3600000]') };
    case 'flood': {
      const f: Extract<SimFault, { kind: 'flood' }> = {
        kind: 'flood',
        ratePerSec: n('ratePerSec', (x) => x > 0 && x <= 10_000_000, 'a number in (0, 1e7]'),
        seconds: n('seconds', (x) => x > 0 && x <= 3600, 'a number in (0, 3600]'),
      };
      if (o.symbol !== undefined) {
        if (typeof o.symbol !== 'string' || !/^[A-Za-z0-9]{2,30}$/.test(o.symbol)) throw new Error(`fault flood: 'symbol' must be a symbol like BTCUSDT`);
        f.symbol = o.symbol.toUpperCase();
      }
      if (o.base !== undefined) f.base = n('base', (x) => x > 0 && x < 1e9, 'a price in (0, 1e9)');
      if (o.swing !== undefined) f.swing = n('swing', (x) => x !== 0 && Math.abs(x) <= 1e6, 'a non-zero number of USD within ±1e6');
      return f;
    }
    default:
      throw new Error(`unknown fault kind ${JSON.stringify(o.kind)} (drop refuse silence garbage oversized skipKlines inject flood jump excursion)`);
  }
}

const MINUTE = 60_000;
const FUNDING_PERIOD_MS = 8 * 3_600_000;
/** 1-minute history generated before the market start: 14 days covers 200 one-hour candles. */
const HISTORY_MINUTES = 14 * 24 * 60;
const MAX_MINUTES_KEPT = HISTORY_MINUTES + 100_000;
const MAX_SUBSCRIPTIONS = 300;
/** Above this much unsent data a client is conflated (pushes skipped), never buffered without bound. */
const MAX_BUFFERED = 4 * 1024 * 1024;
/** Replay never drops: above this much unsent data it waits for the slowest subscriber. */
const REPLAY_MAX_BUFFERED = 1024 * 1024;
/** Replay steps (ticks) per event-loop turn, so REST, pings and faults stay served at speed max. */
const REPLAY_BATCH = 64;
/** Flood frames per client per event-loop turn. */
const FLOOD_BATCH = 4096;
const DEFAULT_FLOOD_SWING = -5;
/** Floods kept for GET /sim/flood, and ts-log entries kept per flood. */
const FLOOD_RECORDS = 64;
const FLOOD_TS_LOG_MAX = 200_000;
const MAX_CONTROL_BODY = 64 * 1024;
const MAX_PAYLOAD = 64 * 1024;

function toTick(p: number): number {
  return Math.round(p * 10) / 10;
}

/**
 * One symbol's market: its 1-minute candles (closed + forming) and the latest tick, driven either by the
 * price process (`advance`) or by a replay (`tradeReplay` / `closeReplay`).
 */
class SymbolMarket {
  /** Closed 1-minute candles, ascending and contiguous. */
  readonly minutes: Candle[];
  /** The in-progress 1-minute candle; null in replay between a candle's close and its successor's first tick. */
  forming: Candle | null;
  tick: PriceTick;

  private constructor(
    readonly symbol: string,
    /** null when replaying: no process, funding rate 0. */
    private readonly proc: PriceProcess | null,
    private readonly fundingSeed: number,
    minutes: Candle[],
    forming: Candle | null,
    tick: PriceTick,
  ) {
    this.minutes = minutes;
    this.forming = forming;
    this.tick = tick;
  }

  /** Move the simulated price at once (no-op in a replay, whose prices are the file's). */
  jump(bps: number): void {
    this.proc?.jump(bps);
  }

  /** Undo `jump(bps)`. */
  jumpBack(bps: number): void {
    this.proc?.jumpBack(bps);
  }

  static simulated(symbol: string, proc: PriceProcess, fundingSeed: number): SymbolMarket {
    const firstBucket = Math.floor(proc.startTs / MINUTE) * MINUTE;
    const p = proc.startPrice;
    const forming = { ts: firstBucket, open: p, high: p, low: p, close: p, volume: 0 };
    const m = new SymbolMarket(symbol, proc, fundingSeed, proc.historyCandles(HISTORY_MINUTES, firstBucket, MINUTE), forming, proc.step(proc.startTs));
    m.feed(m.tick);
    return m;
  }

  /** A replayed market whose closed history is `history`; `tick` is the last quote before the live stream. */
  static replayed(symbol: string, history: Candle[], tick: PriceTick): SymbolMarket {
    return new SymbolMarket(symbol, null, 0, history, null, tick);
  }

  /** Replay: the tape served a tick (and maybe closed a candle: the recorded candle becomes closed history). */
  followTape(tape: ReplayTape, closed: Candle | null): void {
    this.tick = tape.tick;
    this.forming = tape.forming;
    if (closed !== null) this.minutes.push(closed);
  }

  /** Step the process up to market time `toTs` in ≤ 1 s substeps (at most ~2000 per call). */
  advance(toTs: number): void {
    if (this.proc === null) return;
    const gap = toTs - this.proc.ts;
    if (gap <= 0) return;
    const sub = Math.max(1000, Math.ceil(gap / 2000));
    let t = this.proc.ts;
    while (t < toTs) {
      t = Math.min(t + sub, toTs);
      this.tick = this.proc.step(t);
      this.feed(this.tick);
    }
  }

  private feed(t: PriceTick): void {
    const bucket = Math.floor(t.ts / MINUTE) * MINUTE;
    const f = this.forming!; // never null under the price process
    if (bucket > f.ts) {
      this.minutes.push(f);
      // A minute without trades still exists on the exchange: flat at the previous close.
      for (let m = f.ts + MINUTE; m < bucket; m += MINUTE) {
        this.minutes.push({ ts: m, open: f.close, high: f.close, low: f.close, close: f.close, volume: 0 });
      }
      if (this.minutes.length > MAX_MINUTES_KEPT) this.minutes.splice(0, this.minutes.length - HISTORY_MINUTES);
      this.forming = { ts: bucket, open: t.last, high: t.last, low: t.last, close: t.last, volume: t.qty };
      return;
    }
    if (t.last > f.high) f.high = t.last;
    if (t.last < f.low) f.low = t.last;
    f.close = t.last;
    f.volume = Math.round((f.volume + t.qty) * 1e4) / 1e4;
  }

  /** The candle of `intervalMs` opening at `bucket`, aggregated from 1-minute candles; null if not fully known. */
  candleAt(intervalMs: number, bucket: number): Candle | null {
    const first = this.minutes[0]!.ts;
    if (bucket < first) return null;
    let out: Candle | null = null;
    for (let m = bucket; m < bucket + intervalMs; m += MINUTE) {
      const idx = (m - first) / MINUTE;
      const c = idx < this.minutes.length ? this.minutes[idx]! : m === this.forming?.ts ? this.forming : null;
      if (c === null) break;
      if (out === null) out = { ...c };
      else {
        if (c.high > out.high) out.high = c.high;
        if (c.low < out.low) out.low = c.low;
        out.close = c.close;
        out.volume = Math.round((out.volume + c.volume) * 1e4) / 1e4;
      }
    }
    return out;
  }

  /**
   * REST kline selection like the exchange: open times in [startTime, endTime) (endTime exclusive), at most
   * `limit`; the newest ones unless only startTime is given. Ascending.
   */
  restCandles(intervalMs: number, limit: number, startTime: number | null, endTime: number | null, forming: boolean): Candle[] {
    const next = this.forming?.ts ?? this.minutes[this.minutes.length - 1]!.ts + MINUTE;
    const formingBucket = Math.floor(next / intervalMs) * intervalMs;
    let hi = forming ? formingBucket : formingBucket - intervalMs;
    if (endTime !== null) hi = Math.min(hi, Math.ceil(endTime / intervalMs) * intervalMs - intervalMs);
    let lo = Math.ceil(this.minutes[0]!.ts / intervalMs) * intervalMs;
    if (startTime !== null) lo = Math.max(lo, Math.ceil(startTime / intervalMs) * intervalMs);
    const out: Candle[] = [];
    if (startTime !== null && endTime === null) {
      for (let b = lo; b <= hi && out.length < limit; b += intervalMs) pushIf(out, this.candleAt(intervalMs, b));
    } else {
      for (let b = hi; b >= lo && out.length < limit; b -= intervalMs) pushIf(out, this.candleAt(intervalMs, b));
      out.reverse();
    }
    return out;
  }

  /** The funding rate (fraction) that settles at the end of funding period `k` (a pure function of k). */
  fundingEstimate(k: number): number {
    if (this.proc === null) return 0;
    const rng = createRng((this.fundingSeed ^ Math.imul(k, 0x9e3779b1)) >>> 0);
    return Math.round((0.00008 + 0.00006 * rng.normal()) * 1e8) / 1e8;
  }

  markPrice(): number {
    return this.proc === null ? this.tick.last : toTick(this.tick.mid);
  }

  indexPrice(): number {
    return this.proc === null ? this.tick.last : toTick(this.tick.mid * (1 - 0.0002));
  }
}

function pushIf(out: Candle[], c: Candle | null): void {
  if (c !== null) out.push(c);
}

type SubKind = 'book' | 'trade' | 'kline' | 'price';

interface Sub {
  market: SymbolMarket;
  ch: string;
  kind: SubKind;
  intervalMs: number;
  /** Kline: the bucket last pushed (-1 = none yet), to push the final candle when it rolls. */
  lastBucket: number;
}

interface Client {
  ws: WebSocket;
  subs: Map<string, Sub>;
  lastRecvWall: number;
  /** The server second the socket opened, echoed in pongs (notes §1.2). */
  openSecond: number;
}

/** Where a replay stands: its tape (frames and market clock) and the pacing anchor. */
interface Replay {
  market: SymbolMarket;
  tape: ReplayTape;
  speed: number | 'max';
  started: boolean;
  /** A pump is scheduled (a pause leaves none; a subscribe schedules one). */
  scheduled: boolean;
  /** Pacing for speed N: wall time `anchorWall` corresponds to market time `anchorMarket`. */
  anchorWall: number;
  anchorMarket: number;
  /** Re-anchor at the next pump (after a pause, so a pause is not made up by a burst). */
  reanchor: boolean;
}

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
  private floods = 0;
  private floodTs = 0;
  private framesSent = 0;
  /** Running floods per market: its normal book/trade pushes pause meanwhile. */
  private readonly flooded = new Map<SymbolMarket, number>();
  private readonly floodRecords: FloodRecord[] = [];
  private floodId = 0;
  /** Book/trade frames sent per symbol, from every source (GET /sim/flood). */
  private readonly tickFrames = new Map<string, number>();
  private stopped = false;
  /** Excursions still to come back (cleared on stop). */
  private readonly excursionTimers = new Set<NodeJS.Timeout>();
  private replayTimer: NodeJS.Timeout | null = null;
  private readonly replay: Replay | null = null;
  private readonly replayDoneListeners: ((candles: number) => void)[] = [];

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
      this.replay = this.createReplay(symbols[0]!, options.replay);
      this.markets.set(symbols[0]!, this.replay.market);
    } else {
      symbols.forEach((symbol, i) => {
        const seed = (this.opts.seed + i * 7919) >>> 0;
        const proc = new PriceProcess(createRng(seed), this.opts.startPrice, this.startTs);
        this.markets.set(symbol, SymbolMarket.simulated(symbol, proc, seed ^ 0x5f3759df));
      });
    }
    this.server = http.createServer((req, res) => this.handleRest(req, res));
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
      flooding: this.floods > 0,
      replay: r === null ? null : { done: r.tape.done, candles: r.tape.next - r.tape.liveFrom, total: r.tape.liveCandles },
    };
  }

  /** Called once when a replay has pushed its last candle, with the number of live candles replayed. */
  onReplayDone(listener: (candles: number) => void): void {
    this.replayDoneListeners.push(listener);
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
    if (this.replayTimer !== null) clearTimeout(this.replayTimer);
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
        this.startFlood(f);
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

  // ---- Flood -----------------------------------------------------------------------------------

  /**
   * Pushes book/trade frames (rotating over each client's book and trade subscriptions of the flooded
   * symbols) at `ratePerSec` per client, in batches per event-loop turn: each batch is packed into one
   * buffer of ready-made WebSocket frames and written at once, so the sim outruns any one client (one
   * `ws.send` per frame tops out near 80k/s, notes §6). Prices follow `floodBid`, ts is market time, never
   * decreasing, and every frame is recorded well enough to be recomputed (FloodRecord). A client that
   * cannot keep up is conflated like any slow consumer (whole batches dropped above MAX_BUFFERED unsent).
   * Stops by itself after `seconds`.
   */
  private startFlood(f: Extract<SimFault, { kind: 'flood' }>): void {
    const markets = [...this.markets.values()].filter((m) => f.symbol === undefined || m.symbol === f.symbol);
    if (markets.length === 0) return;
    const swing = f.swing ?? DEFAULT_FLOOD_SWING;
    const frames = new Map<SymbolMarket, FloodFrames>();
    const bases: Record<string, number> = {};
    for (const m of markets) {
      const base = toTick(f.base ?? m.tick.bid);
      // Encoded ahead (a wide sweep is ~10k frames), so no batch stalls on it and ts is when frames are written.
      const ff = new FloodFrames(m.symbol, base, swing);
      ff.warm();
      frames.set(m, ff);
      bases[m.symbol] = base;
      this.flooded.set(m, (this.flooded.get(m) ?? 0) + 1);
    }
    const total = Math.round(f.ratePerSec * f.seconds);
    const t0 = Date.now();
    const rec: FloodRecord = {
      id: ++this.floodId, symbol: f.symbol ?? null, ratePerSec: f.ratePerSec, seconds: f.seconds, swing, bases,
      startedAt: t0, endedAt: null, sent: 0, conflated: 0, drops: [], rotation: [], tsLog: [], tsLogTruncated: false,
    };
    this.floodRecords.push(rec);
    if (this.floodRecords.length > FLOOD_RECORDS) this.floodRecords.shift();
    let done = 0;
    this.floods++;
    const end = (): void => {
      this.floods--;
      for (const m of markets) {
        const left = this.flooded.get(m)! - 1;
        if (left > 0) this.flooded.set(m, left);
        else this.flooded.delete(m);
      }
      rec.endedAt = Date.now();
    };
    const pump = (): void => {
      if (this.stopped) return end();
      const now = Date.now(); // one reading per turn: at the deadline, every frame due is sent
      const due = Math.min(total, Math.floor(((now - t0) * f.ratePerSec) / 1000));
      const n = Math.min(due - done, FLOOD_BATCH);
      if (n > 0) this.floodBatch(rec, frames, done, n);
      done += n;
      // Bounded by time as well: a sender that fell behind does not run over (the rate is then lower).
      if (done >= total || now >= t0 + f.seconds * 1000) return end();
      if (due > done) setImmediate(pump);
      else setTimeout(pump, 1);
    };
    setImmediate(pump);
  }

  private floodBatch(rec: FloodRecord, frames: Map<SymbolMarket, FloodFrames>, k0: number, n: number): void {
    this.floodTs = Math.max(this.floodTs, this.marketNow());
    const ts = this.floodTs;
    const log = rec.tsLog;
    if (log.length === 0 || log[log.length - 1] !== ts) {
      if (log.length < FLOOD_TS_LOG_MAX) log.push(k0, ts);
      else rec.tsLogTruncated = true;
    }
    const iso = new Date(ts).toISOString();
    for (const c of this.clients) {
      const subs: Sub[] = [];
      for (const s of c.subs.values()) if ((s.kind === 'book' || s.kind === 'trade') && frames.has(s.market)) subs.push(s);
      if (subs.length === 0) continue;
      if (rec.rotation.length === 0) rec.rotation = subs.map((s) => s.kind as 'book' | 'trade');
      if (!this.canSend(c)) {
        rec.conflated += n;
        if (rec.drops.length < FLOOD_TS_LOG_MAX) rec.drops.push(k0, n);
        else rec.tsLogTruncated = true;
        continue;
      }
      const parts: Buffer[] = new Array<Buffer>(2 * n);
      let size = 0;
      for (let i = 0; i < n; i++) {
        const k = k0 + i;
        const s = subs[k % subs.length]!;
        const ff = frames.get(s.market)!;
        const head = ff.head(s.kind === 'book', ts, iso);
        const tail = ff.tail(s.kind === 'book', k);
        parts[2 * i] = head;
        parts[2 * i + 1] = tail;
        const len = head.length + tail.length;
        size += len + (len < 126 ? 2 : 4);
      }
      const buf = Buffer.allocUnsafe(size);
      let o = 0;
      for (let i = 0; i < n; i++) {
        const head = parts[2 * i]!;
        const tail = parts[2 * i + 1]!;
        const len = head.length + tail.length;
        buf[o++] = 0x81; // FIN + text; server frames are not masked
        if (len < 126) buf[o++] = len;
        else {
          buf[o++] = 126;
          buf[o++] = len >>> 8;
          buf[o++] = len & 0xff;
        }
        o += head.copy(buf, o);
        o += tail.copy(buf, o);
      }
      // ws writes nothing on its own between frames here (no compression, no Blob), so raw frames are safe.
      socketOf(c.ws)!.write(buf);
      this.framesSent += n;
      rec.sent += n;
      const len = subs.length;
      for (let i = 0; i < len; i++) {
        // sub i got the frames k in [k0, k0 + n) with k % len === i; the first of them is k0 + d
        const d = (i - (k0 % len) + len) % len;
        if (d < n) this.countTicks(subs[i]!.market.symbol, Math.floor((n - d - 1) / len) + 1);
      }
    }
  }

  /** The floods after id `since` (0 = all kept). */
  floodReport(since = 0): SimFloodReport {
    return { tickFrames: Object.fromEntries(this.tickFrames), floods: this.floodRecords.filter((r) => r.id > since) };
  }

  // ---- Replay ----------------------------------------------------------------------------------

  private createReplay(symbol: string, o: ReplayOptions): Replay {
    if (!(o.speed === 'max' || (typeof o.speed === 'number' && o.speed > 0 && Number.isFinite(o.speed)))) {
      throw new Error(`ExchangeSim replay: speed must be a number > 0 or 'max', got ${String(o.speed)}`);
    }
    const tape = new ReplayTape(symbol, o.candles, { ticksPerCandle: o.ticksPerCandle, historyCandles: o.historyCandles });
    const market = SymbolMarket.replayed(symbol, tape.candles.slice(0, tape.liveFrom), tape.tick);
    return { market, tape, speed: o.speed, started: false, scheduled: false, anchorWall: 0, anchorMarket: 0, reanchor: true };
  }

  /** (Re)start pumping: on the first subscription, and on any later one after a pause. */
  private resumeReplay(): void {
    const r = this.replay;
    if (r === null || r.tape.done || r.scheduled || this.stopped) return;
    r.started = true;
    r.reanchor = true;
    r.scheduled = true;
    setImmediate(() => this.pumpReplay());
  }

  private pumpReplay(): void {
    const r = this.replay!;
    r.scheduled = false;
    if (this.stopped || r.tape.done) return;
    // Paused while nobody listens: a reconnecting client resumes where the stream stopped.
    if (![...this.clients].some((c) => c.subs.size > 0)) return;
    const later = (ms: number): void => {
      r.scheduled = true;
      if (ms <= 0) setImmediate(() => this.pumpReplay());
      else this.replayTimer = setTimeout(() => this.pumpReplay(), ms);
    };
    const wall = Date.now();
    // Silence and backpressure pause the replay instead of losing frames.
    if (wall < this.silentUntil) {
      r.reanchor = true;
      return later(this.silentUntil - wall);
    }
    if ([...this.clients].some((c) => c.ws.bufferedAmount > REPLAY_MAX_BUFFERED)) {
      r.reanchor = true;
      return later(1);
    }
    if (r.reanchor) {
      r.anchorWall = wall;
      r.anchorMarket = r.tape.now;
      r.reanchor = false;
    }
    const socks = [...this.clients].map((c) => socketOf(c.ws));
    for (const s of socks) s?.cork();
    let waitMs = 0;
    for (let i = 0; i < REPLAY_BATCH && !r.tape.done; i++) {
      if (r.speed !== 'max') {
        const due = r.anchorWall + (r.tape.nextTickTs - r.anchorMarket) / r.speed;
        if (due > wall) {
          waitMs = Math.ceil(due - wall);
          break;
        }
      }
      this.replayStep(r);
    }
    for (const s of socks) s?.uncork();
    if (r.tape.done) {
      const n = r.tape.liveCandles;
      for (const l of this.replayDoneListeners) l(n);
      return;
    }
    later(waitMs);
  }

  /** Push the tape's next tick to every subscriber of the replayed market (and a candle's final klines). */
  private replayStep(r: Replay): void {
    const m = r.market;
    const closed = r.tape.step(
      this.clients,
      (c) => [...c.subs.values()].filter((s) => s.market === m),
      (c, s, frame, bucket) => {
        if (s.kind === 'kline' && this.klineSkipped(bucket, s.intervalMs)) return;
        if (this.send(c, frame) && (s.kind === 'book' || s.kind === 'trade')) this.countTicks(m.symbol, 1);
      },
    );
    m.followTape(r.tape, closed);
  }

  private sendKline(c: Client, s: Sub, bucket: number, ts: number): void {
    if (this.klineSkipped(bucket, s.intervalMs)) return;
    const k = s.market.candleAt(s.intervalMs, bucket);
    if (k !== null) this.send(c, encodeKline(s.market.symbol, s.ch, ts, k));
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
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    const client: Client = { ws, subs: new Map(), lastRecvWall: Date.now(), openSecond: Math.floor(this.marketNow() / 1000) };
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
    // Unknown ops, channels and non-JSON get no reply (notes §1.3).
  }

  private subscribe(client: Client, symbol: string, ch: string): void {
    const market = this.markets.get(symbol);
    if (market === undefined) {
      // An unknown symbol gets one frame of empty levels and then nothing (notes §1.3).
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
    // The first data frame is the only confirmation (notes §1.3). A replay pushes candles only as it
    // plays them, so its kline stream holds exactly the live candles.
    if (this.replay === null) this.pushSub(client, sub);
    else {
      const opening = this.replay.tape.openingFrame(sub);
      if (opening !== null) this.send(client, opening);
    }
    this.resumeReplay();
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
      for (const s of c.subs.values()) if ((s.kind === 'book' || s.kind === 'trade') && !this.flooded.has(s.market)) this.pushSub(c, s);
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
            fundingRate: m.fundingEstimate(k - 1), // `fr` is the rate settled at `ft` (notes §1.5.6)
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

  // ---- REST ------------------------------------------------------------------------------------

  private handleRest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    const reply = (status: number, body: string): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    const paramError = (msg: string): void => reply(200, encodeRestParamError(msg));
    if (url.pathname === '/sim/fault' && req.method === 'POST') return this.handleFaultPost(req, reply);
    if (url.pathname === '/sim/status' && req.method === 'GET') return reply(200, JSON.stringify(this.status()));
    if (url.pathname === '/sim/flood' && req.method === 'GET') return reply(200, JSON.stringify(this.floodReport(Number(url.searchParams.get('since') ?? 0) || 0)));
    if (req.method !== 'GET') return reply(405, '{"code":405,"msg":"Method Not Allowed"}');
    const market = this.markets.get(querySymbol(url.searchParams).toUpperCase());
    if (url.pathname === KLINE_PATH) {
      if (market === undefined) return paramError('Parameter error: symbol');
      const q = parseKlineQuery(url.searchParams);
      const intervalMs = restIntervalMs(q.interval);
      if (intervalMs === undefined) return paramError('Parameter error: interval');
      const limit = q.limit ?? 100;
      const { startTime, endTime } = q;
      if (Number.isNaN(limit) || Number.isNaN(startTime) || Number.isNaN(endTime) || limit <= 0) {
        return paramError('Parameter error');
      }
      this.advanceAll();
      const candles = market.restCandles(intervalMs, Math.min(limit, 200), startTime, endTime, this.opts.restFormingCandle);
      return reply(200, encodeRestKlines(this.skipRestLow > 0 ? candles.map((c) => this.corrupted(c, intervalMs)) : candles));
    }
    if (url.pathname === FUNDING_RATE_PATH) {
      if (market === undefined) return paramError('Parameter error: symbol');
      this.advanceAll();
      const k = Math.floor(market.tick.ts / FUNDING_PERIOD_MS);
      return reply(
        200,
        encodeFundingRate(market.symbol, {
          rate: market.fundingEstimate(k),
          nextFundingTime: (k + 1) * FUNDING_PERIOD_MS,
          intervalHours: FUNDING_PERIOD_MS / 3_600_000,
          markPrice: market.markPrice(),
          lastPrice: market.tick.last,
        }),
      );
    }
    reply(404, '{"code":404,"msg":"Not Found"}');
  }

  /** POST /sim/fault with a SimFault as JSON → 200 {"ok":true}, or 400 {"ok":false,"error":...}. */
  private handleFaultPost(req: http.IncomingMessage, reply: (status: number, body: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (d: Buffer) => {
      size += d.length;
      if (size <= MAX_CONTROL_BODY) chunks.push(d);
    });
    req.on('error', () => {});
    req.on('end', () => {
      let fault: SimFault;
      try {
        if (size > MAX_CONTROL_BODY) throw new Error(`body over ${MAX_CONTROL_BODY} bytes`);
        fault = parseSimFault(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        return reply(400, JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) }));
      }
      this.inject(fault);
      reply(200, '{"ok":true}');
    });
  }
}

const FLOOD_STEP = 0.1;

/**
 * The flood's bid for frame k (ask = bid + 0.1): a triangle wave on the 0.1 price grid, one step per frame,
 * starting at `base`, first to base + swing, then to base - swing, then back to base (period 4·|swing|/0.1
 * frames). Exported so a load test can recompute every frame a flood sent.
 */
export function floodBid(base: number, swing: number, k: number): number {
  const h = Math.max(1, Math.round(Math.abs(swing) / FLOOD_STEP));
  const p = k % (4 * h);
  const u = p <= h ? p : p <= 3 * h ? 2 * h - p : p - 4 * h;
  return toTick(base + Math.sign(swing) * u * FLOOD_STEP);
}

/**
 * One symbol's flood frames, byte for byte what encodeBook/encodeTrade produce: the part after `ts` (and
 * the trade's time) is encoded once per position in the pattern's period, the head once per ts.
 */
class FloodFrames {
  private readonly period: number;
  private readonly tails: [Array<Buffer | undefined>, Array<Buffer | undefined>];
  private headTs = -1;
  private heads: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];

  constructor(
    private readonly symbol: string,
    private readonly base: number,
    private readonly swing: number,
  ) {
    this.period = 4 * Math.max(1, Math.round(Math.abs(swing) / FLOOD_STEP));
    this.tails = [new Array<Buffer | undefined>(this.period), new Array<Buffer | undefined>(this.period)];
  }

  head(book: boolean, ts: number, iso: string): Buffer {
    if (ts !== this.headTs) {
      this.headTs = ts;
      this.heads = [
        Buffer.from(tradeHead(this.symbol, ts, iso), 'latin1'),
        Buffer.from(bookHead(this.symbol, ts), 'latin1'),
      ];
    }
    return this.heads[book ? 1 : 0];
  }

  /** Encode the whole period, both kinds, ahead of use. */
  warm(): void {
    for (let k = 0; k < this.period; k++) {
      this.tail(true, k);
      this.tail(false, k);
    }
  }

  tail(book: boolean, k: number): Buffer {
    const p = k % this.period;
    const cache = this.tails[book ? 1 : 0];
    let t = cache[p];
    if (t === undefined) {
      const bid = floodBid(this.base, this.swing, p);
      const ask = toTick(bid + FLOOD_STEP);
      // Encoded at ts 0 by the codec itself, then cut after the head, so the frame is exactly the codec's.
      const full = book
        ? encodeBook(this.symbol, 0, bid, ask, bookQty(p, 0), bookQty(p, 1))
        : encodeTrade(this.symbol, 0, p % 2 === 0 ? ask : bid, Math.round((0.001 + (p % 7) * 0.01) * 1e4) / 1e4, p % 2 === 0 ? 'buy' : 'sell');
      const head0 = book ? bookHead(this.symbol, 0) : tradeHead(this.symbol, 0, new Date(0).toISOString());
      if (!full.startsWith(head0)) throw new Error('flood: the codec frame layout changed');
      t = Buffer.from(full.slice(head0.length), 'latin1');
      cache[p] = t;
    }
    return t;
  }
}

/** The net.Socket under a ws WebSocket, to cork a batch of sends into one write. */
function socketOf(ws: WebSocket): Duplex | undefined {
  return (ws as unknown as { _socket?: Duplex })._socket;
}

// ---- Worker entry ------------------------------------------------------------------------------

function runAsWorker(port: MessagePort, options: SimOptions): void {
  const sim = new ExchangeSim(options);
  const post = (m: SimWorkerMessage): void => port.postMessage(m);
  sim.onReplayDone((candles) => post({ type: 'replay-done', candles }));
  port.on('message', (m: SimParentMessage) => {
    if (m.type === 'fault') sim.inject(m.fault);
    else if (m.type === 'stop') {
      void sim.stop().then(() => {
        post({ type: 'stopped' });
        port.close(); // nothing else keeps the thread alive: it exits
      });
    }
  });
  sim.start().then(
    (p) => post({ type: 'listening', port: p }),
    (e: unknown) => {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      port.close();
    },
  );
}

const wd = workerData as { kind?: string; options?: SimOptions } | null | undefined;
if (!isMainThread && parentPort !== null && wd?.kind === 'exchange-sim') runAsWorker(parentPort, wd.options ?? {});
