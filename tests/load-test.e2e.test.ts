// The load test and the hot path it measures (issue 6): the byte-level FrameReader decodes every book and
// trade push exactly as the JSON path does (and is really taken for the exchange's own frames); the flood's
// price pattern is the triangle it promises; the crossing check accepts an exit at the first crossing frame
// and rejects one at a later frame; and a short run of the real load test (simulator, engine and baseline
// as processes, two low rates, then the 30-second soak at 1 000 ticks/s with its two engine heap snapshots)
// loses no tick, acts on every stop crossing at its first crossing tick, keeps RSS sane, diffs the snapshots
// and ends with 0 errors. Needs `npm run build`.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeFrame, encodeBook, encodeKline, encodePrice, encodeTrade, FrameReader, type DecodeOptions } from '../src/shared/bitunix/index.js';
import type { ExitEvent, FillEvent } from '../src/shared/events.js';
import { floodBid, type FloodRecord } from '../src/workers/exchange-sim/index.js';
import { checkCrossings, runLoadTest } from '../scripts/load-test.js';

const TS = 1_795_821_008_284;

/** What the engine's message handler does with a frame: the reader first, the text when it declines. */
function viaReader(text: string, opts?: DecodeOptions): ReturnType<typeof decodeFrame> | null {
  return new FrameReader().decode(Buffer.from(text, 'utf8'), opts);
}

describe('FrameReader decodes book, trade and kline pushes exactly like decodeFrame', () => {
  it('takes the fast path for the exchange layout, the captured frames included, with identical frames', () => {
    const book = encodeBook('BTCUSDT', TS, 95000.1, 95000.2, 1.2345, 0.5);
    const trade = encodeTrade('BTCUSDT', TS, 95000.1, 0.011, 'buy');
    // two trades in one push (captured, notes §1.5.4): the last one counts
    const tradeDoc =
      '{"ch":"trade","symbol":"BTCUSDT","ts":1775540872598,"data":[{"t":"2026-04-07T05:47:52Z","p":"68621.4","v":"0.7142","s":"buy"},{"t":"2026-04-07T05:47:52Z","p":"68621.4","v":"0.0018","s":"sell"}]}';
    assert.deepEqual(viaReader(book), { type: 'book', symbol: 'BTCUSDT', ts: TS, bid: 95000.1, ask: 95000.2, bidQty: 1.2345, askQty: 0.5 });
    assert.deepEqual(viaReader(trade), { type: 'trade', symbol: 'BTCUSDT', ts: TS, price: 95000.1, qty: 0.011 });
    assert.deepEqual(viaReader(tradeDoc), { type: 'trade', symbol: 'BTCUSDT', ts: 1775540872598, price: 68621.4, qty: 0.0018 });
    const kline = encodeKline('BTCUSDT', 'market_kline_1min', TS, { open: 95000.1, high: 95010, low: 94990.5, close: 95001, volume: 12.345 });
    assert.deepEqual(viaReader(kline), {
      type: 'kline',
      symbol: 'BTCUSDT',
      ts: TS,
      channel: 'market_kline_1min',
      open: 95000.1,
      high: 95010,
      low: 94990.5,
      close: 95001,
      volume: 12.345,
    });
    for (const t of [book, trade, tradeDoc, kline]) assert.deepEqual(viaReader(t), decodeFrame(t));
  });

  it('declines what it does not read exactly, so the text path gives the reason', () => {
    const declined = [
      encodeBook('BTCUSDT', TS, 95000.2, 95000.1, 1, 1), // crossed
      '{"ch":"depth_book1","symbol":"BTCUSDT","ts":1795821008284,"data":{"b":[["",""]],"a":[["",""]]}}', // empty
      '{"ch":"depth_book1","symbol":"BTCUSDT","ts":1795821008284,"data":{"b":[["1e5","1"]],"a":[["100001","1"]]}}', // exponent
      '{"ch":"depth_book1", "symbol":"BTCUSDT","ts":1795821008284,"data":{"b":[["1","1"]],"a":[["2","1"]]}}', // a space
      '{"ch":"depth_book1","symbol":"BTCUSDT","ts":01795821008284,"data":{"b":[["1","1"]],"a":[["2","1"]]}}', // leading zero: not JSON
      '{"ch":"trade","symbol":"BTC\\u0055SDT","ts":1795821008284,"data":[{"t":"x","p":"1","v":"1","s":"buy"}]}', // an escape
      '{"ch":"trade","symbol":"BTCUSDT","ts":1795821008284,"data":[{"t":"x","p":"0","v":"1","s":"buy"}]}', // price 0
      '{"ch":"trade","symbol":"BTCUSDT","ts":1795821008284,"data":[{"t":"x","p":"1","v":"1","s":"buy"}]} ', // trailing space
      '{"ch":"trade","symbol":"BTCUSDT","ts":1795821008284,"data":[{"t":"x","p":"1.00000000000000001","v":"1","s":"buy"}]}', // 18 digits
    ];
    for (const t of declined) assert.equal(viaReader(t), null, t);
    assert.deepEqual(decodeFrame(declined[0]!), { type: 'bad', reason: 'crossed_book', detail: 'bid 95000.2 >= ask 95000.1' });
    // a frame too far in the future is left to the text path, which names it
    const opts = { nowMs: TS - 120_000, maxFutureMs: 60_000 };
    assert.equal(viaReader(encodeBook('BTCUSDT', TS, 1, 2, 1, 1), opts), null);
    assert.deepEqual(decodeFrame(encodeBook('BTCUSDT', TS, 1, 2, 1, 1), opts), { type: 'bad', reason: 'future_ts', detail: '120000 ms ahead' });
  });

  it('agrees with decodeFrame on random frames and on random corruptions of them (property)', () => {
    const price = fc.oneof(
      fc.integer({ min: 0, max: 2_000_000 }).map((n) => n / 10),
      fc.double({ min: 1e-9, max: 1e9, noNaN: true }),
      fc.constantFrom(0, 1e-7, 123456789012.3456),
    );
    const grid = fc.integer({ min: 1, max: 2_000_000 }).map((n) => n / 10);
    const realistic = fc
      .record({ ts: fc.integer({ min: 0, max: 2e12 }), b: grid, spread: fc.integer({ min: 1, max: 50 }), q: grid })
      .map((r) => encodeBook('BTCUSDT', r.ts, r.b, Math.round((r.b + r.spread / 10) * 10) / 10, r.q, r.q));
    const frame = fc.oneof(
      realistic,
      fc
        .record({ sym: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'X', ''), ts: fc.integer({ min: 0, max: 2e12 }), b: price, a: price, bq: price, aq: price })
        .map((r) => encodeBook(r.sym, r.ts, r.b, r.a, r.bq, r.aq)),
      fc
        .record({ sym: fc.constantFrom('BTCUSDT', 'ETHUSDT'), ts: fc.integer({ min: 0, max: 2e12 }), p: price, v: price, buy: fc.boolean() })
        .map((r) => encodeTrade(r.sym, r.ts, r.p, r.v, r.buy ? 'buy' : 'sell')),
      fc
        .record({
          ch: fc.constantFrom('market_kline_1min', 'market_kline_60min', 'market_kline_'),
          ts: fc.integer({ min: 0, max: 2e12 }),
          o: price,
          h: price,
          l: price,
          c: price,
          v: price,
        })
        .map((r) => encodeKline('BTCUSDT', r.ch, r.ts, { open: r.o, high: r.h, low: r.l, close: r.c, volume: r.v })),
      fc.record({ ts: fc.integer({ min: 0, max: 2e12 }), l: grid, up: grid, c: fc.double({ min: 0, max: 1, noNaN: true }), v: grid }).map((r) =>
        encodeKline('BTCUSDT', 'market_kline_5min', r.ts, {
          open: r.l,
          high: r.l + r.up,
          low: r.l,
          close: Math.round((r.l + r.up * r.c) * 10) / 10,
          volume: r.v,
        }),
      ),
    );
    const edit = fc.tuple(fc.nat(), fc.constantFrom('', '"', '\\', ' ', '0', '.', ',', '}', ']', '9', '-', 'e', 'é'), fc.nat({ max: 2 }));
    const corrupted = fc.tuple(frame, fc.array(edit, { maxLength: 3 })).map(([t, edits]) => {
      for (const [at, ch, del] of edits) {
        const i = at % (t.length + 1);
        t = t.slice(0, i) + ch + t.slice(i + del);
      }
      return t;
    });
    const opts = fc.option(fc.record({ nowMs: fc.integer({ min: 0, max: 2e12 }), maxFutureMs: fc.constant(60_000) }), { nil: undefined });
    let fast = 0;
    fc.assert(
      fc.property(fc.oneof(frame, corrupted), opts, (text, o) => {
        const r = viaReader(text, o);
        if (r !== null) {
          fast++;
          assert.deepEqual(r, decodeFrame(text, o));
        }
      }),
      { numRuns: 4000, seed: 6 },
    );
    assert.ok(fast > 500, `the fast path was taken ${fast} times (of 4000)`);
  });
});

describe('FrameReader.decodeAt reads a frame inside a larger buffer as decode reads it alone', () => {
  it('never lets the bytes around the frame change it, a truncated frame followed by its own rest included (property)', () => {
    const grid = fc.integer({ min: 1, max: 2_000_000 }).map((n) => n / 10);
    const ts = fc.integer({ min: 0, max: 2e12 });
    const frame = fc.oneof(
      fc.record({ ts, b: grid, q: grid }).map((r) => encodeBook('BTCUSDT', r.ts, r.b, r.b + 0.1, r.q, r.q)),
      fc.record({ ts, p: grid, v: grid, buy: fc.boolean() }).map((r) => encodeTrade('BTCUSDT', r.ts, r.p, r.v, r.buy ? 'buy' : 'sell')),
      fc
        .record({ ts, l: grid, up: grid, v: grid })
        .map((r) => encodeKline('BTCUSDT', 'market_kline_1min', r.ts, { open: r.l, high: r.l + r.up, low: r.l, close: r.l, volume: r.v })),
      fc
        .record({ ts, m: grid })
        .map((r) =>
          encodePrice('BTCUSDT', r.ts, { markPrice: r.m, indexPrice: r.m, fundingRate: 0.0001, fundingTime: 1733126400000, nextFundingTime: 1733155200000 }),
        ),
    );
    const junk = fc.string({ maxLength: 12 });
    let whole = 0;
    fc.assert(
      fc.property(frame, fc.nat(), junk, junk, fc.boolean(), (text, cut, before, after, restFollows) => {
        // The frame's first `k` bytes (a quarter of the time all of them), then (when restFollows) the rest of
        // the frame it was cut from.
        const k = cut % 4 === 0 ? text.length : cut % (text.length + 1);
        const alone = text.slice(0, k);
        const buf = Buffer.from(before + alone + (restFollows ? text.slice(k) : '') + after, 'latin1');
        const start = Buffer.byteLength(before, 'latin1');
        const reader = new FrameReader();
        const got = reader.decodeAt(buf, start, start + k);
        assert.deepEqual(got, new FrameReader().decode(Buffer.from(alone, 'latin1')));
        if (k === text.length && got !== null) {
          whole++;
          assert.deepEqual(got, decodeFrame(text));
        }
      }),
      { numRuns: 3000, seed: 12 },
    );
    assert.ok(whole > 300, `whole frames read ${whole} times`);
  });
});

describe('the flood pattern', () => {
  it('is a triangle on the 0.1 grid from base: first to base + swing, then to base - swing, period 4·|swing|/0.1', () => {
    const bid = (k: number): number => floodBid(95_000, -5, k);
    assert.deepEqual(
      [0, 1, 2, 49, 50, 51, 100, 150, 151, 199, 200, 250].map(bid),
      [95_000, 94_999.9, 94_999.8, 94_995.1, 94_995, 94_995.1, 95_000, 95_005, 95_004.9, 95_000.1, 95_000, 94_995],
    );
    assert.deepEqual(
      [0, 3, 6, 9, 12].map((k) => floodBid(100, 0.3, k)),
      [100, 100.3, 100, 99.7, 100],
    );
  });
});

describe('the stop-crossing check', () => {
  // flood: frames alternate book/trade; a LONG standing with sl 94_999.55 is first crossed by book frame 6
  // (bid 94_999.4: frames 0, 2, 4 quote 95_000, 94_999.8, 94_999.6); frames 0-3 carry ts T, 4 on T + 1.
  const T = 1_000_000;
  const flood: FloodRecord = {
    id: 1,
    symbol: 'BTCUSDT',
    ratePerSec: 1000,
    seconds: 1,
    swing: -5,
    bases: { BTCUSDT: 95_000 },
    startedAt: 0,
    endedAt: 1,
    sent: 100,
    conflated: 0,
    drops: [],
    rotation: ['book', 'trade'],
    tsLog: [0, T, 4, T + 1],
    tsLogTruncated: false,
  };
  const fill: FillEvent = {
    event: 'Fill',
    orderId: 'o1',
    side: 'LONG',
    price: 95_000,
    qty: 0.01,
    fee: 0.57,
    liquidity: 'taker',
    sl: 94_999.55,
    tp: 95_100,
    at: T - 5_000,
  };
  const exit = (price: number, at: number): ExitEvent => ({
    event: 'Exit',
    orderId: 'o1',
    reason: 'SL',
    price,
    qty: 0.01,
    pnl: (price - 95_000) * 0.01,
    fee: 0.57,
    source: 'tick',
    at,
  });

  it('accepts the exit at the first crossing frame (its exact ts and bid)', () => {
    const [c] = checkCrossings([flood], [fill, exit(94_999.4, T + 1)]);
    assert.equal(c!.ok, true);
    assert.deepEqual(c!.expected, { k: 6, ts: T + 1, price: 94_999.4, reason: 'SL' });
  });

  it('rejects an exit at a later crossing frame, and a crossing the engine did not act on', () => {
    assert.equal(checkCrossings([flood], [fill, exit(94_999.2, T + 1)])[0]!.ok, false);
    assert.equal(checkCrossings([flood], [fill])[0]!.why, 'a frame crossed the stop but the engine did not exit in the flood');
  });
});

describe('npm run load-test, CI form', () => {
  it('two low rates and the 30-second soak at 1 000 ticks/s with heap snapshots: nothing lost, every crossing on its first tick, 0 errors', {
    timeout: 300_000,
  }, async (t) => {
    const heapSnapshotDir = mkdtempSync(path.join(tmpdir(), 'la-heap-'));
    t.after(() => rmSync(heapSnapshotDir, { recursive: true, force: true }));
    const r = await runLoadTest({
      rates: [2_000, 10_000],
      seconds: 2,
      soakMinutes: 0.5,
      soakRate: 1_000,
      cpuProfDir: null,
      heapSnapshotDir,
      keep: false,
      log: () => {},
    });
    assert.deepEqual(r.errors, []);
    assert.equal(r.engine.length, 2);
    for (const s of [...r.baseline, ...r.engine]) {
      assert.equal(s.lost, 0, `${s.target} ${s.rate}/s lost ticks`);
      assert.equal(s.conflated, 0, `${s.target} ${s.rate}/s conflated`);
      assert.equal(s.sent, s.processed);
      assert.ok(s.sent >= s.offered, `${s.target} ${s.rate}/s: sent ${s.sent} of ${s.offered}`);
    }
    const low = r.engine[0]!;
    // Sanity on a real engine, not a benchmark (BENCHMARKS.md has the figures): ticks that queue behind a
    // backlog age by seconds; at 2 000/s a healthy engine handles each within milliseconds.
    assert.ok(low.tickAgeP99Ms !== null && low.tickAgeP99Ms < 1_000, `tick age p99 ${low.tickAgeP99Ms} ms`);
    assert.ok(r.crossings.length >= 1, 'the flood swept at least one standing stop');
    for (const c of r.crossings) assert.equal(c.ok, true, `${c.why}: ${JSON.stringify(c)}`);
    assert.equal(r.crossingsOk, true);
    const soak = r.soak!;
    assert.ok(soak.rss.length >= 3, `RSS samples ${JSON.stringify(soak.rss)}`);
    assert.ok(
      soak.rss.every(([, mb]) => mb > 20 && mb < 400),
      `RSS ${JSON.stringify(soak.rss)}`,
    );
    // a heap snapshot inflates RSS for a while: growth is judged on the samples before the first one
    const unsnapped = soak.rss.filter(([sec]) => sec <= soak.heapSnapshots[0]!.atSec).map(([, mb]) => mb);
    const growth = ((unsnapped[unsnapped.length - 1]! - unsnapped[0]!) / unsnapped[0]!) * 100;
    assert.ok(unsnapped.length >= 2 && Math.abs(growth) < 50, `RSS ${JSON.stringify(soak.rss)}, snapshots ${JSON.stringify(soak.heapSnapshots)}`);
    // a soak shorter than 5 minutes measures its settled growth from the first sample
    assert.equal(soak.rssSettled.fromSec, soak.rss[0]![0]);
    assert.ok(soak.rssSettled.maxMb >= soak.rssSettled.fromMb && soak.rssSettled.maxMb >= soak.rss[soak.rss.length - 1]![1]);
    // one snapshot two thirds of the way in, one at the end; both on disk, and the diff read them
    assert.equal(soak.heapSnapshots.length, 2, JSON.stringify(soak.heapSnapshots));
    assert.ok(soak.heapSnapshots[0]!.atSec >= 20 && soak.heapSnapshots[1]!.atSec >= 30, JSON.stringify(soak.heapSnapshots));
    for (const h of soak.heapSnapshots) assert.ok(existsSync(h.file), h.file);
    assert.ok(existsSync(path.join(heapSnapshotDir, 'heap-diff.txt')));
    assert.ok(soak.heapDiff !== null && soak.heapDiff.totalBefore.count > 10_000, 'the diff parsed real snapshots');
    assert.equal(soak.lost, 0);
    assert.ok(soak.sent > 15_000, `soak sent ${soak.sent}`);
    assert.equal(r.final.errors, 0);
    assert.equal(r.final.exitCode, 0);
  });
});
