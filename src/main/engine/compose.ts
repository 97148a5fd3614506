// Config → parts: the broker's and the core's configuration, the executor, the frame recorder, REST and the
// market feed, each built from the engine config alone (plus the callbacks the session hands in).
import { contractKind, DEFAULT_BROKER_CONFIG, type BrokerConfig } from '../../shared/broker-config.js';
import type { Clock } from '../../shared/clock.js';
import { FRAME_LOG_VERSION } from '../../shared/frame-log.js';
import { ReconnectPolicy } from '../../shared/reconnect-policy.js';
import type { Rng } from '../../shared/rng.js';
import type { TickRing } from '../../shared/tick-ring.js';
import type { ReplayEncoder } from '../replay-encoder.js';
import type { EngineConfig } from '../config.js';
import { FrameRecorder } from '../frame-recorder.js';
import type { Logger } from '../logger.js';
import type { FeedHandlers, MarketDataFeed } from '../market-feed.js';
import { TapeFeed } from '../replay-feed.js';
import type { MarketHistory } from '../replay-history.js';
import { RecordingHistory } from '../recording-history.js';
import { engineUserAgent, type RestClientOptions } from '../rest-client.js';
import type { Executor } from '../trading/executor.js';
import { MarketTimeExecutor } from '../trading/market-time-executor.js';
import type { CoreConfig } from '../trading/trading-core.js';

export function brokerConfigOf(c: EngineConfig): BrokerConfig {
  return {
    ...DEFAULT_BROKER_CONFIG,
    symbol: c.symbol,
    kind: contractKind(c.symbol),
    makerBps: c.makerBps,
    takerBps: c.takerBps,
    slipBps: c.slipBps,
    minTradeIntervalMs: c.minTradeInterval * 1000,
    maxDrawdownPct: c.maxDrawdownPct,
    maxLosses: c.maxLosses,
  };
}

export function coreConfigOf(c: EngineConfig, rng: Rng): CoreConfig {
  return {
    symbol: c.symbol,
    kind: contractKind(c.symbol),
    intervalMs: c.intervalMs,
    riskPct: c.riskPct,
    stopBps: c.stopBps,
    tpR: c.tpR,
    latency: { ...c.latencyMs, rng },
    marketSpeed: c.feed === 'sim' ? c.simSpeed : c.feed === 'replay' ? (c.speed === 'max' ? Infinity : c.speed) : 1,
    replay: c.feed === 'replay', // see createExecutor
  };
}

/**
 * A replay executes in market time on the tick path; live and simulated feeds in the worker pool. --latency-ms
 * is exchange latency in market time: the accelerated simulator runs market time faster than the wall clock, so
 * the workers' wall-clock wait shrinks by the same factor.
 */
export async function createExecutor(c: EngineConfig, ring: TickRing, fail: (message: string) => void): Promise<Executor> {
  if (c.feed === 'replay') return new MarketTimeExecutor(c.execQueue);
  // piscina is loaded by the sessions that execute in the pool only.
  const { WorkerPoolExecutor } = await import('../trading/worker-pool-executor.js');
  return new WorkerPoolExecutor({
    capacity: c.execQueue,
    wallMsPerMarketMs: c.feed === 'sim' ? 1 / c.simSpeed : 1,
    ring,
    onFailure: (order, err) => fail(`execution of ${order.id} failed: ${err.message}`),
  });
}

/** --record: the frame log to write every frame and REST reply to (null without the flag). */
export function createRecorder(c: EngineConfig, a: { maxFutureMs: number | null; version: string; sessionStart: number; log: Logger }): FrameRecorder | null {
  const dir = c.record;
  if (dir === null) return null;
  const { symbol, interval, feed } = c;
  const header = {
    frameLog: FRAME_LOG_VERSION,
    symbol,
    interval,
    feed,
    maxFutureMs: a.maxFutureMs,
    engine: `laptop-agents ${a.version}`,
    sessionStart: a.sessionStart,
  };
  const recorder = new FrameRecorder(dir, header, a.log);
  a.log.info({ dir }, 'recording every frame and REST reply to a frame log');
  return recorder;
}

/** The engine's User-Agent, and with --record every reply into the frame log. */
export function restOptionsOf(version: string, recorder: FrameRecorder | null, clock: Clock): RestClientOptions {
  const userAgent = engineUserAgent(version);
  return recorder ? { userAgent, onResponse: (pathAndQuery, body) => recorder.rest(pathAndQuery, body, clock.now()) } : { userAgent };
}

/** History answered in process (a replay's tape), written to the frame log when recording. */
export function recordedHistory(history: MarketHistory, symbol: string, recorder: FrameRecorder | null, clock: Clock): MarketHistory {
  return recorder ? new RecordingHistory(history, symbol, recorder, clock) : history;
}

export interface FeedParts {
  cfg: EngineConfig;
  rng: Rng;
  clock: Clock;
  log: Logger;
  recorder: FrameRecorder | null;
  channels: string[];
  handlers: FeedHandlers;
}

/** A replay's tape played in process: its end and its failures are the session's to judge. */
export function createTapeFeed(p: FeedParts, encoder: ReplayEncoder, onExhausted: () => void, onFailure: (message: string) => void): MarketDataFeed {
  return new TapeFeed(encoder, p.channels, p.clock, { ...p.handlers, onExhausted, onFailure }, p.recorder);
}

type SocketFeedModule = typeof import('../market-feed.js');
let socketFeedModule: SocketFeedModule | null = null;

/**
 * Load the WebSocket feed (and ws) before createSocketFeed is called: only sessions on a socket pay for it,
 * a replay at --speed max never does.
 */
export async function loadSocketFeed(): Promise<void> {
  socketFeedModule ??= await import('../market-feed.js');
}

/** A WebSocket feed: Bitunix, the embedded simulator, or a paced replay through the simulator's socket. */
export function createSocketFeed(p: FeedParts, url: string, pacedReplay: boolean): MarketDataFeed {
  if (socketFeedModule === null) throw new Error('createSocketFeed: the socket feed was not loaded (await loadSocketFeed() first)');
  const c = p.cfg;
  return new socketFeedModule.MarketFeed(
    {
      url,
      symbol: c.symbol,
      channels: p.channels,
      // A replay's quiet socket is its own pace, never a dead connection.
      idleTimeoutMs: pacedReplay ? Infinity : c.idleTimeout * 1000,
      maxFutureMs: c.feed === 'bitunix' ? 60_000 : null,
      recorder: p.recorder,
    },
    new ReconnectPolicy({ baseMs: c.backoffBase * 1000, maxMs: c.backoffMax * 1000, maxFailures: c.maxWsErrors }, p.rng),
    p.clock,
    p.log,
    p.handlers,
  );
}
