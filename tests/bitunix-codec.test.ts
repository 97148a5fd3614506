// The Bitunix codec decodes the real captured frames of notes/bitunix-protocol.md to exact numbers,
// classifies every malformed input with the right reason, never throws, and its encoders round-trip.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  CONNECT_FRAME,
  decodeClientFrame,
  decodeFrame,
  decodeFundingRate,
  decodeRestKlines,
  encodeBook,
  encodeFundingRate,
  encodeKline,
  encodePing,
  encodePong,
  encodePrice,
  encodeRestKlines,
  encodeSubscribe,
  encodeTrade,
  isRestRateLimited,
  klineChannel,
  klineChannelMs,
  restInterval,
  type Frame,
} from '../src/shared/bitunix/index.js';
import { isoMs } from '../src/shared/bitunix/wire-values.js';
import type { Candle } from '../src/shared/types.js';

// Frames quoted verbatim in notes/bitunix-protocol.md §1.2–§1.5 (captured live unless noted).
const KLINE_DOC =
  '{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1775541412718,"data":{"o":"68581.4","c":"68583.4","h":"68590","l":"68579.5","b":"5.2395","q":"359348.14078"}}';
const KLINE_WIRE =
  '{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1786650732204,"data":{"o":"63404.6","c":"63404.7","h":"63404.8","l":"63404.5","b":"0.2413","q":"15299.54977"}}';
const TRADE_DOC =
  '{"ch":"trade","symbol":"BTCUSDT","ts":1775540872598,"data":[{"t":"2026-04-07T05:47:52Z","p":"68621.4","v":"0.7142","s":"buy"},{"t":"2026-04-07T05:47:52Z","p":"68621.4","v":"0.0018","s":"sell"}]}';
const DEPTH_WIRE =
  '{"ch":"depth_book15","symbol":"BTCUSDT","ts":1790126515693,"data":{"b":[["86699.6","2.274"],["86699.5","2.7407"],["86699.4","3.093"]],"a":[["86699.7","0.7095"],["86699.8","2.1992"],["86699.9","1.457"]]}}';
const PRICE_WIRE =
  '{"ch":"price","symbol":"BTCUSDT","ts":1790126515695,"data":{"ip":"86720.6","mp":"86688.3","fr":"-0.00077","ft":"2026-09-23T00:00:00Z","nft":"2026-09-23T08:00:00Z"}}';
const PONG_DOC = '{"op":"ping","pong":1732519687,"ping":1732519690}';
const EMPTY_DEPTH_WIRE = '{"ch":"depth_book15","symbol":"NOPEUSDT","ts":1790126491101,"data":{"b":[["",""],["",""]],"a":[["",""],["",""]]}}';
const SUB_LIMIT_WIRE = '{"op":"subscribe","data":{"msg":"subscribe channel > 300","nonce":"","result":false}}';
const UNSUB_ACK_WIRE = '{"op":"unsubscribe","ts":1790126500916,"data":"success"}';
const SUB_ACK_TRANSCRIBED = '{"op":"subscribe","ch":"trade","symbol":"BTCUSDT","data":{"result":true}}';
const TICKERS_DOC =
  '{"ch":"tickers","ts":1732178884994,"data":[{"s":"BTCUSDT","la":"68650.9","o":"69141.6","h":"70319.9","l":"68241.9","b":"26295.3977","q":"1823374525.0193","r":"-0.7097029863","bd":"68650.9","ak":"68651","bv":"0.9747","av":"2.3606"}]}';

// notes §2.1: real REST kline rows, newest first, with the volume names swapped.
const REST_KLINES =
  '{"code":0,"data":[' +
  '{"open":"76445","high":"76480.7","low":"76389","close":"76389","quoteVol":"31.5403","baseVol":"2410748.64904","time":"1789482120000"},' +
  '{"open":"76398.5","high":"76449.4","low":"76363.1","close":"76445","quoteVol":"36.5251","baseVol":"2790967.76978","time":"1789482060000"}' +
  '],"msg":"Success"}';
// notes §2.2: a transcribed real funding response (object form).
const FUNDING_OBJECT =
  '{"code":0,"data":{"symbol":"BTCUSDT","markPrice":"67419.7","lastPrice":"67412.7","fundingRate":"0.00072","fundingInterval":8,"nextFundingTime":"1771430400000"},"msg":"Success"}';

function reason(f: Frame): string {
  return f.type === 'bad' ? f.reason : `not bad: ${f.type}`;
}

describe('decodeFrame: captured frames decode to exact numbers', () => {
  it('kline (documentation example): volume is the base quantity b', () => {
    assert.deepEqual(decodeFrame(KLINE_DOC), {
      type: 'kline',
      symbol: 'BTCUSDT',
      ts: 1775541412718,
      channel: 'market_kline_1min',
      open: 68581.4,
      high: 68590,
      low: 68579.5,
      close: 68583.4,
      volume: 5.2395,
    });
  });

  it('kline (live capture)', () => {
    assert.deepEqual(decodeFrame(KLINE_WIRE), {
      type: 'kline',
      symbol: 'BTCUSDT',
      ts: 1786650732204,
      channel: 'market_kline_1min',
      open: 63404.6,
      high: 63404.8,
      low: 63404.5,
      close: 63404.7,
      volume: 0.2413,
    });
  });

  it('trade: the last element of the array', () => {
    assert.deepEqual(decodeFrame(TRADE_DOC), { type: 'trade', symbol: 'BTCUSDT', ts: 1775540872598, price: 68621.4, qty: 0.0018 });
  });

  it('depth: best bid and ask with their sizes', () => {
    assert.deepEqual(decodeFrame(DEPTH_WIRE), {
      type: 'book',
      symbol: 'BTCUSDT',
      ts: 1790126515693,
      bid: 86699.6,
      ask: 86699.7,
      bidQty: 2.274,
      askQty: 0.7095,
    });
  });

  it('price: funding rate percent -> fraction, ISO times -> ms', () => {
    const f = decodeFrame(PRICE_WIRE);
    assert.equal(f.type, 'price');
    if (f.type !== 'price') return;
    assert.equal(f.markPrice, 86688.3);
    assert.equal(f.indexPrice, 86720.6);
    assert.equal(f.fundingRate, -0.00077 / 100);
    assert.ok(Math.abs(f.fundingRate - -0.0000077) < 1e-18);
    assert.equal(f.fundingTime, Date.UTC(2026, 8, 23, 0, 0, 0));
    assert.equal(f.nextFundingTime, Date.UTC(2026, 8, 23, 8, 0, 0));
    assert.equal(f.ts, 1790126515695);
  });

  it('connect, pong and control frames', () => {
    assert.deepEqual(decodeFrame(CONNECT_FRAME), { type: 'connect', ok: true });
    assert.deepEqual(decodeFrame('{"op":"connect","data":{"result":false}}'), { type: 'connect', ok: false });
    assert.deepEqual(decodeFrame(PONG_DOC), { type: 'pong', pong: 1732519687 });
    assert.deepEqual(decodeFrame(SUB_LIMIT_WIRE), { type: 'control', op: 'subscribe', ok: false, msg: 'subscribe channel > 300' });
    assert.deepEqual(decodeFrame(UNSUB_ACK_WIRE), { type: 'control', op: 'unsubscribe', ok: true, msg: 'success' });
    // The transcribed ack carries ch too; op routes first, so it is not mistaken for a trade.
    assert.deepEqual(decodeFrame(SUB_ACK_TRANSCRIBED), { type: 'control', op: 'subscribe', ok: true });
  });

  it('the unknown-symbol depth frame is an empty book', () => {
    assert.equal(reason(decodeFrame(EMPTY_DEPTH_WIRE)), 'empty_book');
  });

  it('the all-symbol tickers frame (no symbol) is not a shape this engine consumes', () => {
    assert.equal(reason(decodeFrame(TICKERS_DOC)), 'unknown_shape');
  });

  it('accepts JSON numbers where strings are usual', () => {
    const f = decodeFrame('{"ch":"trade","symbol":"BTCUSDT","ts":1,"data":[{"p":95000.5,"v":0.25,"s":"buy"}]}');
    assert.deepEqual(f, { type: 'trade', symbol: 'BTCUSDT', ts: 1, price: 95000.5, qty: 0.25 });
  });

  it('accepts a kline whose open lies outside [low, high] (real Bitunix data, notes §2.1)', () => {
    const f = decodeFrame(
      '{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1789482180000,"data":{"o":"76389","h":"76383.1","l":"76269.8","c":"76300","b":"12.5","q":"953750"}}',
    );
    assert.equal(f.type, 'kline');
    if (f.type === 'kline') assert.deepEqual([f.open, f.high, f.low, f.close, f.volume], [76389, 76383.1, 76269.8, 76300, 12.5]);
  });
});

describe('decodeFrame: every bad-frame reason', () => {
  it('not_json', () => {
    assert.equal(reason(decodeFrame('hello')), 'not_json');
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1790126515693,"data":{"b":[["86')), 'not_json');
    assert.equal(reason(decodeFrame('')), 'not_json');
  });

  it('unknown_shape', () => {
    // The original Python project's invented frame format (notes §1.10).
    assert.equal(reason(decodeFrame('{"event":"channel_pushed","data":{"kline":{"time":1,"open":"1"}}}')), 'unknown_shape');
    assert.equal(reason(decodeFrame('[1,2,3]')), 'unknown_shape');
    assert.equal(reason(decodeFrame('null')), 'unknown_shape');
    assert.equal(reason(decodeFrame('"pong"')), 'unknown_shape');
    assert.equal(reason(decodeFrame('{"ch":"trade","symbol":"BTCUSDT","ts":1775540872598,"data":[]}')), 'unknown_shape');
    assert.equal(reason(decodeFrame('{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1,"data":{"o":"1","h":"1","l":"1","c":"1"}}')), 'unknown_shape');
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1,"data":{"bids":[]}}')), 'unknown_shape');
    assert.equal(reason(decodeFrame('{"ch":"mystery","symbol":"BTCUSDT","ts":1,"data":{}}')), 'unknown_shape');
  });

  it('bad_number: NaN, Infinity, words, a non-numeric ts, an impossible kline', () => {
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1,"data":{"b":[["NaN","1"]],"a":[["95000.1","1"]]}}')), 'bad_number');
    assert.equal(reason(decodeFrame('{"ch":"trade","symbol":"BTCUSDT","ts":1,"data":[{"p":"Infinity","v":"1","s":"buy"}]}')), 'bad_number');
    assert.equal(reason(decodeFrame('{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1,"data":{"o":"abc","h":"2","l":"1","c":"1","b":"1"}}')), 'bad_number');
    assert.equal(reason(decodeFrame('{"ch":"trade","symbol":"BTCUSDT","ts":"soon","data":[{"p":"1","v":"1","s":"buy"}]}')), 'bad_number');
    assert.equal(
      reason(
        decodeFrame('{"ch":"price","symbol":"BTCUSDT","ts":1,"data":{"ip":"1","mp":"1","fr":"x","ft":"2026-09-23T00:00:00Z","nft":"2026-09-23T08:00:00Z"}}'),
      ),
      'bad_number',
    );
    // high below low cannot be a candle
    assert.equal(
      reason(decodeFrame('{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1,"data":{"o":"100","h":"99","l":"101","c":"100","b":"1"}}')),
      'bad_number',
    );
    // close above high
    assert.equal(
      reason(decodeFrame('{"ch":"market_kline_1min","symbol":"BTCUSDT","ts":1,"data":{"o":"100","h":"101","l":"99","c":"102","b":"1"}}')),
      'bad_number',
    );
  });

  it('non_positive_price', () => {
    assert.equal(reason(decodeFrame('{"ch":"trade","symbol":"BTCUSDT","ts":1,"data":[{"p":"0","v":"1","s":"buy"}]}')), 'non_positive_price');
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1,"data":{"b":[["-1","1"]],"a":[["95000.1","1"]]}}')), 'non_positive_price');
    assert.equal(
      reason(
        decodeFrame(
          '{"ch":"price","symbol":"BTCUSDT","ts":1,"data":{"ip":"1","mp":"-3","fr":"0.01","ft":"2026-09-23T00:00:00Z","nft":"2026-09-23T08:00:00Z"}}',
        ),
      ),
      'non_positive_price',
    );
  });

  it('crossed_book: bid equal to or above ask', () => {
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1,"data":{"b":[["86699.7","1"]],"a":[["86699.7","1"]]}}')), 'crossed_book');
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1,"data":{"b":[["86700","1"]],"a":[["86699.7","1"]]}}')), 'crossed_book');
  });

  it('future_ts: only with nowMs, strictly beyond maxFutureMs (default 60 s)', () => {
    const now = 1790126515000;
    const at = (ts: number): string => `{"ch":"trade","symbol":"BTCUSDT","ts":${ts},"data":[{"p":"86688.2","v":"0.1","s":"buy"}]}`;
    assert.equal(reason(decodeFrame(at(now + 60_001), { nowMs: now })), 'future_ts');
    assert.equal(decodeFrame(at(now + 60_000), { nowMs: now }).type, 'trade');
    assert.equal(decodeFrame(at(now + 3_600_000)).type, 'trade'); // no nowMs: no check (simulator, replay)
    assert.equal(reason(decodeFrame(at(now + 5_001), { nowMs: now, maxFutureMs: 5_000 })), 'future_ts');
  });

  it('empty_book: empty-string levels and empty sides', () => {
    assert.equal(reason(decodeFrame(EMPTY_DEPTH_WIRE)), 'empty_book');
    assert.equal(reason(decodeFrame('{"ch":"depth_book1","symbol":"BTCUSDT","ts":1,"data":{"b":[],"a":[["95000.1","1"]]}}')), 'empty_book');
  });

  it('too_large: over 64 KiB by default, or over maxBytes', () => {
    const big = `{"ch":"trade","symbol":"BTCUSDT","ts":1,"data":[{"p":"1","v":"1","s":"buy"}],"pad":"${'x'.repeat(64 * 1024)}"}`;
    assert.equal(reason(decodeFrame(big)), 'too_large');
    assert.equal(reason(decodeFrame(KLINE_DOC, { maxBytes: 100 })), 'too_large');
    assert.equal(decodeFrame(KLINE_DOC, { maxBytes: KLINE_DOC.length }).type, 'kline');
  });
});

describe('decodeFrame never throws', () => {
  const isFrame = (f: Frame): boolean => typeof f === 'object' && f !== null && typeof f.type === 'string';

  it('on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => isFrame(decodeFrame(s))),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => isFrame(decodeFrame(JSON.stringify(v) ?? 'null'))),
      { numRuns: 2000 },
    );
  });

  it('on envelopes with known channels and arbitrary payloads', () => {
    const ch = fc.constantFrom('depth_book1', 'depth_book15', 'trade', 'market_kline_1min', 'price', 'ticker', 'tickers');
    const op = fc.constantFrom(undefined, 'connect', 'ping', 'subscribe', 'unsubscribe');
    fc.assert(
      fc.property(ch, op, fc.jsonValue(), fc.jsonValue(), fc.jsonValue(), (c, o, symbol, ts, data) => {
        const f = decodeFrame(JSON.stringify({ op: o, ch: c, symbol, ts, data, pong: ts }), { nowMs: 0 });
        return isFrame(f);
      }),
      { numRuns: 3000 },
    );
  });

  it('on levels of arbitrary values inside a valid depth envelope', () => {
    const level = fc.array(fc.oneof(fc.string(), fc.double(), fc.constant(null)), { maxLength: 3 });
    fc.assert(
      fc.property(fc.array(level, { maxLength: 3 }), fc.array(level, { maxLength: 3 }), (b, a) => {
        const f = decodeFrame(JSON.stringify({ ch: 'depth_book1', symbol: 'BTCUSDT', ts: 1, data: { b, a } }));
        return f.type === 'book' ? f.bid < f.ask && f.bid > 0 : f.type === 'bad';
      }),
      { numRuns: 3000 },
    );
  });
});

describe('encoders round-trip through the decoders', () => {
  it('book: any positive uncrossed tick-grid quote decodes to the same numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 1e6 }), (bidTicks, spread, q) => {
        const bid = bidTicks / 10;
        const ask = (bidTicks + spread) / 10;
        const qty = q / 1e4;
        const f = decodeFrame(encodeBook('BTCUSDT', 1790126515693, bid, ask, qty, 0.7095));
        assert.deepEqual(f, { type: 'book', symbol: 'BTCUSDT', ts: 1790126515693, bid, ask, bidQty: qty, askQty: 0.7095 });
      }),
      { numRuns: 500 },
    );
  });

  it('trade, kline and price', () => {
    const ts = Date.UTC(2026, 8, 23, 1, 14, 5, 123);
    const trade = encodeTrade('BTCUSDT', ts, 86688.2, 0.0018, 'sell');
    assert.ok(trade.includes('"t":"2026-09-23T01:14:05.123Z"') && trade.includes('"s":"sell"'));
    assert.deepEqual(decodeFrame(trade), { type: 'trade', symbol: 'BTCUSDT', ts, price: 86688.2, qty: 0.0018 });

    const c = { open: 63404.6, high: 63404.8, low: 63404.5, close: 63404.7, volume: 0.2413 };
    const kline = encodeKline('BTCUSDT', 'market_kline_60min', ts, c);
    assert.ok(kline.includes('"q":"15299.55411"'), kline); // q = turnover = 0.2413 × 63404.7, 5 decimals
    assert.deepEqual(decodeFrame(kline), { type: 'kline', symbol: 'BTCUSDT', ts, channel: 'market_kline_60min', ...c });

    const p = {
      markPrice: 86688.3,
      indexPrice: 86720.6,
      fundingRate: -0.0000077,
      fundingTime: Date.UTC(2026, 8, 23),
      nextFundingTime: Date.UTC(2026, 8, 23, 8),
    };
    const price = encodePrice('BTCUSDT', ts, p);
    assert.ok(price.includes('"fr":"-0.00077"') && price.includes('"ft":"2026-09-23T00:00:00Z"') && price.includes('"nft":"2026-09-23T08:00:00Z"'), price);
    const f = decodeFrame(price);
    assert.equal(f.type, 'price');
    if (f.type === 'price') {
      assert.equal(f.markPrice, 86688.3);
      assert.equal(f.indexPrice, 86720.6);
      assert.ok(Math.abs(f.fundingRate - p.fundingRate) < 1e-15);
      assert.equal(f.fundingTime, p.fundingTime);
      assert.equal(f.nextFundingTime, p.nextFundingTime);
    }
  });

  it('connect, ping/pong', () => {
    assert.equal(CONNECT_FRAME, '{"op":"connect","data":{"result":true}}');
    assert.equal(encodePing(1732519687), '{"op":"ping","ping":1732519687}');
    assert.equal(encodePong(1732519687, 1732519690), PONG_DOC);
    assert.deepEqual(decodeFrame(encodePong(1732519687, 1732519690)), { type: 'pong', pong: 1732519687 });
  });
});

describe('client frames (what the simulator parses)', () => {
  it('subscribe is one frame with every channel; ping carries unix seconds', () => {
    const sub = encodeSubscribe('BTCUSDT', ['market_kline_1min', 'depth_book1']);
    assert.equal(sub, '{"op":"subscribe","args":[{"symbol":"BTCUSDT","ch":"market_kline_1min"},{"symbol":"BTCUSDT","ch":"depth_book1"}]}');
    assert.deepEqual(decodeClientFrame(sub), {
      op: 'subscribe',
      args: [
        { symbol: 'BTCUSDT', ch: 'market_kline_1min' },
        { symbol: 'BTCUSDT', ch: 'depth_book1' },
      ],
    });
    assert.deepEqual(decodeClientFrame(encodePing(1732519687)), { op: 'ping', ping: 1732519687 });
    assert.deepEqual(decodeClientFrame('{"op":"unsubscribe","args":[{"symbol":"BTCUSDT","ch":"trade"}]}'), {
      op: 'unsubscribe',
      args: [{ symbol: 'BTCUSDT', ch: 'trade' }],
    });
  });

  it('anything else is unknown, never a throw', () => {
    for (const t of ['', 'ping', '{"op":"login"}', '{"op":"ping"}', '{"op":"subscribe"}', 'null', '[]']) {
      assert.deepEqual(decodeClientFrame(t), { op: 'unknown' }, t);
    }
    fc.assert(
      fc.property(fc.string(), (s) => typeof decodeClientFrame(s).op === 'string'),
      { numRuns: 500 },
    );
  });
});

describe('channel and interval names', () => {
  it('WS kline channels use minutes, one hour is 60min', () => {
    assert.deepEqual((['1m', '3m', '5m', '15m', '30m', '1h'] as const).map(klineChannel), [
      'market_kline_1min',
      'market_kline_3min',
      'market_kline_5min',
      'market_kline_15min',
      'market_kline_30min',
      'market_kline_60min',
    ]);
    assert.equal(klineChannelMs('market_kline_60min'), 3_600_000);
    assert.equal(klineChannelMs('market_kline_3min'), 180_000);
    assert.equal(klineChannelMs('market_kline_1m'), null); // short form is not accepted by the exchange
    assert.equal(klineChannelMs('mark_kline_1min'), null);
  });

  it('REST intervals; 3m is not served and says what to do instead', () => {
    assert.deepEqual((['1m', '5m', '15m', '30m', '1h'] as const).map(restInterval), ['1m', '5m', '15m', '30m', '1h']);
    assert.throws(() => restInterval('3m'), /no '3m'.*fetch 1m and aggregate/);
  });
});

describe('REST klines', () => {
  it('the real capture decodes ascending with volume = the BASE quantity (quoteVol)', () => {
    assert.deepEqual(decodeRestKlines(REST_KLINES), [
      { ts: 1789482060000, open: 76398.5, high: 76449.4, low: 76363.1, close: 76445, volume: 36.5251 },
      { ts: 1789482120000, open: 76445, high: 76480.7, low: 76389, close: 76389, volume: 31.5403 },
    ]);
  });

  it('picks the base quantity even if the names were ever un-swapped; numeric time accepted; duplicates dropped', () => {
    const body =
      '{"code":0,"data":[{"open":"76445","high":"76480.7","low":"76389","close":"76389","quoteVol":"2410748.64904","baseVol":"31.5403","time":1789482120000},' +
      '{"open":"76445","high":"76480.7","low":"76389","close":"76389","quoteVol":"31.5403","baseVol":"2410748.64904","time":"1789482120000"}],"msg":"Success"}';
    assert.deepEqual(decodeRestKlines(body), [{ ts: 1789482120000, open: 76445, high: 76480.7, low: 76389, close: 76389, volume: 31.5403 }]);
  });

  it('errors are thrown with the code and a clear message', () => {
    assert.throws(() => decodeRestKlines('{"code":2,"data":null,"msg":"Parameter error"}'), /error code 2: Parameter error/);
    assert.throws(() => decodeRestKlines('<html>502 Bad Gateway</html>'), /not JSON/);
    assert.throws(() => decodeRestKlines('{"code":0,"data":{"open":"1"},"msg":"Success"}'), /not an array/);
    assert.throws(() => decodeRestKlines('{"code":0,"data":[{"open":"x","high":"1","low":"1","close":"1","quoteVol":"1","time":"1"}]}'), /bad number/);
  });

  it('encodeRestKlines writes what the exchange sends and decodes back exactly', () => {
    const candles: Candle[] = [
      { ts: 1789482060000, open: 76398.5, high: 76449.4, low: 76363.1, close: 76445, volume: 36.5251 },
      { ts: 1789482120000, open: 76445, high: 76480.7, low: 76389, close: 76389, volume: 31.5403 },
    ];
    const body = encodeRestKlines(candles);
    const parsed = JSON.parse(body) as { code: number; data: Record<string, string>[] };
    assert.equal(parsed.code, 0);
    assert.equal(parsed.data[0]!.time, '1789482120000'); // newest first, time as a string
    assert.equal(parsed.data[0]!.quoteVol, '31.5403'); // the swapped naming of the real exchange
    assert.equal(parsed.data[0]!.baseVol, '2409331.9767'); // 31.5403 × 76389
    assert.deepEqual(decodeRestKlines(body), candles);
  });
});

describe('REST funding rate', () => {
  it('object form: percent -> fraction', () => {
    const f = decodeFundingRate(FUNDING_OBJECT);
    assert.equal(f.rate, 0.00072 / 100);
    assert.ok(Math.abs(f.rate - 0.0000072) < 1e-18);
    assert.equal(f.nextFundingTime, 1771430400000);
    assert.equal(f.intervalHours, 8);
    assert.equal(f.markPrice, 67419.7);
  });

  it('array form (as documented) decodes the same', () => {
    const body =
      '{"code":0,"data":[{"symbol":"BTCUSDT","markPrice":"67419.7","lastPrice":"67412.7","fundingRate":"-0.005776","fundingInterval":"8","nextFundingTime":1771430400000}],"msg":"Success"}';
    const f = decodeFundingRate(body);
    assert.ok(Math.abs(f.rate - -0.00005776) < 1e-18);
    assert.deepEqual([f.nextFundingTime, f.intervalHours, f.markPrice], [1771430400000, 8, 67419.7]);
  });

  it('the older four-field reply (no nextFundingTime, no interval) decodes: 8 h, next time unknown', () => {
    const body = '{"code":0,"data":{"symbol":"BTCUSDT","markPrice":"78829.5","lastPrice":"78829.4","fundingRate":"-0.009154"},"msg":"Success"}';
    const f = decodeFundingRate(body);
    assert.ok(Math.abs(f.rate - -0.00009154) < 1e-18);
    assert.deepEqual([f.nextFundingTime, f.intervalHours, f.markPrice], [null, 8, 78829.5]);
    assert.throws(() => decodeFundingRate(body.replace('"fundingRate":"-0.009154"', '"fundingRate":"x"')), /bad field/);
    assert.throws(() => decodeFundingRate(body.replace('"lastPrice"', '"nextFundingTime":"soon","lastPrice"')), /bad field/);
  });

  it('rate-limit replies (HTTP 200, code 10005 or 10006) are recognised, nothing else is', () => {
    assert.equal(isRestRateLimited('{"code":10006,"data":null,"msg":"Too many requests"}'), true);
    assert.equal(isRestRateLimited('{"code":"10005","msg":"Request frequency too high"}'), true);
    assert.equal(isRestRateLimited('{"code":2,"data":null,"msg":"Parameter error"}'), false);
    assert.equal(isRestRateLimited(FUNDING_OBJECT), false);
    assert.equal(isRestRateLimited('<html>10006</html>'), false);
  });

  it('errors throw; encode round-trips', () => {
    assert.throws(() => decodeFundingRate('{"code":2,"data":null,"msg":"Parameter error"}'), /error code 2/);
    assert.throws(() => decodeFundingRate('{"code":0,"data":[],"msg":"Success"}'), /not an object/);
    const body = encodeFundingRate('BTCUSDT', { rate: 0.0000072, nextFundingTime: 1771430400000, intervalHours: 8, markPrice: 67419.7, lastPrice: 67412.7 });
    assert.ok(body.includes('"fundingRate":"0.00072"'), body);
    const f = decodeFundingRate(body);
    assert.ok(Math.abs(f.rate - 0.0000072) < 1e-18);
    assert.deepEqual([f.nextFundingTime, f.intervalHours, f.markPrice], [1771430400000, 8, 67419.7]);
  });
});

describe('isoMs: the ISO time a trade push and candles.csv write', () => {
  it('is new Date(ms).toISOString() for any ms, across hours, in and out of years 1970-9999', () => {
    const edges = [0, 59_999, 3_599_999, 3_600_000, 1_733_019_599_999, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 1.5, 8.64e15];
    for (const ms of edges) assert.equal(isoMs(ms), new Date(ms).toISOString(), String(ms));
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => isoMs(ms) === new Date(ms).toISOString()),
      { numRuns: 2000, seed: 4 },
    );
    // consecutive times share an hour's prefix, the cache's case
    for (let ms = 1_733_018_400_000; ms < 1_733_026_000_000; ms += 61_237) assert.equal(isoMs(ms), new Date(ms).toISOString());
  });
});
