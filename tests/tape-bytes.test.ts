// The replay's byte path: the tape's frames written in place into the frame ring (as the encoding thread of
// `--speed max` does) are, in order and byte for byte, the frames the simulator's text path serves.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodeFrame, FrameReader } from '../src/shared/bitunix/index.js';
import { parseCandleCsv } from '../src/shared/candle-csv.js';
import { createFrameRing, FrameRingReader, FrameRingWriter } from '../src/shared/frame-ring.js';
import { ReplayTape, tapeSubs } from '../src/shared/replay-tape.js';
import { ByteFrames, maxTapeFrameBytes, ringRoom } from '../src/shared/ring-frames.js';
import type { Candle } from '../src/shared/types.js';

const MONTH = path.resolve(import.meta.dirname, '..', '..', 'shared', 'data', 'binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');
/** The history and three days of the month keep the test quick; the month itself runs the same code. */
const CANDLES = 200 + 3 * 1440;

/** Every frame of the tape as the simulator's text step() serves them. */
function textStream(candles: Candle[], channels: string[]): Buffer {
  const tape = new ReplayTape('BTCUSDT', candles);
  const subs = tapeSubs(channels);
  const parts: Buffer[] = [];
  for (const s of subs) {
    const f = tape.openingFrame(s);
    if (f !== null) parts.push(Buffer.from(f, 'latin1'));
  }
  while (!tape.done)
    tape.step(
      [0],
      () => subs,
      (_c, _s, f) => parts.push(Buffer.from(f, 'latin1')),
    );
  return Buffer.concat(parts);
}

/** Every frame of the tape written in place into a small ring, read back between steps, as the encoding thread writes them. */
function ringStream(candles: Candle[], channels: string[]): Buffer {
  const tape = new ReplayTape('BTCUSDT', candles, { reuseTicks: true }); // as the encoding thread plays it
  const subs = tapeSubs(channels);
  const sab = createFrameRing(1 << 13); // small, so the records wrap around many times
  const w = new FrameRingWriter(sab);
  const r = new FrameRingReader(sab);
  const frames = new ByteFrames(ringRoom(w), maxTapeFrameBytes('BTCUSDT', channels));
  const parts: Buffer[] = [];
  const take = (b: Buffer, s: number, e: number): void => void parts.push(Buffer.from(b.subarray(s, e)));
  const drain = (): void => {
    w.publish();
    r.read(1e9, take);
  };
  for (const s of subs) tape.opening(s, frames);
  drain();
  while (!tape.done) {
    tape.stepWith(
      frames,
      [0],
      () => subs,
      () => {},
    );
    drain();
  }
  w.finish();
  r.read(1e9, take);
  assert.equal(r.finished, true);
  return Buffer.concat(parts);
}

function assertSameStream(candles: Candle[], channels: string[]): void {
  const want = textStream(candles, channels);
  const got = ringStream(candles, channels);
  if (!got.equals(want)) {
    let i = 0;
    while (i < want.length && got[i] === want[i]) i++;
    assert.fail(`streams differ at byte ${i}: text ${want.toString('latin1', i - 80, i + 80)} / bytes ${got.toString('latin1', i - 80, i + 80)}`);
  }
}

test('three days of a real month: the bytes written in place are the text path`s, frame for frame', { skip: existsSync(MONTH) ? false : `no ${MONTH}` }, () => {
  const candles = parseCandleCsv(readFileSync(MONTH, 'utf8'), MONTH).slice(0, CANDLES);
  assert.equal(candles.length, CANDLES);
  assertSameStream(candles, ['depth_book1', 'trade', 'market_kline_1min', 'price']);
  assertSameStream(candles.slice(0, 1000), ['price', 'market_kline_5min', 'depth_book1', 'market_kline_60min', 'trade']);
});

test('odd candles (gaps, tiny and zero volumes, sub-cent prices) give the same bytes on both paths', () => {
  const T0 = Date.UTC(2024, 11, 1);
  const out: Candle[] = [];
  for (let i = 0; i < 400; i++) {
    if (i % 50 === 7) continue; // a gap: flat minutes at the previous close
    const open = i < 300 ? 97_000 + ((i * 37) % 500) / 100 : 0.0123 + (i % 9) / 10_000;
    const tick = i < 300 ? 0.01 : 0.0001;
    const high = open + 5 * tick;
    const low = open - 3 * tick;
    const volume = i % 11 === 0 ? 0 : i % 13 === 0 ? 1e-7 : ((i * 7919) % 100_000) / 1e4;
    out.push({ ts: T0 + i * 60_000, open, high, low, close: open + tick, volume });
  }
  assertSameStream(out, ['depth_book1', 'trade', 'market_kline_1min', 'market_kline_3min', 'price']);
});

test('frames written into one scratch buffer and decoded there (the encoding thread`s path) decode as their text does, across funding times', () => {
  // Prices of one length keep every field at the same offset frame after frame: a decoder that kept a view of
  // the scratch instead of a copy would take the new funding time for the old one.
  const T0 = Date.UTC(2024, 11, 1);
  const file: Candle[] = Array.from({ length: 200 + 1000 }, (_, i) => ({
    ts: T0 + i * 60_000,
    open: 97_000.5,
    high: 97_001.5,
    low: 96_999.5,
    close: 97_000.5,
    volume: 2,
  }));
  const channels = ['depth_book1', 'trade', 'market_kline_1min', 'price'];
  const subs = tapeSubs(channels);
  const texts: string[] = [];
  const text = new ReplayTape('BTCUSDT', file);
  while (!text.done)
    text.step(
      [0],
      () => subs,
      (_c, _s, f) => texts.push(f),
    );
  const max = maxTapeFrameBytes('BTCUSDT', channels);
  const scratch = Buffer.alloc(max);
  const reader = new FrameReader();
  let i = 0;
  const fundingTimes = new Set<number>();
  const room = {
    buffer: scratch,
    room: () => 0,
    written(n: number): void {
      const want = texts[i++]!;
      assert.equal(scratch.toString('latin1', 0, n), want);
      const got = reader.decode(scratch.subarray(0, n));
      assert.deepEqual(got ?? decodeFrame(want), decodeFrame(want), want);
      if (got?.type === 'price') fundingTimes.add(got.fundingTime);
    },
  };
  const bytes = new ReplayTape('BTCUSDT', file, { reuseTicks: true });
  const frames = new ByteFrames(room, max);
  while (!bytes.done)
    bytes.stepWith(
      frames,
      [0],
      () => subs,
      () => {},
    );
  assert.equal(i, texts.length);
  assert.ok(fundingTimes.size >= 3, 'the tape crosses funding times');
});
