// What a trader sees in a real browser (Debian's headless chromium through playwright-core): report.html
// opened from disk and the live status page fed by server-sent events both draw their charts (the series
// colours are on the canvases, not just axes), without a console error. Screenshots are kept as artifacts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { EngineEvent, JournalEntry } from '../src/shared/events.js';
import { sessionStart } from './helpers/events.js';
import { createRng } from '../src/shared/rng.js';
import type { Candle } from '../src/shared/types.js';
import type { Logger } from '../src/main/logger.js';
import { PromMetrics } from '../src/main/prom-metrics.js';
import type { FinalReport } from '../src/main/reports.js';
import { loadChartLib, renderReport } from '../src/main/report-html.js';
import { startStatusServer, type LiveSample, type StatusSnapshot } from '../src/main/status-server.js';
import { MAIN, replayArgs, ROOT, run, tempDir } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';
import { reportData } from './helpers/report-data.js';

const CHROMIUM = '/usr/bin/chromium';
const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);
const MIN = 60_000;
// candle bodies, the equity line, and the LONG entry marker (same blue as the equity line, but on the candle chart)
const COLOR = {
  up: [0x26, 0xa6, 0x9a],
  down: [0xef, 0x53, 0x50],
  equity: [0x29, 0x62, 0xff],
  longMarker: [0x29, 0x62, 0xff],
  shortMarker: [0xff, 0x6d, 0x00],
} as const;
const MONTH = path.resolve(ROOT, '..', 'shared', 'data', 'binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');

const haveChromium = existsSync(CHROMIUM);
const artifacts = mkdtempSync(path.join(os.tmpdir(), 'report-browser-'));
let context: BrowserContext | null = null;

before(async () => {
  if (!haveChromium) return;
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'chromium-profile-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

after(async () => {
  await context?.close();
});

/** Console errors, uncaught exceptions and failed requests of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  return errors;
}

/** The most pixels of `rgb` (±12 per channel, opaque) on any canvas under `selector`; 0 if none is sized. */
function countColor(page: Page, selector: string, rgb: readonly number[]): Promise<number> {
  return page.evaluate(
    ({ selector, rgb }) => {
      let best = 0;
      for (const c of Array.from(document.querySelectorAll<HTMLCanvasElement>(`${selector} canvas`))) {
        if (c.width === 0 || c.height === 0) continue;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 3]! > 200 && Math.abs(d[i]! - rgb[0]!) <= 12 && Math.abs(d[i + 1]! - rgb[1]!) <= 12 && Math.abs(d[i + 2]! - rgb[2]!) <= 12) n++;
        }
        best = Math.max(best, n);
      }
      return best;
    },
    { selector, rgb: [...rgb] },
  );
}

async function waitForColor(page: Page, selector: string, rgb: readonly number[], min: number): Promise<number> {
  await page.waitForFunction(
    ({ selector }) => Array.from(document.querySelectorAll<HTMLCanvasElement>(`${selector} canvas`)).some((c) => c.width > 0 && c.height > 0),
    { selector },
  );
  // the chart draws on animation frames: poll until the series is on the canvas
  for (let i = 0; i < 50; i++) {
    const n = await countColor(page, selector, rgb);
    if (n >= min) return n;
    await page.waitForTimeout(100);
  }
  return countColor(page, selector, rgb);
}

function randomWalkCandles(n: number): Candle[] {
  const rng = createRng(7);
  let price = 50_000;
  return Array.from({ length: n }, (_, i) => {
    const open = price;
    const close = open + rng.normal() * 40;
    price = close;
    return {
      ts: T0 + i * MIN,
      open,
      high: Math.max(open, close) + rng.uniform(0, 25),
      low: Math.min(open, close) - rng.uniform(0, 25),
      close,
      volume: rng.uniform(1, 10),
    };
  });
}

test('report.html opened from disk draws candles with markers and the equity curve, no console errors', async (t) => {
  if (!haveChromium || !context) return lacking(t, 'chromium not installed');
  const candles = randomWalkCandles(120);
  const id = `BTCUSDT-${T0 + 30 * MIN}-LONG`;
  const events: EngineEvent[] = [
    sessionStart({ balance: 10_000 }),
    {
      event: 'Fill',
      orderId: id,
      side: 'LONG',
      price: candles[31]!.open,
      qty: 0.1,
      fee: 2.5,
      liquidity: 'taker',
      sl: candles[31]!.open - 300,
      tp: candles[31]!.open + 600,
      at: T0 + 31 * MIN + 5_000,
    },
    {
      event: 'Exit',
      orderId: id,
      reason: 'TP',
      price: candles[60]!.close,
      qty: 0.1,
      pnl: (candles[60]!.close - candles[31]!.open) * 0.1,
      fee: 2.5,
      source: 'tick',
      at: T0 + 60 * MIN + 30_000,
    },
  ];
  const entries = events.map((e, i) => ({ ...e, seq: i + 1, ts: T0 + i }) as JournalEntry);
  const report: FinalReport = {
    status: 'success',
    exitCode: 0,
    reason: 'duration',
    symbol: 'BTCUSDT',
    pnl: 0,
    trades: 1,
    winRate: 1,
    fees: 5,
    funding: 0,
    errors: 0,
    durationSec: 7200,
    startingEquity: 10_000,
    equity: 10_000,
    position: null,
    ticks: 100_000,
    badFrames: 0,
    reconnects: 0,
    lastError: null,
    netPnl: 0,
    grossPnl: 5,
    period: { from: new Date(T0).toISOString(), to: new Date(T0 + 120 * MIN).toISOString() },
    maxDrawdown: 0,
    maxDrawdownPct: 0,
    profitFactor: null,
    expectancy: 0,
    sharpeDaily: null,
    sortinoDaily: null,
    exposurePct: 24.6,
    avgHoldingSec: 1765,
    tradingState: null,
    generatedAt: new Date(T0 + 3 * 3_600_000).toISOString(),
  };
  const rng = createRng(11);
  let eq = 10_000;
  const equity = Array.from({ length: 7200 }, (_, i) => ({ ts: T0 + i * 1000, equity: (eq += rng.normal()) }));
  const file = path.join(artifacts, 'report.html');
  writeFileSync(file, renderReport({ symbol: 'BTCUSDT', candles, entries, equity, report, chartLib: await loadChartLib() }));

  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(pathToFileURL(file).href);
  const up = await waitForColor(page, '#candles', COLOR.up, 50);
  const down = await waitForColor(page, '#candles', COLOR.down, 50);
  const marker = await waitForColor(page, '#candles', COLOR.longMarker, 20);
  const line = await waitForColor(page, '#equity', COLOR.equity, 50);
  await page.screenshot({ path: path.join(artifacts, 'report.png'), fullPage: true });
  t.diagnostic(`screenshots in ${artifacts} (pixels: up ${up}, down ${down}, entry marker ${marker}, equity ${line})`);
  assert.ok(up >= 50 && down >= 50, `candles drawn (up ${up}, down ${down} pixels)`);
  assert.ok(marker >= 20, `entry marker drawn (${marker} pixels)`);
  assert.ok(line >= 50, `equity curve drawn (${line} pixels)`);
  assert.equal(await page.locator('#trades tbody tr').count(), 1);
  assert.equal(await page.locator('#no-charts').isHidden(), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the live page draws the equity curve from server-sent events and shows the latest sample', async (t) => {
  if (!haveChromium || !context) return lacking(t, 'chromium not installed');
  const snap = { symbol: 'BTCUSDT', status: 'running', lastTickAgeMs: 100, staleAfterMs: 30_000 } as StatusSnapshot;
  const server = await startStatusServer({
    port: 0,
    getStatus: () => snap,
    getMetricsText: () => new PromMetrics({ snapshot: () => snap }).text(),
    log: pino({ enabled: false }) as unknown as Logger,
  });
  try {
    const sample = (i: number): LiveSample => ({
      ts: T0 + i * 1000,
      status: 'running',
      price: 50_000 + i,
      position: { side: 'LONG', qty: 0.1, entry: 49_990 },
      equity: 10_000,
      unrealized: Math.sin(i / 6) * 20 + i * 0.3,
    });
    for (let i = 0; i < 60; i++) server.publish(sample(i));
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${server.port}/`);
    await page.waitForFunction(() => document.getElementById('samples')?.textContent === '60');
    server.publish(sample(60));
    await page.waitForFunction(() => document.getElementById('samples')?.textContent === '61');
    assert.equal(await page.textContent('#price'), '50060');
    assert.equal(await page.textContent('#position'), 'LONG 0.1 @ 49990');
    assert.equal(await page.textContent('#equity'), (10_000 + sample(60).unrealized).toFixed(2));
    assert.equal(await page.textContent('#conn'), 'live');
    const line = await waitForColor(page, '#equity-chart', COLOR.equity, 50);
    await page.screenshot({ path: path.join(artifacts, 'live.png'), fullPage: true });
    t.diagnostic(`screenshots in ${artifacts} (equity ${line} pixels)`);
    assert.ok(line >= 50, `equity curve drawn (${line} pixels)`);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await server.close();
  }
});

test("the report of a month's replay: the chart covers the whole month, hundreds of markers drawn, labels on hover", async (t) => {
  if (!haveChromium || !context) return lacking(t, 'chromium not installed');
  if (!existsSync(MONTH)) return lacking(t, `real candle data not found at ${MONTH} (../shared/data is absent)`);
  const stateDir = path.join(tempDir(), 'BTCUSDT');
  const r = run(MAIN, replayArgs(MONTH, stateDir));
  assert.equal((await r.exit).code, 0, r.stderr() + r.stdout().slice(-2000));
  const file = path.join(stateDir, 'report.html');
  const data = reportData(readFileSync(file, 'utf8'));
  assert.ok(data.candles.length > 40_000, `a month of 1-minute candles (${data.candles.length})`);
  assert.ok(data.markers.length >= 100, `hundreds of markers (${data.markers.length})`);
  assert.ok(
    data.markers.every((m) => m.text === ''),
    'no piled-up labels: the markers are shapes, the legend has the words',
  );

  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(pathToFileURL(file).href);
  const up = await waitForColor(page, '#candles', COLOR.up, 50);
  const long = await waitForColor(page, '#candles', COLOR.longMarker, 100);
  const short = await waitForColor(page, '#candles', COLOR.shortMarker, 100);
  const line = await waitForColor(page, '#equity', COLOR.equity, 50);
  await page.screenshot({ path: path.join(artifacts, 'report-month.png'), fullPage: true });
  t.diagnostic(`screenshots in ${artifacts} (pixels: up ${up}, long markers ${long}, short markers ${short}, equity ${line})`);
  assert.ok(up >= 50, `candles drawn (${up} pixels)`);
  assert.ok(long >= 100 && short >= 100, `entry markers of both sides drawn (${long}, ${short} pixels)`);
  assert.ok(line >= 50, `equity curve drawn (${line} pixels)`);

  // the whole session is in view: first and last bar
  const range = await page.evaluate(() =>
    (window as unknown as { reportCharts: { price: { timeScale(): { getVisibleRange(): { from: number; to: number } | null } } } }).reportCharts.price
      .timeScale()
      .getVisibleRange(),
  );
  assert.ok(range, 'a visible range');
  assert.ok(range.from <= data.candles[0]!.time && range.to >= data.candles.at(-1)!.time, `the chart shows the whole month (${JSON.stringify(range)})`);

  // pointing at a marker's bar shows its label in the legend
  const marker = data.markers[Math.floor(data.markers.length / 2)]!;
  const x = await page.evaluate(
    (time) =>
      (window as unknown as { reportCharts: { price: { timeScale(): { timeToCoordinate(t: number): number | null } } } }).reportCharts.price
        .timeScale()
        .timeToCoordinate(time),
    marker.time,
  );
  assert.ok(x !== null, 'the marker is on screen');
  const box = (await page.locator('#candles').boundingBox())!;
  await page.mouse.move(box.x + x, box.y + box.height / 2);
  const want = data.labels[String(marker.time)]!;
  await page.waitForFunction((text) => document.getElementById('marker-legend')?.textContent?.includes(text) ?? false, want[0]!);
  assert.ok(want[0]!.includes(' @ '), `a label such as "BUY 0.1 @ 96000" (${want[0]})`);
  assert.deepEqual(errors, []);
  await page.close();
});
