// The end of a session, after the last frame, is work on two threads: the persistence worker writes the final
// snapshot as soon as the journal holds its events, and takes the end-of-session files one after another as they
// are made, in their order, while the main thread makes the next. A file that cannot be made or written is
// logged by name and the others are still written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { SessionRecord } from '../src/shared/session-record.js';
import type { StateSnapshot } from '../src/shared/types.js';
import { endOfSession, MetricsLog, writeEndOfSessionFiles } from '../src/main/engine/end-of-session.js';
import { Snapshots } from '../src/main/engine/snapshots.js';
import type { Journal } from '../src/main/journal.js';
import type { Logger } from '../src/main/logger.js';
import type { StateStore } from '../src/main/state-store.js';
import type { TradingCore } from '../src/main/trading/trading-core.js';
import type { Clock } from '../src/shared/clock.js';

const T0 = Date.UTC(2024, 11, 1);
const MIN = 60_000;

function ended() {
  const start = freshBrokerState(10_000, T0);
  const record = new SessionRecord(start, MIN, 'linear');
  for (let i = 0; i < 5; i++) record.closed({ ts: T0 + i * MIN, open: 100 + i, high: 101 + i, low: 99 + i, close: 100.5 + i, volume: 1 });
  return endOfSession({
    reason: 'replay_end',
    exitCode: 0,
    symbol: 'BTCUSDT',
    start,
    end: start,
    market: record.end(T0 + 5 * MIN),
    generatedAt: T0,
    durationSec: 1,
    errors: 0,
    ticks: 10,
    badFrames: 0,
    reconnects: 0,
    lastError: null,
    tradingState: { state: 'ACTIVE', reason: null },
  });
}

/** A store whose writes land only when the test lets them: what was handed over, and when. */
function heldStore(failing: string | null = null) {
  const handed: string[] = [];
  const written: string[] = [];
  const releases: (() => void)[] = [];
  const land = (name: string): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      handed.push(name);
      releases.push(() => {
        if (name === failing) reject(new Error('disk full'));
        else {
          written.push(name);
          resolve();
        }
      });
    });
  const store = {
    writeFile: (name: string) => land(name),
    writeCandlesCsv: (name: string) => land(name),
  } as unknown as StateStore;
  /** Every write lands as it is handed over, until `done` settles. */
  const landAll = async (done: Promise<void>): Promise<void> => {
    let settled = false;
    const watched = done.finally(() => {
      settled = true;
    });
    while (!settled) {
      while (releases.length > 0) releases.shift()!();
      await new Promise((r) => setTimeout(r, 2));
    }
    await watched;
  };
  return { store, handed, written, landAll };
}

function logOf(lines: string[]): Logger {
  return { error: (_o: unknown, msg: string) => lines.push(msg), warn: () => {}, info: () => {} } as unknown as Logger;
}

test('the end-of-session files are handed over in their order without waiting for each other to be written', async () => {
  const s = heldStore();
  const errors: string[] = [];
  const done = writeEndOfSessionFiles(s.store, logOf(errors), ended(), { symbol: 'BTCUSDT', metrics: new MetricsLog() });
  // nothing written yet, and the three files that need no rendering are with the worker already
  assert.deepEqual(s.handed, ['final_report.json', 'metrics.csv', 'candles.csv']);
  await s.landAll(done);
  assert.deepEqual(s.handed, ['final_report.json', 'metrics.csv', 'candles.csv', 'report.html']);
  assert.deepEqual(s.written, ['final_report.json', 'metrics.csv', 'candles.csv', 'report.html']);
  assert.deepEqual(errors, []);
});

test('a file that cannot be written is logged by name and the others are still written', async () => {
  const s = heldStore('metrics.csv');
  const errors: string[] = [];
  const done = writeEndOfSessionFiles(s.store, logOf(errors), ended(), { symbol: 'BTCUSDT', metrics: new MetricsLog() });
  await s.landAll(done);
  assert.deepEqual(s.written, ['final_report.json', 'candles.csv', 'report.html']);
  assert.deepEqual(errors, ['metrics.csv could not be written']);
});

/** Snapshots of a fresh state over `journal`, each handed to the store pushed onto `into`. */
function snapshotsOver(journal: Partial<Journal>, into: StateSnapshot[]): Snapshots {
  const core = { broker: { state: freshBrokerState(10_000, T0) }, lastTickMarketTs: T0, seenMinute: null } as unknown as TradingCore;
  return new Snapshots({
    symbol: 'BTCUSDT',
    clock: { now: () => T0 } as unknown as Clock,
    store: { snapshot: async (s: StateSnapshot) => void into.push(s) } as unknown as StateStore,
    core: () => core,
    journal: () => ({ flush: () => Promise.resolve(), ...journal }) as unknown as Journal,
    persistError: (err) => assert.fail(err),
  });
}

test('with the journal on disk, the final snapshot goes to the worker at once (before the session record is folded)', async () => {
  const snapshots: StateSnapshot[] = [];
  const written = snapshotsOver({ seq: 7, durableSeq: 7 }, snapshots).write();
  assert.equal(snapshots.length, 1, 'handed over in the same turn');
  assert.equal(snapshots[0]!.seq, 7);
  await written;
  // events not on disk yet: the snapshot waits for the flush, and is skipped when the journal could not be written
  await snapshotsOver({ seq: 9, durableSeq: 7 }, snapshots).write();
  assert.equal(snapshots.length, 1, 'no snapshot ahead of the journal');
});
