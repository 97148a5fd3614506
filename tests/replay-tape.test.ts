// The replay tape (the frames a replay serves and its market clock), the shared frame ring that carries them
// between threads, and the in-process REST history answered from the replay's own candles.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeFrame, FrameReader, type Frame } from '../src/shared/bitunix/index.js';
import { CandleColumns, GapFreeColumns } from '../src/shared/candle-pack.js';
import { createFrameRing, FrameRingReader, FrameRingWriter } from '../src/shared/frame-ring.js';
import { ReplayTape, tapeSubs } from '../src/shared/replay-tape.js';
import type { Candle } from '../src/shared/types.js';
import { TapeHistory } from '../src/main/replay-history.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 11, 1, 0, 0);

function candles(n: number): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const open = 100 + (i % 7);
    return { ts: T0 + i * MINUTE, open, high: open + 2, low: open - 1, close: open + 1, volume: 3 + i };
  });
}

function play(tape: ReplayTape, channels: string[]): Frame[] {
  const subs = tapeSubs(channels);
  const out: Frame[] = [];
  for (const s of subs) {
    const f = tape.openingFrame(s);
    if (f !== null) out.push(decodeFrame(f));
  }
  while (!tape.done)
    tape.step(
      [0],
      () => subs,
      (_c, _s, f) => out.push(decodeFrame(f)),
    );
  return out;
}

test('the tape streams every candle after the history, and its last frame is the last candle at its last millisecond', () => {
  const file = candles(210);
  const tape = new ReplayTape('BTCUSDT', file);
  assert.equal(tape.firstLiveTs, file[200]!.ts);
  assert.equal(tape.endTs, file[209]!.ts + MINUTE - 1);
  const frames = play(tape, ['depth_book1', 'trade', 'market_kline_1min', 'price']);
  assert.deepEqual(
    frames.slice(0, 3).map((f) => f.type),
    ['book', 'trade', 'price'],
    'a subscription gets the quote at once, the kline waits for the stream',
  );
  const ts = frames.map((f) => ('ts' in f ? f.ts : -1));
  assert.ok(
    ts.every((x, i) => i === 0 || x >= ts[i - 1]!),
    'market time never goes back',
  );
  assert.ok(
    ts.slice(3).every((x) => x >= tape.firstLiveTs),
    'nothing streamed before the first live candle',
  );
  const last = frames.at(-1)!;
  assert.equal(last.type, 'kline');
  assert.equal(ts.at(-1), tape.endTs);
  // the final push of each candle is the file's candle
  const finals = frames.filter((f): f is Extract<Frame, { type: 'kline' }> => f.type === 'kline' && f.ts % MINUTE === MINUTE - 1);
  assert.deepEqual(
    finals.map((k) => [k.ts - MINUTE + 1, k.open, k.high, k.low, k.close, k.volume]),
    file.slice(200).map((c) => [c.ts, c.open, c.high, c.low, c.close, c.volume]),
  );
});

test('with a longer kline interval the forming candle is pushed at the very end, so the last frame is still at endTs', () => {
  const tape = new ReplayTape('BTCUSDT', candles(203)); // 3 streamed minutes: no 5-minute bucket ends
  const frames = play(tape, ['depth_book1', 'market_kline_5min']);
  const last = frames.at(-1)!;
  assert.equal(last.type, 'kline');
  assert.equal(last.type === 'kline' && last.ts, tape.endTs);
});

/**
 * Frames `frameOf(0..n-1)` through a 1 KB ring by `write` (false while full: the reader then takes some and
 * the write must succeed), then every frame read back.
 */
function throughRing(n: number, frameOf: (i: number) => string, write: (w: FrameRingWriter, frame: string, i: number) => boolean) {
  const sab = createFrameRing(1024);
  const w = new FrameRingWriter(sab);
  const r = new FrameRingReader(sab);
  const sent: string[] = [];
  const got: string[] = [];
  const take = (b: Buffer, s: number, e: number): void => void got.push(b.toString('latin1', s, e));
  for (let i = 0; i < n; i++) {
    const frame = frameOf(i);
    if (!write(w, frame, i)) {
      w.publish();
      assert.ok(r.read(1_000, take) > 0, 'a full ring has frames to read');
      assert.ok(write(w, frame, i), 'room again once read');
    }
    sent.push(frame);
  }
  w.finish();
  r.read(1_000, take);
  return { w, r, sent, got };
}

test('the frame ring hands every frame over in order, across wrap-arounds, and refuses a frame while full', () => {
  const { r, sent, got } = throughRing(
    500,
    (i) => `{"n":${i},"pad":"${'x'.repeat((i * 37) % 150)}"}`,
    (w, frame) => w.tryWrite(frame),
  );
  assert.equal(r.finished, true);
  assert.deepEqual(got, sent);
});

test('frames written in place keep the ring`s records: mixed with copied frames, in order across wrap-arounds', () => {
  const { w, sent, got } = throughRing(
    600,
    (i) => `{"n":${i},"pad":"${'y'.repeat((i * 53) % 170)}"}`,
    (w, frame, i) => {
      if (i % 3 === 0) return w.tryWrite(frame);
      const at = w.reserve(frame.length + 40); // a bound above the frame, as the codec's writers reserve
      if (at < 0) return false;
      w.buffer.set(Buffer.from(frame, 'latin1'), at);
      w.commit(frame.length);
      return true;
    },
  );
  assert.deepEqual(got, sent);
  assert.ok(w.reserve(10) >= 0);
  assert.throws(() => w.commit(11), /overran its reserve/);
  assert.throws(() => w.reserve(600), /does not fit/);
});

test("the in-process REST history serves only candles closed by the replay's market time", async () => {
  const file = candles(260);
  const tape = new ReplayTape('BTCUSDT', file);
  let now = 0;
  const h = new TapeHistory(tape, () => now);
  const seed = await h.lastClosed('1m', 200, tape.firstLiveTs);
  assert.equal(seed.length, 200);
  assert.equal(seed.at(-1)!.ts, tape.firstLiveTs - MINUTE);
  now = file[230]!.ts + 30_000; // half-way through candle 230
  const recent = await h.minutesThrough(file[225]!.ts, file[240]!.ts);
  assert.deepEqual(
    recent.map((c) => c.ts),
    file.slice(225, 230).map((c) => c.ts),
    'the candle still forming and later ones are not served',
  );
  const fives = await h.lastClosed('5m', 3, now);
  assert.deepEqual(
    fives.map((c) => c.ts),
    [T0 + 215 * MINUTE, T0 + 220 * MINUTE, T0 + 225 * MINUTE],
  );
  assert.equal(
    fives.at(-1)!.volume,
    [225, 226, 227, 228, 229].reduce((a, i) => a + file[i]!.volume, 0),
  );
});

test("candles kept as columns come back bit for bit, and a tape on another tape's columns serves the same frames", () => {
  const cs = candles(250).map((c, i) => ({ ...c, open: c.open + 0.1 + 0.2, volume: i === 0 ? 0 : c.volume / 3 }));
  const cols = CandleColumns.of(cs);
  assert.equal(cols.length, cs.length);
  assert.deepEqual([...cols], cs);
  assert.deepEqual(cols.slice(3, 5), cs.slice(3, 5));
  assert.throws(() => new CandleColumns(new Float64Array(7)), /not a whole number of candles/);
  const channels = ['depth_book1', 'trade', 'price', 'market_kline_1min'];
  const a = new ReplayTape('BTCUSDT', cs);
  const b = new ReplayTape('BTCUSDT', new CandleColumns(a.candles.data));
  assert.deepEqual(play(b, channels), play(new ReplayTape('BTCUSDT', cs), channels));
});

test('missing minutes become flat candles at the previous close, however the columns grow; candles out of order are refused', () => {
  const cs = candles(40).filter((_, i) => i % 5 !== 2 && (i < 20 || i > 31)); // single minutes and a 12-minute gap
  const built = new GapFreeColumns(3); // far too small a first guess: it grows
  for (const c of cs) built.push(c);
  const cols = built.columns();
  assert.ok(cols.data.buffer instanceof SharedArrayBuffer);
  assert.equal(cols.length, 40);
  const byTs = new Map(cs.map((c) => [c.ts, c]));
  for (let i = 0; i < 40; i++) {
    const c = cols.at(i);
    const prev = i > 0 ? cols.at(i - 1) : null;
    const p = prev?.close;
    assert.deepEqual(c, byTs.get(T0 + i * MINUTE) ?? { ts: T0 + i * MINUTE, open: p, high: p, low: p, close: p, volume: 0 });
  }
  assert.deepEqual([...new ReplayTape('BTCUSDT', cs).candles], [...cols]);
  assert.throws(() => built.push(cs[3]!), /ascending 1-minute candles/);
  assert.throws(() => new GapFreeColumns().push({ ...cs[0]!, ts: T0 + 30_000 }), /ascending 1-minute candles/);
});

test('the byte reader gives every frame of a tape (book, trade, kline and price pushes) as the text decoder does', () => {
  const subs = tapeSubs(['depth_book1', 'trade', 'price', 'market_kline_1min', 'market_kline_5min']);
  const tape = new ReplayTape(
    'BTCUSDT',
    candles(230).map((c, i) => ({ ...c, open: c.open + (i % 3) / 100, close: c.close + 0.05 })),
  );
  const reader = new FrameReader();
  const kinds = new Set<string>();
  while (!tape.done) {
    tape.step(
      [0],
      () => subs,
      (_c, s, f) => {
        const fast = reader.decode(Buffer.from(f, 'latin1'));
        assert.ok(fast !== null, `${s.kind} frame left to the text decoder: ${f}`);
        assert.deepEqual(fast, decodeFrame(f));
        kinds.add(fast.type);
      },
    );
  }
  assert.deepEqual([...kinds].sort(), ['book', 'kline', 'price', 'trade']);
  // A negative funding rate is outside the byte reader's layout: the text decoder reads it.
  assert.equal(
    reader.decode(
      Buffer.from('{"ch":"price","symbol":"BTCUSDT","ts":1,"data":{"ip":"1","mp":"1","fr":"-0.01","ft":"2024-12-01T00:00:00Z","nft":"2024-12-01T08:00:00Z"}}'),
    ),
    null,
  );
});

test('a tape that reuses its tick objects serves the same quotes and frames, the current quote intact after the next candle is synthesised', () => {
  const channels = ['depth_book1', 'trade', 'price', 'market_kline_1min'];
  const quotes = (tape: ReplayTape): unknown[] => {
    const subs = tapeSubs(channels);
    const out: unknown[] = [];
    while (!tape.done) {
      tape.step(
        [0],
        () => subs,
        (_c, _s, f) => out.push(f),
      );
      out.push({ ...tape.tick });
    }
    return out;
  };
  const file = candles(230);
  assert.deepEqual(quotes(new ReplayTape('BTCUSDT', file, { reuseTicks: true })), quotes(new ReplayTape('BTCUSDT', file)));
});
