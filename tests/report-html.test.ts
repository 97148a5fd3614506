// report.html from a hand-built journal: the trade table pairs Fill/Exit by order id with exact net PnL
// (a working-order remainder joins its parent, funding counts, a trade carried from a previous run and one
// still open are shown as such), the markers land on the candles holding the fills, every interpolated
// string is inert, nothing is loaded from the network, and the chart library is inlined.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EngineEvent, JournalEntry } from '../src/shared/events.js';
import { orderQueued, sessionStart } from './helpers/events.js';
import { reportData } from './helpers/report-data.js';
import type { Candle } from '../src/shared/types.js';
import type { FinalReport } from '../src/main/reports.js';
import { jsonArrayParts } from '../src/shared/json-slices.js';
import { loadChartLib, MAX_EQUITY_POINTS, renderReport, tradesFromJournal } from '../src/main/report-html.js';

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0); // 2024-06-01 12:00:00 UTC, a minute boundary
const MIN = 60_000;
const ID1 = `BTCUSDT-${T0}-LONG`;
const ID2 = `BTCUSDT-${T0 + 4 * MIN}-SHORT`;
const ID3 = `BTCUSDT-${T0 + 7 * MIN}-LONG`;

function journal(events: EngineEvent[]): JournalEntry[] {
  return events.map((e, i) => ({ ...e, seq: 100 + i, ts: T0 + i * 1000 }) as JournalEntry);
}

const ENTRIES = journal([
  sessionStart({ balance: 10_000 }),
  // a LONG carried over from the previous run: funding, then its exit
  { event: 'FundingApplied', rate: 0.0001, amount: 0.05, fundingTime: T0, side: 'LONG', at: T0 + 10_000 },
  { event: 'Exit', orderId: 'BTCUSDT-old-LONG', reason: 'SL', price: 49_900, qty: 0.01, pnl: 3, fee: 0.2, source: 'candle', at: T0 + 20_000 },
  // trade 1: LONG 0.02 @ 50000, remainder 0.01 @ 50010 (maker), pays funding, exits TP @ 50500
  orderQueued({ orderId: ID1, side: 'LONG', qty: 0.03, sl: 49_500, tp: 50_500, refPrice: 50_000, at: T0 + 85_000 }),
  { event: 'Fill', orderId: ID1, side: 'LONG', price: 50_000, qty: 0.02, fee: 0.5, liquidity: 'taker', sl: 49_500, tp: 50_500, at: T0 + 90_000 },
  {
    event: 'WorkingOrderPlaced',
    order: { id: `${ID1}#rest`, parentId: ID1, side: 'LONG', qty: 0.01, limitPrice: 50_020, createdAt: T0 + 90_000 },
    at: T0 + 90_000,
  },
  { event: 'Fill', orderId: `${ID1}#rest`, side: 'LONG', price: 50_010, qty: 0.01, fee: 0.1, liquidity: 'maker', sl: 49_500, tp: 50_500, at: T0 + 95_000 },
  { event: 'FundingApplied', rate: 0.0001, amount: -0.25, fundingTime: T0 + 2 * MIN, side: 'LONG', at: T0 + 2 * MIN },
  { event: 'Exit', orderId: ID1, reason: 'TP', price: 50_500, qty: 0.03, pnl: 14.9, fee: 0.7575, source: 'tick', at: T0 + 3 * MIN + 5_000 },
  // trade 2: SHORT 0.01 @ 51000, stopped @ 51200
  { event: 'Fill', orderId: ID2, side: 'SHORT', price: 51_000, qty: 0.01, fee: 0.255, liquidity: 'taker', sl: 51_200, tp: 50_600, at: T0 + 5 * MIN + 1_000 },
  { event: 'Exit', orderId: ID2, reason: 'SL', price: 51_200, qty: 0.01, pnl: -2, fee: 0.256, source: 'tick', at: T0 + 6 * MIN + 30_000 },
  // trade 3: LONG 0.01 @ 50800, still open when the session stopped on a signal
  { event: 'Fill', orderId: ID3, side: 'LONG', price: 50_800, qty: 0.01, fee: 0.254, liquidity: 'taker', sl: 50_300, tp: 51_800, at: T0 + 8 * MIN + 2_000 },
  { event: 'SessionEnd', reason: 'signal', exitCode: 0, errors: 0 },
]);

const CANDLES: Candle[] = Array.from({ length: 10 }, (_, i) => ({
  ts: T0 + i * MIN,
  open: 50_000 + i * 10,
  high: 50_050 + i * 10,
  low: 49_950 + i * 10,
  close: 50_020 + i * 10,
  volume: 1,
}));

const REPORT: FinalReport = {
  status: 'success',
  exitCode: 0,
  reason: 'signal',
  symbol: 'BTCUSDT',
  pnl: 13.3775, // the table's total: equity change of this run
  trades: 3,
  winRate: 0.6667,
  fees: 2.3225,
  funding: -0.2,
  errors: 0,
  durationSec: 3723.4,
  startingEquity: 10_000,
  equity: 10_013.3775,
  position: {
    orderId: ID3,
    side: 'LONG',
    entry: 50_800,
    qty: 0.01,
    sl: 50_300,
    tp: 51_800,
    openedAt: T0 + 8 * MIN + 2_000,
    entryFee: 0.254,
    riskDistance: 500,
    best: 50_800,
    trailActive: false,
  },
  ticks: 5000,
  badFrames: 0,
  reconnects: 1,
  lastError: null,
  netPnl: 13.3775,
  grossPnl: 15.9,
  period: { from: '2024-06-01T12:00:00.000Z', to: '2024-06-01T12:10:00.000Z' },
  maxDrawdown: 3.25,
  maxDrawdownPct: 0.0324,
  profitFactor: 6.4306,
  expectancy: 4.5438,
  sharpeDaily: null,
  sortinoDaily: null,
  exposurePct: 71.5,
  avgHoldingSec: 97.5,
  tradingState: { state: 'REDUCING', reason: 'stale_data' },
  generatedAt: '2026-12-01T09:30:00.000Z',
};

const EQUITY = Array.from({ length: 600 }, (_, i) => ({ ts: T0 + i * 1000, equity: 10_000 + i * 0.02 }));

function render(over: Partial<Parameters<typeof renderReport>[0]> = {}): string {
  return renderReport({ symbol: 'BTCUSDT', candles: CANDLES, entries: ENTRIES, equity: EQUITY, report: REPORT, chartLib: '/* lib */', ...over });
}

const embedded = reportData;

test('trades pair Fill and Exit by order id: remainder joins its parent, funding and fees counted', () => {
  const rows = tradesFromJournal(ENTRIES);
  assert.deepEqual(
    rows.map((r) => [r.orderId, r.side, r.entryAt, r.qty, r.exitAt, r.exitReason, r.exitPrice]),
    [
      ['BTCUSDT-old-LONG', null, null, 0.01, T0 + 20_000, 'SL', 49_900],
      [ID1, 'LONG', T0 + 90_000, 0.03, T0 + 3 * MIN + 5_000, 'TP', 50_500],
      [ID2, 'SHORT', T0 + 5 * MIN + 1_000, 0.01, T0 + 6 * MIN + 30_000, 'SL', 51_200],
      [ID3, 'LONG', T0 + 8 * MIN + 2_000, 0.01, null, null, null],
    ],
  );
  const near = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≠ ${b}`);
  // (50000·0.02 + 50010·0.01) / 0.03 = 1500.1 / 0.03
  near(rows[1]!.entryPrice!, 1500.1 / 0.03);
  // carried: 3 − 0.2 + 0.05
  near(rows[0]!.net, 2.85);
  // 14.9 − (0.5 + 0.1 + 0.7575) − 0.25
  near(rows[1]!.fees, 1.3575);
  near(rows[1]!.funding, -0.25);
  near(rows[1]!.net, 13.2925);
  // −2 − (0.255 + 0.256)
  near(rows[2]!.net, -2.511);
  // open: only its entry fee so far
  near(rows[3]!.net, -0.254);
});

test('the trade table shows each round trip with exact net PnL and a total', () => {
  const html = render();
  const rows = [...html.matchAll(/<tr data-order-id="([^"]*)"[^>]*>(.*?)<\/tr>/g)].map((m) => [
    m[1],
    ...[...m[2]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]),
  ]);
  assert.deepEqual(rows, [
    ['BTCUSDT-old-LONG', 'before this run', '—', '—', '0.01', '2024-06-01 12:00:20', 'SL', '49900', '3.0000', '0.2000', '+0.0500', '+2.8500'],
    [ID1, '2024-06-01 12:01:30', 'LONG', '50003.33333', '0.03', '2024-06-01 12:03:05', 'TP', '50500', '14.9000', '1.3575', '-0.2500', '+13.2925'],
    [ID2, '2024-06-01 12:05:01', 'SHORT', '51000', '0.01', '2024-06-01 12:06:30', 'SL', '51200', '-2.0000', '0.5110', '0.0000', '-2.5110'],
    [ID3, '2024-06-01 12:08:02', 'LONG', '50800', '0.01', 'open', '—', '—', '0.0000', '0.2540', '0.0000', '-0.2540'],
  ]);
  // 2.85 + 13.2925 − 2.511 − 0.254
  assert.match(html, /<tfoot><tr><td colspan="10">Total net PnL of these trades<\/td><td class="num win">\+13\.3775<\/td>/);
  assert.match(render({ entries: journal([sessionStart()]) }), /No trades this session\./);
});

test('markers sit on the candles holding each fill and exit; candles and equity are in chart seconds', () => {
  const data = embedded(render());
  const sec = (ms: number): number => ms / 1000;
  assert.deepEqual(
    data.markers.map((m) => [m.time, m.position, m.shape, m.text]),
    [
      [sec(T0), 'inBar', 'circle', 'SL @ 49900'], // carried trade: side unknown
      [sec(T0 + MIN), 'belowBar', 'arrowUp', 'BUY 0.02 @ 50000'],
      [sec(T0 + MIN), 'belowBar', 'arrowUp', 'BUY 0.01 @ 50010'],
      [sec(T0 + 3 * MIN), 'aboveBar', 'arrowDown', 'TP @ 50500'],
      [sec(T0 + 5 * MIN), 'aboveBar', 'arrowDown', 'SELL 0.01 @ 51000'],
      [sec(T0 + 6 * MIN), 'belowBar', 'arrowUp', 'SL @ 51200'],
      [sec(T0 + 8 * MIN), 'belowBar', 'arrowUp', 'BUY 0.01 @ 50800'],
    ],
  );
  // winners green, losers red
  assert.deepEqual(
    data.markers.filter((m) => String(m.text).includes(' @ ') && /^(SL|TP)/.test(String(m.text))).map((m) => m.color),
    ['#089981', '#089981', '#f23645'],
  );
  assert.deepEqual(
    data.candles.map((c) => c.time),
    CANDLES.map((c) => sec(c.ts)),
  );
  assert.equal(data.equity.length, 600);
  assert.deepEqual(data.equity[599], { time: sec(T0) + 599, value: 10_000 + 599 * 0.02 });
});

test('candles and equity are sorted and de-duplicated (the chart throws on anything else)', () => {
  const shuffled = [CANDLES[3]!, CANDLES[1]!, { ...CANDLES[1]!, close: 1 }, CANDLES[2]!];
  const eq = [
    { ts: T0 + 2_500, equity: 3 },
    { ts: T0 + 1_000, equity: 1 },
    { ts: T0 + 2_000, equity: 2 },
    { ts: T0 + 3_000, equity: Number.NaN },
  ];
  const data = embedded(render({ candles: shuffled, equity: eq }));
  assert.deepEqual(
    data.candles.map((c) => [c.time, (c as unknown as Candle).close]),
    [
      [(T0 + MIN) / 1000, 1],
      [(T0 + 2 * MIN) / 1000, CANDLES[2]!.close],
      [(T0 + 3 * MIN) / 1000, CANDLES[3]!.close],
    ],
  );
  assert.deepEqual(data.equity, [
    { time: T0 / 1000 + 1, value: 1 },
    { time: T0 / 1000 + 2, value: 3 },
  ]);
});

// The curve is now one point per candle close (a month of 1-minute candles is 43 200), so the budget
// grew from 3 000 points to the chart's 50 000: a month is drawn whole, longer sessions are thinned.
test('the equity curve of a long session is thinned to fit, keeping its first and last sample', () => {
  const day = Array.from({ length: 86_400 }, (_, i) => ({ ts: T0 + i * 1000, equity: 10_000 + i }));
  const eq = embedded(render({ equity: day })).equity;
  assert.equal(MAX_EQUITY_POINTS, 50_000);
  assert.equal(eq.length, 43_201); // step ⌈86 400 / 50 000⌉ = 2: indices 0, 2, …, 86 398 (43 200) plus the last
  assert.deepEqual(eq[0], { time: T0 / 1000, value: 10_000 });
  assert.deepEqual(eq[1], { time: T0 / 1000 + 2, value: 10_002 });
  assert.deepEqual(eq.at(-1), { time: T0 / 1000 + 86_399, value: 96_399 });
  const month = Array.from({ length: 43_200 }, (_, i) => ({ ts: T0 + i * MIN, equity: 10_000 }));
  assert.equal(embedded(render({ equity: month })).equity.length, 43_200, 'a month of candle closes is not thinned');
});

test('a session longer than the chart budget is aggregated into wider bars covering all of it', () => {
  const n = 120_000; // ~83 days of 1-minute candles
  const candles = Array.from({ length: n }, (_, i) => ({
    ts: T0 + i * MIN,
    open: 100 + (i % 7),
    high: 110 + (i % 5),
    low: 90 - (i % 3),
    close: 101 + (i % 7),
    volume: 1,
  }));
  const html = render({ candles });
  const bars = embedded(html).candles as unknown as { time: number; open: number; high: number; low: number; close: number }[];
  assert.equal(bars.length, 40_000); // ⌈120 000 / 50 000⌉ = 3 candles a bar
  assert.deepEqual(bars[0], { time: T0 / 1000, open: 100, high: 112, low: 88, close: 103 });
  assert.equal(bars.at(-1)!.time, (T0 + (n - 3) * MIN) / 1000, 'the last bar is the session end');
  assert.match(html, /Price \(40000 bars of ~3 candles \(120000 candles\), market time UTC\)/);
});

test('session facts come from the final report', () => {
  const facts = /<dl id="facts">([\s\S]*?)<\/dl>/.exec(render())![1]!;
  const pairs = Object.fromEntries([...facts.matchAll(/<dt>(.*?)<\/dt><dd[^>]*>(.*?)<\/dd>/g)].map((m) => [m[1], m[2]]));
  assert.equal(pairs['Status'], 'success (exit 0)');
  assert.equal(pairs['Stop reason'], 'signal');
  assert.equal(pairs['Run time (wall clock)'], '1 h 02 min 03 s (3723.4 s)');
  assert.equal(pairs['PnL'], '+13.3775');
  assert.equal(pairs['Equity'], '10000.0000 → 10013.3775');
  assert.equal(pairs['Position at end'], 'LONG 0.01 @ 50800 (kept for the next start)');
  assert.equal(pairs['Trades'], '3');
  assert.equal(pairs['Win rate'], '66.7 %');
  assert.equal(pairs['Fees'], '2.3225');
  assert.equal(pairs['Funding'], '-0.2000');
  assert.equal(pairs['Errors'], '0');
  // the market's clock (the report's period), not the journal's wall-clock stamps
  assert.equal(pairs['Period (market time)'], '2024-06-01 12:00:00 → 2024-06-01 12:10:00 UTC');
  assert.equal(pairs['Gross PnL'], '+15.9000');
  assert.equal(pairs['Max drawdown'], '3.2500 (0.03 %)');
  assert.equal(pairs['Profit factor'], '6.43');
  assert.equal(pairs['Expectancy per trade'], '+4.5438');
  assert.equal(pairs['Sharpe (daily)'], '—');
  assert.equal(pairs['Sortino (daily)'], '—');
  assert.equal(pairs['Exposure'], '71.5 % of the period');
  assert.equal(pairs['Average holding time'], '1 min 38 s');
  assert.equal(pairs['Trading state at end'], 'REDUCING (stale_data)');
  assert.match(render(), /<footer class="muted">Generated at 2026-12-01 09:30:00 UTC \(wall clock\)/);
});

test('every interpolated string is inert: hostile symbol, reason, error and order id', () => {
  const evil = '<script>alert(1)</script>';
  const html = render({
    symbol: evil,
    report: { ...REPORT, symbol: evil, reason: '"><img src=x onerror=alert(2)>', lastError: "it's </script> & <b>bold</b>" },
    entries: journal([
      { event: 'Fill', orderId: '"><svg onload=alert(3)>', side: 'LONG', price: 1, qty: 1, fee: 0, liquidity: 'taker', sl: 0.5, tp: 2, at: T0 },
    ]),
  });
  assert.ok(!html.includes('<script>alert(1)'), 'symbol as markup');
  assert.ok(!html.includes('<img src=x'), 'reason as markup');
  assert.ok(!html.includes('<svg onload'), 'order id as markup');
  assert.ok(!html.includes('<b>bold</b>'), 'error as markup');
  assert.ok(html.includes('<title>&#60;script&#62;alert(1)&#60;/script&#62; session report'));
  assert.ok(html.includes('it&#39;s &#60;/script&#62; &#38; &#60;b&#62;bold&#60;/b&#62;'));
  // exactly the three script elements this page opens are closed: the embedded JSON ends none early
  assert.equal(html.match(/<script/gi)?.length, 3);
  assert.equal(html.match(/<\/script/gi)?.length, 3);
  assert.ok(html.includes('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e'), 'JSON escapes < and >');
  assert.equal(embedded(html).symbol, evil, 'and still decodes to the original');
});

test('offline: no external URL, a CSP that blocks the network, the chart library inlined as is', async () => {
  const lib = await loadChartLib();
  assert.ok(lib.includes('window.LightweightCharts='), 'standalone build');
  const html = render({ chartLib: lib });
  assert.ok(html.includes(lib), 'inlined unchanged');
  assert.doesNotMatch(html, /src\s*=\s*["']?https?:/i);
  assert.doesNotMatch(html, /href\s*=\s*["']?https?:/i);
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;; script-src &#39;unsafe-inline&#39;;/);
  // a library text that would close the element early is neutralised
  const odd = render({ chartLib: 'var s = "</script><b>x</b>"; // <!-- c' });
  assert.ok(odd.includes('var s = "<\\/script><b>x</b>"; // <\\!-- c'));
  assert.equal(odd.match(/<\/script/gi)?.length, 3);
});

test("a long array's JSON in slices joins to exactly JSON.stringify of it", () => {
  for (const n of [0, 1, 511, 512, 513, 2000]) {
    const items = Array.from({ length: n }, (_, i) => ({ time: 1733011200 + i * 60, open: 96215.24 + i / 7, note: i % 3 ? null : `a<b & "c"` }));
    const parts = [...jsonArrayParts(items)];
    assert.equal(parts.join(''), JSON.stringify(items), `${n} items`);
    assert.ok(parts.length === Math.max(1, Math.ceil(n / 512)), `${n} items in ${parts.length} slices`);
  }
});

test("a month's chart data is embedded as columns, every value exact, in well under the size of an object a candle", () => {
  const n = 43_200;
  const candles = Array.from({ length: n }, (_, i) => {
    const open = 96_000 + ((i * 37) % 2000) / 100;
    return { ts: T0 + i * MIN, open, high: open + 12.34, low: open - 7.07, close: open + 0.01, volume: 1 };
  });
  // equity with the noise of real fees and funding: full-precision doubles
  const equity = candles.map((c, i) => ({ ts: c.ts + MIN - 1, equity: 10_000 + Math.sin(i) * 3.7 + i / 7 }));
  const html = render({ candles, equity });
  const block = /<script id="report-data" type="application\/json">([^<]*)<\/script>/.exec(html)![1]!;
  const raw = JSON.parse(block) as { candles: { time: { first: number; steps: number[][] } } };
  assert.deepEqual(raw.candles.time, { first: T0 / 1000, steps: [[60, n - 1]] }, 'a month without gaps is one run of 60 s steps');
  assert.ok(block.length < 60 * n, `${(block.length / n).toFixed(1)} bytes a candle and its equity point`);
  const data = embedded(html);
  assert.deepEqual(
    data.candles,
    candles.map((c) => ({ time: c.ts / 1000, open: c.open, high: c.high, low: c.low, close: c.close })),
  );
  assert.deepEqual(
    data.equity,
    equity.map((p) => ({ time: Math.floor(p.ts / 1000), value: p.equity })),
  );
});

test('the session record hands its bars and curve over as columns: the page is the one its candles and points make', () => {
  const columns = <T extends object>(items: readonly T[]): { [K in keyof T]: T[K][] } => {
    const out = {} as { [K in keyof T]: T[K][] };
    for (const key of Object.keys(items[0]!) as (keyof T)[]) out[key] = items.map((it) => it[key]);
    return out;
  };
  assert.equal(render({ candles: columns(CANDLES), equity: columns(EQUITY) }), render());
  // out of order (or anything else the chart must not be given as is): the same reading as for objects
  const shuffled = [CANDLES[3]!, CANDLES[1]!, { ...CANDLES[1]!, close: 1 }, CANDLES[2]!];
  const eq = [
    { ts: T0 + 2_500, equity: 3 },
    { ts: T0 + 1_000, equity: 1 },
    { ts: T0 + 3_000, equity: Number.NaN },
  ];
  assert.equal(render({ candles: columns(shuffled), equity: columns(eq) }), render({ candles: shuffled, equity: eq }));
});
