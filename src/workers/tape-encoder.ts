// The encoding half of an in-process replay: this thread plays the tape (ticks synthesised, frames encoded
// by the shared codec, exactly as the simulator would send them) into a shared frame ring, while the main
// thread decodes and trades. Frames are written in place into the ring's bytes, never built as strings. It
// blocks only on a full ring; the main thread ends it when the session stops.
import { parentPort, workerData } from 'node:worker_threads';
import { CandleColumns } from '../shared/candle-pack.js';
import { FrameRingWriter } from '../shared/frame-ring.js';
import { ReplayTape, tapeSubs } from '../shared/replay-tape.js';
import { RingFrames } from '../shared/ring-frames.js';

export interface TapeEncoderData {
  kind: 'tape-encoder';
  symbol: string;
  /** The tape's candles (CandleColumns' data, in shared memory: read in place, not copied). */
  candles: Float64Array;
  channels: string[];
  ring: SharedArrayBuffer;
}

/** Steps (ticks) between two publishes: the reader sees frames in batches of about this many ticks. */
const STEPS_PER_PUBLISH = 256;

function run(d: TapeEncoderData): void {
  // Nothing here keeps a tick, so the tape may reuse its tick objects.
  const tape = new ReplayTape(d.symbol, new CandleColumns(d.candles), { reuseTicks: true });
  const subs = tapeSubs(d.channels);
  const ring = new FrameRingWriter(d.ring);
  const frames = new RingFrames(ring, d.symbol, d.channels);
  // What a subscription gets at once, as on the socket: the quote before the stream.
  for (const s of subs) tape.opening(s, frames);
  const self = [0];
  const subsOf = (): typeof subs => subs;
  const written = (): void => {};
  while (!tape.done) {
    for (let i = 0; i < STEPS_PER_PUBLISH && !tape.done; i++) tape.stepWith(frames, self, subsOf, written);
    ring.publish();
  }
  ring.finish();
}

const wd = workerData as TapeEncoderData | null;
if (parentPort !== null && wd?.kind === 'tape-encoder') run(wd);
