// What a replay plays: the candle file read once, its tape (frames and market clock), and how the frames
// reach the engine. At --speed max they go in process (no socket to pace or lose them); at a finite speed
// through the embedded simulator's socket, paced by the wall clock. The two deliver the same frames.
// A recorded frame log would be one more kind of source here.
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { CandleCsvParser } from '../shared/candle-csv.js';
import { ReplayTape } from '../shared/replay-tape.js';
import { GapFreeColumns, type CandleColumns } from '../shared/candle-pack.js';
import { TapeHistory, type MarketHistory } from './replay-history.js';

export type ReplayTransport = 'memory' | 'socket';

export interface ReplaySource {
  /** The file's candles, gap-free (the tape's): the simulator builds its own tape from them, the encoding thread reads them in place. */
  candles: CandleColumns;
  tape: ReplayTape;
  transport: ReplayTransport;
  /** REST answered from the tape (in process only; the socket path asks the simulator). */
  history: MarketHistory | null;
}

/** Bytes of the file read and parsed at a time. */
const READ_CHUNK = 1 << 20;
/** Fewest bytes a row of the known layouts takes: the first guess of the candle count (it grows past it). */
const MIN_ROW_BYTES = 64;

/**
 * The file read and parsed a piece at a time, each candle written straight into the tape's columns: what is held
 * is the columns (48 bytes a candle) and one piece of text, never the file's text or an object per candle, so a
 * year of candles starts as lightly as a month (docs/architecture.md).
 */
async function readTape(file: string, symbol: string): Promise<ReplayTape> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const candles = new GapFreeColumns(size / MIN_ROW_BYTES);
    const parser = new CandleCsvParser(file, (c) => candles.push(c));
    const text = new StringDecoder('utf8');
    const buf = Buffer.allocUnsafe(READ_CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, READ_CHUNK, null);
      if (bytesRead === 0) break;
      parser.push(text.write(buf.subarray(0, bytesRead)));
    }
    parser.push(text.end());
    parser.end();
    return new ReplayTape(symbol, candles.columns());
  } finally {
    await fh.close();
  }
}

/** A tape being read ahead of openReplay (one at a time: the process plays one file). */
let readAhead: { file: string; symbol: string; tape: Promise<ReplayTape> } | null = null;

/**
 * Start reading and parsing a replay's file now, while the state loads and the workers start; openReplay takes
 * the result. A file that cannot be read or parsed rejects there, where the session expects it (and not at all
 * when the session never gets that far, as before).
 */
export function readReplayAhead(file: string, symbol: string): void {
  const tape = readTape(file, symbol);
  tape.catch(() => {}); // not handled here: openReplay awaits this same promise and throws its error
  readAhead = { file, symbol, tape };
}

/** `marketNow` is the engine's market time (what an in-process REST answer may include). */
export async function openReplay(file: string, symbol: string, speed: number | 'max', marketNow: () => number): Promise<ReplaySource> {
  const ahead = readAhead !== null && readAhead.file === file && readAhead.symbol === symbol ? readAhead.tape : null;
  readAhead = null;
  const tape = await (ahead ?? readTape(file, symbol));
  const candles = tape.candles;
  const transport: ReplayTransport = speed === 'max' ? 'memory' : 'socket';
  return { candles, tape, transport, history: transport === 'memory' ? new TapeHistory(tape, marketNow) : null };
}
