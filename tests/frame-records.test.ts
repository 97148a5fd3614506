// Decoded frames handed between threads as records (frame-records.ts): what the main thread rebuilds is the
// very Frame the encoding thread decoded, through the shared ring, across wrap-arounds, for every kind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeFrame,
  encodeBook,
  encodeKline,
  encodePrice,
  encodeTrade,
  FrameReader,
  frameSlots,
  type Frame,
  type FrameSlots,
} from '../src/shared/bitunix/index.js';
import { FrameRecordReader, FrameRecordWriter, isFrameRecord } from '../src/shared/frame-records.js';
import { createFrameRing, FrameRingReader, FrameRingWriter } from '../src/shared/frame-ring.js';
import { ReplayTape, tapeSubs } from '../src/shared/replay-tape.js';
import type { Candle } from '../src/shared/types.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 11, 1, 0, 0);

function candles(n: number): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const open = 96_000 + ((i * 37) % 90) + 0.25 * (i % 4);
    return { ts: T0 + i * MINUTE, open, high: open + 25.5, low: open - 13.25, close: open + 3, volume: 1.5 + i / 8 };
  });
}

/**
 * Frames written as records through a small ring (as their wire text, paired, when they have no record form),
 * read back as the main thread does.
 */
function throughRing(frames: readonly (Frame | [text: string, frame: Frame])[], ringBytes = 1024, slots: FrameSlots | null = null): Frame[] {
  const sab = createFrameRing(ringBytes);
  const ring = new FrameRingWriter(sab);
  const reader = new FrameRingReader(sab);
  const records = new FrameRecordReader(slots);
  const got: Frame[] = [];
  const take = (b: Buffer, s: number, e: number): void => {
    if (!isFrameRecord(b, s)) return void got.push(decodeFrame(b.toString('latin1', s, e)));
    const f = records.read(b, s, e);
    // A frame read into a slot is valid until the next read: what is kept is a copy.
    if (f !== null) got.push(slots === null ? f : { ...f });
  };
  const writer = new FrameRecordWriter({
    buffer: ring.buffer,
    room: (maxLen) => {
      for (;;) {
        const at = ring.reserve(maxLen);
        if (at >= 0) return at;
        ring.publish();
        assert.ok(reader.read(10_000, take) > 0, 'a full ring has records to read');
      }
    },
    written: (length) => ring.commit(length),
  });
  for (const item of frames) {
    const [text, f] = Array.isArray(item) ? item : [null, item];
    if (writer.write(f)) continue;
    assert.ok(text !== null, `a ${f.type} frame has no record form`);
    while (!ring.tryWrite(text)) {
      ring.publish();
      reader.read(10_000, take);
    }
  }
  ring.finish();
  reader.read(1_000_000, take);
  return got;
}

/** Every frame of the replay tape of `n` candles on five channels, decoded by a FrameReader. */
function decodedTape(n: number): Frame[] {
  const tape = new ReplayTape('BTCUSDT', candles(n));
  const subs = tapeSubs(['depth_book1', 'trade', 'market_kline_1min', 'market_kline_5min', 'price']);
  const reader = new FrameReader();
  const decoded: Frame[] = [];
  while (!tape.done)
    tape.step(
      [0],
      () => subs,
      (_c, _s, text) => void decoded.push(reader.decode(Buffer.from(text, 'latin1'))!),
    );
  return decoded;
}

test('every frame of a replay tape comes back from its record exactly as it was decoded, across ring wrap-arounds', () => {
  const decoded = decodedTape(240);
  assert.ok(decoded.length > 1000 && decoded.every((f) => f !== null));
  assert.deepEqual(new Set(decoded.map((f) => f.type)), new Set(['book', 'trade', 'kline', 'price']));
  const back = throughRing(decoded);
  assert.equal(back.length, decoded.length);
  assert.deepEqual(back, decoded);
  // Two kline channels and the symbol were each named once, and told apart.
  assert.deepEqual(
    new Set(back.filter((f) => f.type === 'kline').map((f) => f.type === 'kline' && f.channel)),
    new Set(['market_kline_1min', 'market_kline_5min']),
  );
});

test('a reader with slots reads every record into the one Frame of its kind, with the values a fresh reader gives', () => {
  const decoded = decodedTape(60);
  const slots = frameSlots();
  assert.deepEqual(throughRing(decoded, 1024, slots), decoded);
  // The slots hold the last frame of each kind: nothing else was allocated for them.
  for (const kind of ['book', 'trade', 'kline', 'price'] as const) {
    assert.deepEqual(slots[kind], decoded.filter((f) => f.type === kind).at(-1), kind);
  }
});

test('numbers survive bit for bit (fractions, tiny and huge values, negative zero), and symbols switch', () => {
  const odd = [0.1 + 0.2, 1e-9, 123456789012.3456, 5e-324, 2 ** 53 + 2];
  const frames: Frame[] = [
    { type: 'book', symbol: 'BTCUSDT', ts: 1, bid: odd[0]!, ask: odd[2]!, bidQty: odd[1]!, askQty: odd[3]! },
    { type: 'trade', symbol: 'ETHUSDT', ts: 2, price: odd[4]!, qty: -0 },
    { type: 'price', symbol: 'BTCUSDT', ts: 3, markPrice: 1.5, indexPrice: 1.25, fundingRate: -0.000125, fundingTime: T0, nextFundingTime: T0 + 8 * 3_600_000 },
    { type: 'kline', symbol: 'ETHUSDT', ts: 4, channel: 'market_kline_60min', open: 1, high: 2, low: 0.5, close: 1.75, volume: 0 },
  ];
  const back = throughRing(frames);
  assert.deepEqual(back, frames);
  assert.ok(Object.is((back[1] as Extract<Frame, { type: 'trade' }>).qty, -0));
});

test('frames without a record form go as their text, in their place', () => {
  const control: Frame = { type: 'control', op: 'subscribe', ok: true };
  const refuse = (): never => assert.fail('no record for a control frame');
  assert.equal(new FrameRecordWriter({ buffer: new Uint8Array(64), room: refuse, written: refuse }).write(control), false);
  const texts = [
    encodeBook('BTCUSDT', T0, 100, 101, 1, 2),
    encodeBook('BTCUSDT', T0, 101, 100, 1, 2), // crossed: a bad frame
    '{"event":"subscribe","op":"subscribe","data":{"result":true}}',
    encodeTrade('BTCUSDT', T0 + 1, 100.5, 0.25, 'buy'),
    '{"op":"ping","pong":1732519687}',
    encodeKline('BTCUSDT', 'market_kline_1min', T0 + 2, { open: 1, high: 2, low: 1, close: 2, volume: 3 }),
    encodePrice('BTCUSDT', T0 + 3, { markPrice: 1, indexPrice: 1, fundingRate: 0, fundingTime: T0, nextFundingTime: T0 + 1 }),
  ];
  const frames = texts.map((t) => decodeFrame(t));
  assert.deepEqual(
    frames.map((f) => f.type),
    ['book', 'bad', 'control', 'trade', 'pong', 'kline', 'price'],
  );
  assert.deepEqual(throughRing(texts.map((t, i) => [t, frames[i]!])), frames);
});

test('a record outside the ring (not 8-byte aligned) still reads right, and a name used before it is sent is an error', () => {
  const misplaced = new FrameRecordWriter({ buffer: Buffer.from(new Float64Array(16).buffer), room: () => 0, written: () => {} });
  assert.throws(() => misplaced.write({ type: 'book', symbol: 'X', ts: 1, bid: 1, ask: 2, bidQty: 1, askQty: 1 }), /4 bytes past an 8-byte boundary/);
  const puts: Buffer[] = [];
  // Records written at offset 4 of float64 memory, as the ring places them, and kept as copies.
  const buffer = Buffer.from(new Float64Array(16).buffer);
  const w = new FrameRecordWriter({ buffer, room: () => 4, written: (n) => void puts.push(Buffer.from(buffer.subarray(4, 4 + n))) });
  const f: Frame = { type: 'trade', symbol: 'BTCUSDT', ts: 7, price: 95_000.25, qty: 0.125 };
  assert.ok(w.write(f));
  assert.equal(puts.length, 2, 'the symbol is named first');
  const r = new FrameRecordReader();
  const [name, rec] = puts as [Buffer, Buffer];
  assert.throws(() => r.read(rec, 0, rec.length), /name 0 used before it was sent/);
  assert.equal(r.read(name, 0, name.length), null);
  const shifted = Buffer.alloc(rec.length + 3);
  rec.copy(shifted, 3);
  assert.deepEqual(r.read(shifted, 3, 3 + rec.length), f);
  assert.deepEqual(r.read(rec, 0, rec.length), f);
});
