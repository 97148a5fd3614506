// The replay encoder's thread. Started with the process, it first reads and parses the candle file
// (candle-file.ts) while the main thread loads its code and opens the session, and posts it the candles (in
// shared memory) or the file's error (`file:line: ...`). Then it plays the tape into the frame ring (tape-play.ts,
// loaded beside the read), filling it before the feed starts and waiting there for the main thread to read;
// the main thread ends it when the session stops. A paced replay uses it for the read only.
import { parentPort, workerData } from 'node:worker_threads';
import type { CandleColumns } from '../shared/candle-pack.js';
import { readCandleFile } from './candle-file.js';
import type { TapePlay } from './tape-play.js';

export type { TapePlay };

export interface TapeEncoderData {
  kind: 'tape-encoder';
  file: string;
  symbol: string;
  /** null: read the file only (a paced replay, which the simulator plays). */
  play: TapePlay | null;
}

/**
 * What the thread posts: the file's candles (CandleColumns' data, shared: read in place) or why not, then, should
 * the play fail, why. Through the one port, so the candles always come before a failure of the play.
 */
export type TapeEncoderMessage =
  | { kind: 'candles'; data: Float64Array }
  | { kind: 'unreadable'; message: string; stack: string }
  | { kind: 'failed'; message: string; stack: string };

function errorOf(err: unknown): { message: string; stack: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, stack: e.stack ?? e.message };
}

async function run(d: TapeEncoderData, post: (m: TapeEncoderMessage) => void): Promise<void> {
  // The codec loads between the file's reads; it is needed once the candles are posted.
  const player = d.play !== null ? import('./tape-play.js') : null;
  player?.catch(() => {}); // awaited below, where its error is posted
  let candles: CandleColumns;
  try {
    candles = await readCandleFile(d.file);
  } catch (err) {
    // The main thread rejects with this error where the session opens the replay, as a read there would.
    post({ kind: 'unreadable', ...errorOf(err) });
    return;
  }
  post({ kind: 'candles', data: candles.data });
  if (player === null || d.play === null) return;
  try {
    const { playTape } = await player;
    playTape(d.symbol, candles, d.play);
  } catch (err) {
    post({ kind: 'failed', ...errorOf(err) });
  }
}

const wd = workerData as TapeEncoderData | null;
const port = parentPort;
if (port !== null && wd?.kind === 'tape-encoder') void run(wd, (m) => port.postMessage(m));
