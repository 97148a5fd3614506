// Where market data comes from: Bitunix (the configured URLs), the embedded simulator, or a candle replay (in
// process, or paced through the simulator's socket). A frame log is played by the session itself.
import type { Clock } from '../../shared/clock.js';
import type { EngineConfig } from '../config.js';
import { FrameLogFeed, openFrameLog, type FrameLogFeedHandlers } from '../frame-log-feed.js';
import type { FrameRecorder } from '../frame-recorder.js';
import { RestClient } from '../rest-client.js';
import { createRecorder, loadSocketFeed, restOptionsOf } from './compose.js';
import { startEmbeddedSim, type EmbeddedSim } from '../embedded-sim.js';
import type { Logger } from '../logger.js';
import { openReplay, type ReplaySource } from '../replay-source.js';

export interface MarketSource {
  wsUrl: string;
  restUrl: string;
  sim: EmbeddedSim | null;
  replay: ReplaySource | null;
}

export interface MarketSourceHooks {
  /** Where the accelerated simulator's market clock starts. */
  simStartTs(): number;
  /** The replay's market time so far (the tape paces itself by it). */
  lastMarketTs(): number;
  /** A paced replay's socket sent its whole tape. */
  replaySent(): void;
}

export async function openMarketSource(c: EngineConfig, log: Logger, hooks: MarketSourceHooks): Promise<MarketSource> {
  // Every source but the in-process tape is read through a socket.
  if (!(c.feed === 'replay' && c.speed === 'max')) await loadSocketFeed();
  if (c.feed === 'sim') {
    const sim = await startEmbeddedSim({ seed: c.simSeed, speed: c.simSpeed, symbols: [c.symbol], startTs: hooks.simStartTs() });
    log.info({ port: sim.port, seed: c.simSeed, speed: c.simSpeed }, 'embedded simulator listening');
    return { wsUrl: sim.wsUrl, restUrl: sim.restUrl, sim, replay: null };
  }
  if (c.feed !== 'replay') return { wsUrl: c.wsUrl, restUrl: c.restUrl, sim: null, replay: null };
  const file = c.replay!;
  const replay = await openReplay(c, hooks.lastMarketTs);
  const { tape, transport } = replay;
  let source: MarketSource = { wsUrl: c.wsUrl, restUrl: c.restUrl, sim: null, replay };
  if (transport === 'socket') {
    // Paced replays go through the embedded simulator's socket, like a live feed.
    const sim = await startEmbeddedSim({ symbols: [c.symbol], replay: { candles: [...replay.candles], speed: c.speed } });
    sim.onReplayDone(hooks.replaySent);
    source = { wsUrl: sim.wsUrl, restUrl: sim.restUrl, sim, replay };
  }
  log.info(
    { file, candles: tape.candles.length, live: tape.liveCandles, speed: c.speed, transport },
    `replaying candles (${transport === 'memory' ? 'in process' : 'through the embedded simulator'})`,
  );
  return source;
}

/** A frame log plays in process through the same decoder and core; REST is answered from it at the feed's cursor. */
export function openFrameLogReplay(
  c: EngineConfig,
  a: { clock: Clock; log: Logger; version: string; sessionStart: number; handlers: FrameLogFeedHandlers },
): { feed: FrameLogFeed; rest: RestClient; recorder: FrameRecorder | null } {
  const target = c.replay!;
  const recording = openFrameLog(target, c.symbol, c.interval);
  const recorder = createRecorder(c, { version: a.version, sessionStart: a.sessionStart, log: a.log, maxFutureMs: recording.files[0]!.header.maxFutureMs });
  const feed: FrameLogFeed = new FrameLogFeed({ files: recording.files, speed: c.speed, rest: recording.rest, recorder }, a.clock, a.handlers);
  const rest = new RestClient('', c.symbol, { ...restOptionsOf(a.version, recorder, a.clock), answer: (p) => recording.rest.answer(p, feed.cursor) });
  a.log.info({ target, files: recording.files.length, frames: recording.frames, speed: c.speed }, 'replaying a frame log');
  return { feed, rest, recorder };
}
