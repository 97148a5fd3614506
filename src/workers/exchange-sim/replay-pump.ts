// The replay pump: plays a candle tape to the subscribers at a market-time pace (or as fast as they
// read), pausing while nobody listens, while silenced and under backpressure, so no frame is lost.
import { ReplayTape } from '../../shared/replay-tape.js';
import type { Client } from './clients.js';
import { SymbolMarket } from './market.js';
import type { ReplayOptions } from './types.js';

/** Replay never drops: above this much unsent data it waits for the slowest subscriber. */
const REPLAY_MAX_BUFFERED = 1024 * 1024;
/** Replay steps (ticks) per event-loop turn, so REST, pings and faults stay served at speed max. */
const REPLAY_BATCH = 64;

/** What the pump needs of the simulator. */
export interface ReplayHost {
  readonly clients: ReadonlySet<Client>;
  isStopped(): boolean;
  /** Wall ms until which the silence fault holds (0 = none). */
  silentUntil(): number;
  /** False when the frame was not sent. */
  send(c: Client, text: string): boolean;
  countTicks(symbol: string, n: number): void;
  /** Whether the skipKlines fault withholds the kline push of this candle. */
  klineSkipped(bucket: number, intervalMs: number): boolean;
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

export class ReplayPump {
  private readonly state: Replay;
  private timer: NodeJS.Timeout | null = null;
  private readonly doneListeners: ((candles: number) => void)[] = [];

  constructor(
    symbol: string,
    o: ReplayOptions,
    private readonly host: ReplayHost,
  ) {
    if (!(o.speed === 'max' || (typeof o.speed === 'number' && o.speed > 0 && Number.isFinite(o.speed)))) {
      throw new Error(`ExchangeSim replay: speed must be a number > 0 or 'max', got ${String(o.speed)}`);
    }
    const tape = new ReplayTape(symbol, o.candles, { ticksPerCandle: o.ticksPerCandle, historyCandles: o.historyCandles });
    const market = SymbolMarket.replayed(symbol, tape.candles.slice(0, tape.liveFrom), tape.tick);
    this.state = { market, tape, speed: o.speed, started: false, scheduled: false, anchorWall: 0, anchorMarket: 0, reanchor: true };
  }

  get market(): SymbolMarket {
    return this.state.market;
  }

  get tape(): ReplayTape {
    return this.state.tape;
  }

  /** Called once when the replay has pushed its last candle, with the number of live candles replayed. */
  onDone(listener: (candles: number) => void): void {
    this.doneListeners.push(listener);
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /** (Re)start pumping: on the first subscription, and on any later one after a pause. */
  resume(): void {
    const r = this.state;
    if (r.tape.done || r.scheduled || this.host.isStopped()) return;
    r.started = true;
    r.reanchor = true;
    r.scheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    const r = this.state;
    r.scheduled = false;
    if (this.host.isStopped() || r.tape.done) return;
    // Paused while nobody listens: a reconnecting client resumes where the stream stopped.
    if (![...this.host.clients].some((c) => c.subs.size > 0)) return;
    const later = (ms: number): void => {
      r.scheduled = true;
      if (ms <= 0) setImmediate(() => this.pump());
      else this.timer = setTimeout(() => this.pump(), ms);
    };
    const wall = Date.now();
    // Silence and backpressure pause the replay instead of losing frames.
    const silentUntil = this.host.silentUntil();
    if (wall < silentUntil) {
      r.reanchor = true;
      return later(silentUntil - wall);
    }
    if ([...this.host.clients].some((c) => c.ws.bufferedAmount > REPLAY_MAX_BUFFERED)) {
      r.reanchor = true;
      return later(1);
    }
    if (r.reanchor) {
      r.anchorWall = wall;
      r.anchorMarket = r.tape.now;
      r.reanchor = false;
    }
    const socks = [...this.host.clients].map((c) => c.socket);
    for (const s of socks) s.cork();
    let waitMs = 0;
    for (let i = 0; i < REPLAY_BATCH && !r.tape.done; i++) {
      if (r.speed !== 'max') {
        const due = r.anchorWall + (r.tape.nextTickTs - r.anchorMarket) / r.speed;
        if (due > wall) {
          waitMs = Math.ceil(due - wall);
          break;
        }
      }
      this.step(r);
    }
    for (const s of socks) s.uncork();
    if (r.tape.done) {
      const n = r.tape.liveCandles;
      for (const l of this.doneListeners) l(n);
      return;
    }
    later(waitMs);
  }

  /** Push the tape's next tick to every subscriber of the replayed market (and a candle's final klines). */
  private step(r: Replay): void {
    const m = r.market;
    const closed = r.tape.step(
      this.host.clients,
      (c) => [...c.subs.values()].filter((s) => s.market === m),
      (c, s, frame, bucket) => {
        if (s.kind === 'kline' && this.host.klineSkipped(bucket, s.intervalMs)) return;
        if (this.host.send(c, frame) && (s.kind === 'book' || s.kind === 'trade')) this.host.countTicks(m.symbol, 1);
      },
    );
    m.followTape(r.tape, closed);
  }
}
