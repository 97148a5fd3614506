// What a replay plays: the candle file read once, its tape (frames and market clock), and how the frames
// reach the engine. At --speed max they go in process (no socket to pace or lose them); at a finite speed
// through the embedded simulator's socket, paced by the wall clock. The two deliver the same frames.
// A recorded frame log would be one more kind of source here.
import { readFile } from 'node:fs/promises';
import { parseCandleCsv } from '../shared/candle-csv.js';
import { ReplayTape } from '../shared/replay-tape.js';
import type { Candle } from '../shared/types.js';
import { TapeHistory, type MarketHistory } from './replay-history.js';

export type ReplayTransport = 'memory' | 'socket';

export interface ReplaySource {
  /** The file's candles as parsed (the simulator builds its own tape from them). */
  candles: Candle[];
  tape: ReplayTape;
  transport: ReplayTransport;
  /** REST answered from the tape (in process only; the socket path asks the simulator). */
  history: MarketHistory | null;
}

/** `marketNow` is the engine's market time (what an in-process REST answer may include). */
export async function openReplay(file: string, symbol: string, speed: number | 'max', marketNow: () => number): Promise<ReplaySource> {
  const candles = parseCandleCsv(await readFile(file, 'utf8'), file);
  const tape = new ReplayTape(symbol, candles);
  const transport: ReplayTransport = speed === 'max' ? 'memory' : 'socket';
  return { candles, tape, transport, history: transport === 'memory' ? new TapeHistory(tape, marketNow) : null };
}
