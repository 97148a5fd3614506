// What a replay plays: the candle file read once (on the replay encoder's thread: replay-encoder.ts), its tape
// (frames and market clock), and how the frames reach the engine. At --speed max they go in process (no socket
// to pace or lose them), played into a frame ring by that same thread; at a finite speed through the embedded
// simulator's socket, paced by the wall clock. The two deliver the same frames.
// A recorded frame log would be one more kind of source here.
import type { CandleColumns } from '../shared/candle-pack.js';
import { ReplayTape } from '../shared/replay-tape.js';
import { type ReplayEncoder, type ReplayEncoderConfig, takeReplayEncoder } from './replay-encoder.js';
import { TapeHistory, type MarketHistory } from './replay-history.js';

export type ReplayTransport = 'memory' | 'socket';

export interface ReplaySource {
  /** The file's candles, gap-free (the tape's): the simulator builds its own tape from them, the encoding thread reads them in place. */
  candles: CandleColumns;
  tape: ReplayTape;
  transport: ReplayTransport;
  /** REST answered from the tape (in process only; the socket path asks the simulator). */
  history: MarketHistory | null;
  /** The thread that read the file; at --speed max it plays the tape for the feed. Ended with the feed. */
  encoder: ReplayEncoder;
}

/**
 * The replay of `c.replay`, its file read by the encoder started ahead (readReplayAhead) or by one started now.
 * Rejects with the file's error (`file:line: ...`), the encoder ended. `marketNow` is the engine's market time
 * (what an in-process REST answer may include).
 */
export async function openReplay(c: ReplayEncoderConfig, marketNow: () => number): Promise<ReplaySource> {
  const encoder = takeReplayEncoder(c);
  try {
    const candles = await encoder.candles;
    const tape = new ReplayTape(c.symbol, candles);
    const transport: ReplayTransport = c.speed === 'max' ? 'memory' : 'socket';
    return { candles, tape, transport, history: transport === 'memory' ? new TapeHistory(tape, marketNow) : null, encoder };
  } catch (err) {
    await encoder.terminate();
    throw err;
  }
}
