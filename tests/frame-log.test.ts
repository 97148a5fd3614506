// The frame log: the recorder worker's files (hourly, self-describing, readable after a crash cut them), its
// bounded backlog, and REST answered from a recording.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { encodeRestKlines } from '../src/shared/bitunix/index.js';
import { FRAME_LOG_VERSION, type FrameLogHeader } from '../src/shared/frame-log.js';
import { frameLogFiles, isFrameLog, readFrameLogEntries } from '../src/main/frame-log-reader.js';
import { FrameRecorder } from '../src/main/frame-recorder.js';
import type { Logger } from '../src/main/logger.js';
import { RecordedRest } from '../src/main/recorded-rest.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 1, 9, 59, 58);

function header(sessionStart: number): FrameLogHeader {
  return { frameLog: FRAME_LOG_VERSION, symbol: 'BTCUSDT', interval: '1m', feed: 'sim', maxFutureMs: null, engine: 'test', sessionStart };
}

function recordingLog(): { log: Logger; warnings: string[] } {
  const warnings: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push((JSON.parse(line) as { msg: string }).msg) });
  return { log: log as unknown as Logger, warnings };
}

test('frames and REST bodies land in order, in one file per hour of receive time, each opening with its header', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'frame-log-'));
  const { log, warnings } = recordingLog();
  const rec = new FrameRecorder(dir, header(T0), log);
  rec.opened('ws://x/public/', T0);
  rec.frame('{"op":"connect"}', T0 + 1);
  rec.rest('/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=200', '{"code":0,"data":[]}', T0 + 2);
  rec.frame('text with "quotes", a \\ and\na newline', T0 + 1500);
  rec.frame('{"ch":"trade"}', T0 + 2500); // 10:00:00.500: the next hour
  rec.down('closed 1006', T0 + 3000);
  const stats = await rec.close();
  assert.deepEqual({ items: stats.items, dropped: stats.dropped, failed: stats.failed, files: stats.files }, { items: 6, dropped: 0, failed: null, files: 2 });
  assert.deepEqual(warnings, []);

  const files = frameLogFiles(dir, 'BTCUSDT');
  assert.deepEqual(
    files.map((f) => path.basename(f.file)),
    [`BTCUSDT-2026-12-01T09Z-${T0}.frames.jsonl.gz`, `BTCUSDT-2026-12-01T10Z-${T0}.frames.jsonl.gz`],
  );
  for (const f of files) assert.deepEqual(f.header, header(T0));
  assert.deepEqual(readFrameLogEntries(files[0]!.file), [
    { kind: 'open', t: T0, url: 'ws://x/public/' },
    { kind: 'ws', t: T0 + 1, text: '{"op":"connect"}' },
    { kind: 'rest', t: T0 + 2, path: '/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=200', body: '{"code":0,"data":[]}' },
    { kind: 'ws', t: T0 + 1500, text: 'text with "quotes", a \\ and\na newline' },
  ]);
  assert.deepEqual(readFrameLogEntries(files[1]!.file), [
    { kind: 'ws', t: T0 + 2500, text: '{"ch":"trade"}' },
    { kind: 'down', t: T0 + 3000, reason: 'closed 1006' },
  ]);
  assert.ok(isFrameLog(dir) && isFrameLog(files[0]!.file));
  assert.throws(() => frameLogFiles(dir, 'ETHUSDT'), /no frame log of ETHUSDT \(it holds BTCUSDT/);
});

test('a candle CSV is not a frame log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'frame-log-'));
  const csv = path.join(dir, 'btc.csv');
  writeFileSync(csv, 'open,high,low,close,volume\n1,2,0.5,1.5,10\n');
  assert.equal(isFrameLog(csv), false);
  assert.equal(isFrameLog(dir), false);
});

test('a file a crash cut short is read up to its last whole line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'frame-log-'));
  const rec = new FrameRecorder(dir, header(T0), recordingLog().log);
  for (let i = 0; i < 2000; i++) rec.frame(`{"ch":"trade","n":${i},"pad":"${'x'.repeat(i % 97)}"}`, T0 + i);
  await rec.close();
  const [file] = readdirSync(dir).map((n) => path.join(dir, n));
  const whole = readFrameLogEntries(file!);
  assert.equal(whole.length, 2000);
  truncateSync(file!, Math.floor(readFileSync(file!).length * 0.6));
  const cut = readFrameLogEntries(file!);
  assert.ok(cut.length > 0 && cut.length < 2000, `some lines survive (${cut.length})`);
  assert.deepEqual(cut, whole.slice(0, cut.length));
});

test('a writer that falls behind drops and counts frames instead of queueing them without bound', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'frame-log-'));
  const { log, warnings } = recordingLog();
  const rec = new FrameRecorder(dir, header(T0), log);
  const big = 'x'.repeat(1024 * 1024);
  // 48 MiB in one go: the worker cannot acknowledge anything while this loop runs.
  for (let i = 0; i < 48; i++) rec.frame(big, T0 + i);
  const stats = await rec.close();
  assert.ok(stats.dropped > 0, `dropped ${stats.dropped}`);
  assert.equal(stats.items + stats.dropped, 48);
  assert.equal(warnings.filter((w) => /behind/.test(w)).length, 1, `one warning: ${JSON.stringify(warnings)}`);
  const [file] = frameLogFiles(dir, 'BTCUSDT');
  assert.equal(readFrameLogEntries(file!.file).length, stats.items, 'what was kept was written');
});

test('a recording that cannot be written warns once and records nothing more', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'frame-log-'));
  const notADir = path.join(dir, 'file');
  writeFileSync(notADir, '');
  const { log, warnings } = recordingLog();
  const rec = new FrameRecorder(path.join(notADir, 'rec'), header(T0), log);
  rec.frame('a', T0);
  await new Promise((r) => setTimeout(r, 300));
  rec.frame('b', T0 + HOUR); // a new hour would open a new file: still nothing, no second warning
  const stats = await rec.close();
  assert.match(stats.failed ?? '', /ENOTDIR|EEXIST/);
  assert.deepEqual(warnings.filter((w) => /recording stopped/.test(w)).length, 1);
  assert.equal(warnings.length, 1);
});

const KLINE = '/api/v1/futures/market/kline';
const FUNDING = '/api/v1/futures/market/funding_rate?symbol=BTCUSDT';
const m = (ts: number, close: number) => ({ ts, open: close, high: close + 1, low: close - 1, close, volume: 2 });

test('REST from a recording: verbatim requests get the latest reply not after the replay, kline pages are cut from all pages', async () => {
  const rest = new RecordedRest([
    { t: 100, path: FUNDING, body: 'funding@100' },
    { t: 900, path: FUNDING, body: 'funding@900' },
    { t: 110, path: `${KLINE}?symbol=BTCUSDT&interval=1m&limit=200&endTime=180000`, body: encodeRestKlines([m(0, 10), m(60_000, 11), m(120_000, 12)]) },
    // a later blind-span fetch saw minute 120000 finished (close 13) and the next one forming
    { t: 800, path: `${KLINE}?symbol=BTCUSDT&interval=1m&limit=200&endTime=300000`, body: encodeRestKlines([m(120_000, 13), m(180_000, 14)]) },
    { t: 120, path: `${KLINE}?symbol=BTCUSDT&interval=5m&limit=200&endTime=300000`, body: encodeRestKlines([m(0, 99)]) },
  ]);
  assert.equal(await rest.answer(FUNDING, 50), 'funding@100', 'before any reply was recorded: the first');
  assert.equal(await rest.answer(FUNDING, 500), 'funding@100');
  assert.equal(await rest.answer(FUNDING, 901), 'funding@900');
  const verbatim = `${KLINE}?symbol=BTCUSDT&interval=1m&limit=200&endTime=180000`;
  assert.match(await rest.answer(verbatim, 0), /"close":"12"/);
  const cut = JSON.parse(await rest.answer(`${KLINE}?symbol=BTCUSDT&interval=1m&limit=2&endTime=240000`, 0)) as { data: { time: string; close: string }[] };
  assert.deepEqual(
    cut.data.map((r) => [r.time, r.close]),
    [
      ['180000', '14'],
      ['120000', '13'],
    ],
    'newest first, the later recording of a minute wins',
  );
  await assert.rejects(rest.answer('/api/v1/futures/market/depth?symbol=BTCUSDT', 0), /not in the recording/);
  await assert.rejects(rest.answer(`${KLINE}?symbol=ETHUSDT&interval=1m&limit=200&endTime=1`, 0), /not in the recording/);
});
