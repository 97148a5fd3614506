// The encoding half of an in-process replay: this thread plays the tape (ticks synthesised, frames encoded
// by the shared codec, exactly as the simulator would send them) into a shared frame ring, while the main
// thread trades. Unless the main thread records the frames' text (--record), each frame is also decoded here,
// by the same FrameReader the socket path runs, and passed on as its decoded record (frame-records.ts), so
// decoding overlaps trading; a frame the reader leaves to the text decoder goes as its text. It blocks only
// on a full ring; the main thread ends it when the session stops.
import { parentPort, workerData } from 'node:worker_threads';
import { FrameReader } from '../shared/bitunix/frame-reader.js';
import { CandleColumns } from '../shared/candle-pack.js';
import { FrameRecordWriter } from '../shared/frame-records.js';
import { FrameRingWriter } from '../shared/frame-ring.js';
import { ReplayTape, tapeSubs } from '../shared/replay-tape.js';

export interface TapeEncoderData {
  kind: 'tape-encoder';
  symbol: string;
  /** The tape's candles (CandleColumns' data, in shared memory: read in place, not copied). */
  candles: Float64Array;
  channels: string[];
  ring: SharedArrayBuffer;
  /** Pass each frame decoded (its record); false: its text, for a main thread that records it. */
  decoded: boolean;
}

/** Steps (ticks) between two publishes: the reader sees frames in batches of about this many ticks. */
const STEPS_PER_PUBLISH = 256;
/** The largest frame decoded here (a tape frame is about 200 bytes); longer ones go as text. */
const SCRATCH_BYTES = 4096;

function run(d: TapeEncoderData): void {
  const tape = new ReplayTape(d.symbol, new CandleColumns(d.candles));
  const subs = tapeSubs(d.channels);
  const ring = new FrameRingWriter(d.ring);
  const waitForRoom = (): void => {
    ring.publish();
    ring.waitForReader(100);
  };
  const putText = (frame: string): void => {
    while (!ring.tryWrite(frame)) waitForRoom();
  };
  const records = new FrameRecordWriter((bytes, length) => {
    while (!ring.tryWriteBytes(bytes, length)) waitForRoom();
  });
  const reader = new FrameReader();
  const scratch = Buffer.alloc(SCRATCH_BYTES);
  // The decoder reads a frame as a whole array: one view of the scratch per frame length, made once.
  const views: Buffer[] = [];
  const put = (frame: string): void => {
    if (!d.decoded || frame.length > SCRATCH_BYTES) return putText(frame);
    const n = scratch.write(frame, 0, 'latin1');
    const f = reader.decode((views[n] ??= scratch.subarray(0, n)));
    if (f === null || !records.write(f)) putText(frame);
  };
  // What a subscription gets at once, as on the socket: the quote before the stream.
  for (const s of subs) {
    const f = tape.openingFrame(s);
    if (f !== null) put(f);
  }
  const self = [0];
  const subsOf = (): typeof subs => subs;
  const emit = (_c: number, _s: unknown, frame: string): void => put(frame);
  while (!tape.done) {
    for (let i = 0; i < STEPS_PER_PUBLISH && !tape.done; i++) tape.step(self, subsOf, emit);
    ring.publish();
  }
  ring.finish();
}

const wd = workerData as TapeEncoderData | null;
if (parentPort !== null && wd?.kind === 'tape-encoder') run(wd);
