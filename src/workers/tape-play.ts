// The replay encoder's play (tape-encoder.ts): the tape (ticks synthesised, frames encoded by the shared codec,
// exactly as the simulator would send them) written into a shared frame ring, while the main thread trades.
// Frames are written as bytes by the byte-level codec, never built as strings. Unless the main thread records the
// frames' text (--record), a frame made while the main thread lags is written into a scratch buffer and decoded
// here, by the same FrameReader the socket path runs, and passed on as its decoded record (frame-records.ts), so
// decoding overlaps trading; while the main thread keeps up (or when the reader leaves a frame to the text
// decoder) the frame goes as its text, written in place into the ring, and the main thread decodes it. With
// --record every frame goes as its text. It blocks only on a full ring.
import { FrameReader, frameSlots } from '../shared/bitunix/frame-reader.js';
import type { CandleColumns } from '../shared/candle-pack.js';
import { FrameRecordWriter } from '../shared/frame-records.js';
import { FrameRingWriter } from '../shared/frame-ring.js';
import { ReplayTape, tapeSubs } from '../shared/replay-tape.js';
import { ByteFrames, type FrameRoom, maxTapeFrameBytes, ringRoom } from '../shared/ring-frames.js';

/** How the tape is played into the ring: what the main thread's feed will read (known from the config). */
export interface TapePlay {
  channels: string[];
  ring: SharedArrayBuffer;
  /** Pass each frame decoded (its record); false: its text, for a main thread that records it. */
  decoded: boolean;
}

/** Steps (ticks) between two publishes: the reader sees frames in batches of about this many ticks. */
const STEPS_PER_PUBLISH = 256;
/**
 * The first publish comes after this many steps, each next one after twice as many up to STEPS_PER_PUBLISH: a
 * main thread already waiting for the stream gets its first frames while this thread's code is still cold.
 */
const FIRST_PUBLISH_STEPS = 8;

/**
 * Below this share of the ring unread, the main thread is keeping up (it waits for frames more than it trades),
 * so a frame goes as its text and the main thread decodes it; above it, this thread decodes. Either side decodes
 * with a FrameReader to the same Frame, so the split (which follows the load of the moment) never changes what
 * is traded; it only keeps both threads busy.
 */
const DECODE_HERE_ABOVE = 1 / 4;

/**
 * While the main thread keeps up, each frame is written in place into the ring as its text, for the main thread
 * to decode; otherwise into a scratch buffer, decoded there and its record put into the ring (or its text,
 * when the reader leaves the frame to the text decoder).
 */
function decodingRoom(ring: FrameRingWriter, maxLen: number): FrameRoom {
  const inRing = ringRoom(ring);
  const records = new FrameRecordWriter(inRing);
  // Each decoded frame is written into its record at once: the reader's slots, no Frame a push.
  const reader = new FrameReader(frameSlots());
  const scratch = Buffer.alloc(maxLen);
  const lowWater = ring.capacity * DECODE_HERE_ABOVE;
  // The copy into the ring takes a frame as a whole array: one view of the scratch per frame length, made once.
  const views: Buffer[] = [];
  let here = false;
  const room = {
    buffer: scratch as Uint8Array,
    room(max: number): number {
      here = ring.unread >= lowWater;
      if (here) {
        room.buffer = scratch;
        return 0;
      }
      const at = inRing.room(max);
      room.buffer = ring.buffer;
      return at;
    },
    written(n: number): void {
      if (here) {
        const f = reader.decodeAt(scratch, 0, n);
        if (f !== null && records.write(f)) return;
        ring.buffer.set((views[n] ??= scratch.subarray(0, n)), inRing.room(n));
      }
      inRing.written(n);
    },
  };
  return room;
}

/** Play the tape of `candles` into `d.ring` to its end (blocking while the ring is full). */
export function playTape(symbol: string, candles: CandleColumns, d: TapePlay): void {
  // Nothing here keeps a tick, so the tape may reuse its tick objects.
  const tape = new ReplayTape(symbol, candles, { reuseTicks: true });
  const subs = tapeSubs(d.channels);
  const ring = new FrameRingWriter(d.ring);
  const maxLen = maxTapeFrameBytes(symbol, d.channels);
  const frames = new ByteFrames(d.decoded ? decodingRoom(ring, maxLen) : ringRoom(ring), maxLen);
  // What a subscription gets at once, as on the socket: the quote before the stream.
  for (const s of subs) tape.opening(s, frames);
  const self = [0];
  const subsOf = (): typeof subs => subs;
  const written = (): void => {};
  let steps = FIRST_PUBLISH_STEPS;
  while (!tape.done) {
    for (let i = 0; i < steps && !tape.done; i++) tape.stepWith(frames, self, subsOf, written);
    ring.publish();
    steps = Math.min(steps * 2, STEPS_PER_PUBLISH);
  }
  ring.finish();
}
