// The market-data socket: connect, subscribe, JSON keepalive, idle detection and reconnect with backoff.
// Reconnect is a flat state machine driven by timers (never recursion, original bug 3, docs/original-system.md §9). Every frame is
// decoded here and handed to the session synchronously, so a tick is processed before the next frame.
import WebSocket from 'ws';
import { decodeFrame, encodePing, encodeSubscribe, FrameReader, type Frame } from '../shared/bitunix/index.js';
import type { Clock } from '../shared/clock.js';
import type { ReconnectPolicy } from '../shared/reconnect-policy.js';
import type { FrameSink } from './frame-recorder.js';
import type { Logger } from './logger.js';

export type FeedState = 'idle' | 'connecting' | 'open' | 'backoff' | 'stopped' | 'fatal';

export interface FeedHandlers {
  onFrame(frame: Frame, recvTime: number, recvHr: number): void;
  /** Socket open and subscribe sent. */
  onOpen(): void;
  /** The socket is gone; `willRetryInMs` is the backoff before the next attempt. */
  onDown(reason: string, willRetryInMs: number, consecutiveFailures: number): void;
  /** First data frame after a (re)connect. */
  onData(): void;
  /** maxWsErrors consecutive failures: the session should end with exit code 1. */
  onFatal(reason: string): void;
}

export interface FeedOptions {
  url: string;
  symbol: string;
  channels: string[];
  idleTimeoutMs: number;
  pingIntervalMs?: number;
  connectTimeoutMs?: number;
  maxPayload?: number;
  /** Frames more than this far ahead of the wall clock are bad; null disables (accelerated simulator). */
  maxFutureMs: number | null;
  /** --record: every frame's text as received, and the socket's opens and drops. */
  recorder?: FrameSink | null;
}

/** The text of a frame as received (only read when recording). */
function rawText(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return Buffer.isBuffer(data) ? data.toString() : Buffer.from(data).toString();
}

/** What the session uses of a market-data transport (the socket here, or a replay's in-process tape). */
export interface MarketDataFeed {
  readonly state: FeedState;
  /** Successful reconnects (not counting the first connect). */
  readonly reconnects: number;
  /** Wall time of the last frame received. */
  readonly lastFrameWall: number;
  start(): void;
  forceReconnect(reason: string): void;
  stop(): Promise<void>;
}

/** Client frames are spaced to stay under the exchange's 5 messages per second. */
const SEND_SPACING_MS = 250;

export class MarketFeed implements MarketDataFeed {
  private ws: WebSocket | null = null;
  private stateValue: FeedState = 'idle';
  private lastFrameAt = 0;
  private gotData = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private sendTimer: NodeJS.Timeout | null = null;
  private readonly outbox: string[] = [];
  private connectStartedAt = 0;
  /** Successful reconnects (not counting the first connect). */
  reconnects = 0;
  private everConnected = false;

  constructor(
    private readonly opts: FeedOptions,
    private readonly policy: ReconnectPolicy,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly handlers: FeedHandlers,
  ) {}

  get state(): FeedState {
    return this.stateValue;
  }

  /** Wall time of the last frame received. */
  get lastFrameWall(): number {
    return this.lastFrameAt;
  }

  start(): void {
    this.watchTimer = setInterval(() => this.watch(), 250);
    this.watchTimer.unref();
    this.connect();
  }

  /** Drop the socket and go through the normal reconnect path (used on stale data). */
  forceReconnect(reason: string): void {
    if (this.stateValue === 'open' || this.stateValue === 'connecting') this.drop(reason);
  }

  async stop(): Promise<void> {
    this.stateValue = 'stopped';
    for (const t of [this.retryTimer, this.pingTimer, this.sendTimer]) if (t) clearTimeout(t);
    if (this.watchTimer) clearInterval(this.watchTimer);
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const done = setTimeout(() => {
          ws.terminate();
          resolve();
        }, 500);
        ws.once('close', () => {
          clearTimeout(done);
          resolve();
        });
        ws.close(1000, 'shutdown');
      });
    }
  }

  private connect(): void {
    if (this.stateValue === 'stopped' || this.stateValue === 'fatal') return;
    this.stateValue = 'connecting';
    this.gotData = false;
    this.connectStartedAt = this.clock.now();
    this.lastFrameAt = this.connectStartedAt;
    const ws = new WebSocket(this.opts.url, { maxPayload: this.opts.maxPayload ?? 64 * 1024, perMessageDeflate: false });
    this.ws = ws;
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.stateValue = 'open';
      this.opts.recorder?.opened(this.opts.url, this.clock.now());
      this.send(encodeSubscribe(this.opts.symbol, this.opts.channels));
      this.schedulePing();
      this.handlers.onOpen();
    });
    // Per socket, not per frame: the options object (updated per frame) and the byte reader that decodes
    // book and trade pushes without a string or JSON.parse; everything else is decoded from the text.
    const decodeOpts = this.opts.maxFutureMs === null ? undefined : { nowMs: 0, maxFutureMs: this.opts.maxFutureMs };
    const reader = new FrameReader();
    const recorder = this.opts.recorder ?? null;
    ws.on('message', (data: WebSocket.RawData) => {
      if (this.ws !== ws) return;
      const recvHr = performance.now();
      const recv = this.clock.now();
      if (recorder !== null) recorder.frame(rawText(data), recv);
      this.lastFrameAt = recv;
      if (decodeOpts !== undefined) decodeOpts.nowMs = recv;
      const frame =
        (data instanceof Uint8Array ? reader.decode(data, decodeOpts) : null) ?? decodeFrame(typeof data === 'string' ? data : data.toString(), decodeOpts);
      if (!this.gotData && (frame.type === 'book' || frame.type === 'trade' || frame.type === 'kline' || frame.type === 'price')) {
        this.gotData = true;
        if (this.everConnected) this.reconnects++;
        this.everConnected = true;
        this.policy.reset();
        this.handlers.onData();
      }
      this.handlers.onFrame(frame, recv, recvHr);
    });
    // Without an error listener an oversized or malformed frame would crash the process.
    ws.on('error', (err: Error) => {
      if (this.ws !== ws) return;
      this.drop(`error: ${err.message}`);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      if (this.ws !== ws) return;
      this.drop(`closed ${code}${reason.length ? ` ${reason.toString()}` : ''}`);
    });
  }

  private drop(reason: string): void {
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.removeAllListeners('message');
      ws.on('error', () => {}); // late errors of a socket we already gave up on
      ws.terminate();
    }
    if (this.pingTimer) clearTimeout(this.pingTimer);
    if (this.sendTimer) clearTimeout(this.sendTimer);
    this.sendTimer = null;
    this.outbox.length = 0;
    if (this.stateValue === 'stopped' || this.stateValue === 'fatal') return;
    this.opts.recorder?.down(reason, this.clock.now());
    const delay = this.policy.onFailure();
    if (this.policy.exhausted) {
      this.stateValue = 'fatal';
      this.handlers.onFatal(`${this.policy.consecutiveFailures} consecutive connection failures; last: ${reason}`);
      return;
    }
    this.stateValue = 'backoff';
    this.handlers.onDown(reason, delay, this.policy.consecutiveFailures);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private watch(): void {
    const now = this.clock.now();
    if (this.stateValue === 'connecting' && now - this.connectStartedAt > (this.opts.connectTimeoutMs ?? 10_000)) {
      this.drop('connect timeout');
    } else if (this.stateValue === 'open' && now - this.lastFrameAt > this.opts.idleTimeoutMs) {
      this.drop(`idle: no frame for ${Math.round((now - this.lastFrameAt) / 1000)} s`);
    }
  }

  private schedulePing(): void {
    this.pingTimer = setTimeout(() => {
      if (this.stateValue !== 'open') return;
      this.send(encodePing(Math.floor(Date.now() / 1000)));
      this.schedulePing();
    }, this.opts.pingIntervalMs ?? 12_000);
    this.pingTimer.unref();
  }

  private send(frame: string): void {
    this.outbox.push(frame);
    if (!this.sendTimer) this.flushOutbox();
  }

  private flushOutbox(): void {
    const frame = this.outbox.shift();
    if (frame === undefined) {
      this.sendTimer = null;
      return;
    }
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(frame, (err) => {
        if (err) this.log.warn({ err: err.message }, 'ws send failed');
      });
    }
    this.sendTimer = setTimeout(() => this.flushOutbox(), SEND_SPACING_MS);
  }
}
