// The persistence worker end to end (real worker thread, real files): what a restart loads, how corrupt
// files are quarantined, how snapshots coalesce and rotate, and that disk errors and a dying worker come
// back to the caller as rejections instead of hangs or crashes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isBrokerEvent, type BrokerEvent, type JournalEntry } from '../src/shared/events.js';
import type { BrokerState, JournalPosition, StateSnapshot } from '../src/shared/types.js';
import { applyEvent, freshBrokerState } from '../src/shared/broker-state.js';
import { GENESIS_AT } from '../src/shared/journal-fold.js';
import { brokerStateOf, sealSnapshot } from '../src/shared/state-schema.js';
import { PersistenceClient, isLockedError } from '../src/main/persistence-client.js';
import { CandleRows } from '../src/shared/candle-pack.js';
import { acquireStateLock } from '../src/workers/store/state-lock.js';

const SYMBOL = 'BTCUSDT';
const BALANCE = 10_000;
const tmpDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'persistence-'));
const ls = (dir: string): string[] => readdirSync(dir).sort();
const readJson = (file: string): StateSnapshot => JSON.parse(readFileSync(file, 'utf8')) as StateSnapshot;

function snap(seq: number, equity = 10_000 + seq, symbol = SYMBOL): StateSnapshot {
  return sealSnapshot({
    version: 1,
    symbol,
    seq,
    savedAt: 1_717_000_000_000 + seq * 1000,
    equity,
    startingEquity: 10_000,
    position: null,
    workingOrders: [],
    processedOrderIds: [`o-${seq}`],
    lastEntryAt: null,
    recentOrderTimes: [],
    breaker: {
      day: '2024-05-29',
      dayStartEquity: 10_000,
      peakEquity: 10_000,
      consecutiveLosses: 0,
      tripped: false,
      reason: null,
      trippedAt: null,
    },
    lastFundingTime: null,
    stats: { trades: seq, wins: 0, fees: 0, realizedPnl: 0, funding: 0 },
  });
}
const entry = (seq: number): JournalEntry => ({ seq, ts: 1_717_000_000_000 + seq, event: 'OrderQueued' }) as JournalEntry;
const jsonl = (...seqs: number[]): string => seqs.map((s) => `${JSON.stringify(entry(s))}\n`).join('');

/** Open a fresh client on `dir`, run `body`, then close and stop the worker whatever happens. */
async function withStore<T>(
  dir: string,
  body: (c: PersistenceClient, loaded: Awaited<ReturnType<PersistenceClient['open']>>) => Promise<T>,
  backups = 3,
): Promise<T> {
  const c = new PersistenceClient();
  try {
    const loaded = await c.open({ dir, symbol: SYMBOL, backups, balance: BALANCE, lockStaleMs: 2000 });
    const out = await body(c, loaded);
    await c.close();
    return out;
  } finally {
    await c.terminate();
  }
}

test('round trip: fresh → append → snapshot → close → reopen loads the primary and replays the rest', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c, loaded) => {
    assert.equal(loaded.source, 'fresh');
    assert.equal(loaded.snapshot, null);
    assert.equal(loaded.lastSeq, 0);
    void c.append([entry(1), entry(2), entry(3)]); // not awaited: the snapshot waits for the journal itself
    await c.snapshot(snap(3));
    assert.equal(readFileSync(path.join(dir, 'events.jsonl'), 'utf8'), jsonl(1, 2, 3), 'events <= seq 3 durable first');
    await c.append([entry(4), entry(5)]);
    assert.deepEqual(await c.status(), { lastError: null, snapshotsWritten: 1, entriesAppended: 5, locked: true });
  });
  assert.equal(existsSync(path.join(dir, 'state.json.lock')), false, 'close releases the lock');
  await withStore(dir, async (c, loaded) => {
    assert.equal(loaded.source, 'primary');
    assert.deepEqual(loaded.snapshot, snap(3));
    assert.equal(loaded.replayed, 2); // seq 4 and 5
    assert.deepEqual(loaded.state, brokerStateOf(snap(3)), 'session events leave the broker state as it was');
    assert.equal(loaded.lastSeq, 5);
    assert.deepEqual(loaded.quarantined, []);
    assert.equal(loaded.journalTruncated, null);
    assert.deepEqual(loaded.warnings, []);
    await assert.rejects(c.append([entry(5)]), /seq 5 is not after 5/);
    await c.append([entry(6)]);
  });
});

const corruptions: [string, (good: string) => string][] = [
  ['truncated', (good) => good.slice(0, Math.floor(good.length / 2))],
  ['garbage', () => '\u0000\u0000garbage\u00ff'],
  ['wrong checksum', () => JSON.stringify({ ...snap(2), equity: 99_999 })],
  ['empty', () => ''],
  ['another symbol', () => JSON.stringify(snap(2, 10_002, 'ETHUSDT'))],
];
for (const [name, corrupt] of corruptions) {
  test(`a ${name} state.json is quarantined and the .bak generation is loaded`, async () => {
    const dir = tmpDir();
    const bad = corrupt(JSON.stringify(snap(2)));
    writeFileSync(path.join(dir, 'state.json'), bad);
    writeFileSync(path.join(dir, 'state.json.bak'), JSON.stringify(snap(1)));
    writeFileSync(path.join(dir, 'events.jsonl'), jsonl(1, 2));
    await withStore(dir, async (_c, loaded) => {
      assert.equal(loaded.source, 'backup');
      assert.deepEqual(loaded.snapshot, snap(1));
      assert.equal(loaded.replayed, 1);
      assert.deepEqual(loaded.state, brokerStateOf(snap(1)));
      assert.equal(loaded.lastSeq, 2);
      assert.equal(loaded.quarantined.length, 1);
      assert.match(loaded.quarantined[0]!, /\/state\.json\.corrupt\.\d+$/);
      assert.equal(readFileSync(loaded.quarantined[0]!, 'utf8'), bad, 'kept byte for byte, never deleted');
      assert.equal(loaded.warnings.length, 1);
      assert.match(loaded.warnings[0]!, /^state\.json: .+; quarantined as state\.json\.corrupt\.\d+$/);
      assert.equal(existsSync(path.join(dir, 'state.json')), false);
    });
  });
}

test('when every snapshot generation is bad the state is rebuilt from the journal', async () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'state.json'), '{"version":1');
  writeFileSync(path.join(dir, 'state.json.bak'), '');
  writeFileSync(path.join(dir, 'state.json.bak.3'), JSON.stringify({ ...snap(1), seq: 0 }));
  writeFileSync(path.join(dir, 'events.jsonl'), jsonl(1, 2, 3));
  await withStore(dir, async (_c, loaded) => {
    assert.equal(loaded.source, 'journal');
    assert.equal(loaded.snapshot, null);
    assert.equal(loaded.replayed, 3);
    assert.deepEqual(loaded.state, freshBrokerState(BALANCE, GENESIS_AT));
    assert.equal(loaded.lastSeq, 3);
    assert.equal(loaded.quarantined.length, 3);
    assert.deepEqual(
      loaded.warnings.map((w) => w.replace(/\d+$/, 'N')),
      [
        'state.json: unparseable JSON; quarantined as state.json.corrupt.N',
        'state.json.bak: empty file; quarantined as state.json.bak.corrupt.N',
        'state.json.bak.3: checksum mismatch; quarantined as state.json.bak.3.corrupt.N',
      ],
    );
  });
});

test('a torn last journal line is truncated and reported; seq keeps increasing after reopen', async () => {
  const dir = tmpDir();
  const torn = '{"seq":3,"ts":17170000';
  writeFileSync(path.join(dir, 'events.jsonl'), jsonl(1, 2) + torn);
  await withStore(dir, async (c, loaded) => {
    assert.equal(loaded.source, 'journal');
    assert.deepEqual(loaded.journalTruncated, { bytes: torn.length, line: torn });
    assert.deepEqual(loaded.warnings, [`events.jsonl: torn last line (${torn.length} bytes) truncated`]);
    assert.equal(loaded.lastSeq, 2);
    await c.append([entry(3)]);
  });
  await withStore(dir, async (c, loaded) => {
    assert.equal(loaded.journalTruncated, null);
    assert.equal(loaded.replayed, 3);
    assert.equal(loaded.lastSeq, 3);
    await assert.rejects(c.append([entry(3)]), /not after 3/);
  });
  assert.equal(readFileSync(path.join(dir, 'events.jsonl'), 'utf8'), jsonl(1, 2, 3));
});

test('lastSeq never goes below the snapshot seq, even when the journal is behind it', async () => {
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'state.json'), JSON.stringify(snap(7)));
  writeFileSync(path.join(dir, 'events.jsonl'), jsonl(1, 2));
  await withStore(dir, async (c, loaded) => {
    assert.equal(loaded.source, 'primary');
    assert.equal(loaded.replayed, 0);
    assert.equal(loaded.lastSeq, 7);
    await c.append([entry(8)]);
  });
});

// A journal of HISTORY lines with a snapshot at SNAP_SEQ written by the worker, then a short tail: the
// tail's funding payments say, through the folded equity, exactly which events a start replayed.
const SNAP_SEQ = 2_000;
const LAST_SEQ = 2_050;
const funding = (seq: number): JournalEntry =>
  ({
    seq,
    ts: 1_717_000_000_000 + seq,
    event: 'FundingApplied',
    rate: 0.0001,
    amount: seq / 100,
    fundingTime: seq * 1000,
    side: 'LONG',
    at: seq,
  }) as JournalEntry;
const history = (from: number, to: number): JournalEntry[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i).map((seq) => (seq % 10 === 0 ? funding(seq) : entry(seq)));
const foldOnto = (s: StateSnapshot, entries: JournalEntry[]): BrokerState =>
  entries.filter((e) => isBrokerEvent(e)).reduce((st, e) => applyEvent(st, e as BrokerEvent), brokerStateOf(s));

/** The state dir holds the journal 1..LAST_SEQ and the worker's snapshot at SNAP_SEQ; returns what a start must resume. */
async function journalWithSnapshot(dir: string): Promise<BrokerState> {
  await withStore(dir, async (c) => {
    await c.append(history(1, SNAP_SEQ));
    await c.snapshot(snap(SNAP_SEQ));
    await c.append(history(SNAP_SEQ + 1, LAST_SEQ));
  });
  return foldOnto(snap(SNAP_SEQ), history(SNAP_SEQ + 1, LAST_SEQ));
}

test("a start with a valid snapshot reads the journal only after the snapshot's line: garbage before it goes unnoticed", async () => {
  const dir = tmpDir();
  const expected = await journalWithSnapshot(dir);
  const file = path.join(dir, 'events.jsonl');
  const original = readFileSync(file);
  const at = readJson(path.join(dir, 'state.json')).journalAt!;
  assert.equal((JSON.parse(original.toString('utf8', at.offset, at.offset + at.bytes)) as JournalEntry).seq, SNAP_SEQ, 'the snapshot names its own line');
  // Every byte before that line (newlines kept) becomes something no parser accepts: a start that
  // read any of it would skip and report ~2000 lines.
  const tampered = Buffer.from(original);
  for (let i = 0; i < at.offset; i++) if (tampered[i] !== 0x0a) tampered[i] = 0x23;
  writeFileSync(file, tampered);
  const from = at.offset + at.bytes + 1;
  await withStore(dir, async (c, loaded) => {
    assert.equal(loaded.source, 'primary');
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(loaded.quarantined, []);
    assert.equal(loaded.journalTruncated, null);
    assert.deepEqual(loaded.journalRead, { from, bytes: original.length - from, positionProblem: null });
    assert.equal(loaded.replayed, LAST_SEQ - SNAP_SEQ);
    assert.deepEqual(loaded.state, expected, 'every event after the snapshot is folded in, none before it');
    assert.equal(loaded.replayedAt, LAST_SEQ, 'the market time of the newest replayed broker event');
    assert.equal(loaded.lastSeq, LAST_SEQ, 'the last seq comes from the tail');
    // lines appended after such a start are placed right: the next snapshot's position checks out too
    await c.append([entry(LAST_SEQ + 1), funding(LAST_SEQ + 2)]);
    await c.snapshot(snap(LAST_SEQ + 2));
  });
  assert.deepEqual(readFileSync(file).subarray(0, original.length), tampered, 'the journal was only appended to');
  await withStore(dir, async (_c, loaded) => {
    assert.deepEqual(loaded.warnings, []);
    assert.deepEqual(loaded.journalRead, { from: statSync(file).size, bytes: 0, positionProblem: null });
    assert.equal(loaded.replayed, 0);
    assert.deepEqual(loaded.state, brokerStateOf(snap(LAST_SEQ + 2)));
    assert.equal(loaded.lastSeq, LAST_SEQ + 2);
  });
});

test('a snapshot position that does not check out falls back to reading the whole journal and loses no event', async () => {
  const dir = tmpDir();
  const expected = await journalWithSnapshot(dir);
  const file = path.join(dir, 'events.jsonl');
  const journal = readFileSync(file);
  const good = readJson(path.join(dir, 'state.json'));
  const at = good.journalAt!;
  const prevStart = journal.lastIndexOf(0x0a, at.offset - 2) + 1;
  const prevLine = journal.subarray(prevStart, at.offset - 1);
  const wrong: [string, JournalPosition, RegExp][] = [
    ['one byte late', { ...at, offset: at.offset + 1 }, /does not start a line/],
    [
      'the line before, with its own hash',
      { offset: prevStart, bytes: prevLine.length, sha256: createHash('sha256').update(prevLine).digest('hex') },
      new RegExp(`has seq ${SNAP_SEQ - 1}, expected ${SNAP_SEQ}`),
    ],
    ["another line's hash", { ...at, sha256: '0'.repeat(64) }, /does not match the snapshot's hash/],
    ["a length that is not the line's", { ...at, bytes: at.bytes - 1 }, /is not \d+ bytes long/],
    ['past the end', { ...at, offset: journal.length }, /runs past the end of the file/],
  ];
  for (const [name, journalAt, why] of wrong) {
    const { checksum: _c, journalAt: _j, ...body } = good;
    writeFileSync(path.join(dir, 'state.json'), JSON.stringify(sealSnapshot({ ...body, journalAt })));
    await withStore(dir, async (_c, loaded) => {
      assert.equal(loaded.source, 'primary', name);
      assert.deepEqual(loaded.quarantined, [], name);
      assert.equal(loaded.warnings.length, 1, name);
      assert.match(loaded.warnings[0]!, /^events\.jsonl: the snapshot's position does not check out \(.+\); read the whole journal$/, name);
      assert.match(loaded.journalRead.positionProblem ?? '', why, name);
      assert.deepEqual({ from: loaded.journalRead.from, bytes: loaded.journalRead.bytes }, { from: 0, bytes: journal.length }, name);
      assert.equal(loaded.replayed, LAST_SEQ - SNAP_SEQ, name);
      assert.deepEqual(loaded.state, expected, name);
      assert.equal(loaded.replayedAt, LAST_SEQ, name);
      assert.equal(loaded.lastSeq, LAST_SEQ, name);
    });
  }
  assert.deepEqual(readFileSync(file), journal, 'the journal is left as it was');
});

test('without a snapshot the journal is folded onto a fresh state with the balance of its first SessionStart', async () => {
  const start = (seq: number, balance: number): JournalEntry => ({ ...entry(seq), event: 'SessionStart', balance }) as JournalEntry;
  const dir = tmpDir();
  writeFileSync(path.join(dir, 'events.jsonl'), [start(1, 5_000), funding(2), start(3, 7_777), funding(4)].map((e) => `${JSON.stringify(e)}\n`).join(''));
  await withStore(dir, async (_c, loaded) => {
    assert.equal(loaded.source, 'journal');
    assert.equal(loaded.replayed, 4);
    assert.equal(loaded.replayedAt, 4);
    assert.deepEqual(
      loaded.state,
      [funding(2), funding(4)].reduce((st, e) => applyEvent(st, e as BrokerEvent), freshBrokerState(5_000, GENESIS_AT)),
    );
  });
  const bare = tmpDir(); // no SessionStart: the configured balance
  writeFileSync(path.join(bare, 'events.jsonl'), jsonl(1));
  await withStore(bare, async (_c, loaded) => assert.deepEqual(loaded.state, freshBrokerState(BALANCE, GENESIS_AT)));
});

test('a journal event that contradicts the state fails the start with the seq that cannot be replayed', async () => {
  const dir = tmpDir();
  const fill = (seq: number, side: string): JournalEntry =>
    ({ seq, ts: seq, event: 'Fill', orderId: `o${seq}`, side, price: 100, qty: 1, fee: 0, liquidity: 'taker', sl: 90, tp: 120, at: seq }) as JournalEntry;
  writeFileSync(path.join(dir, 'events.jsonl'), `${JSON.stringify(fill(1, 'LONG'))}\n${JSON.stringify(fill(2, 'SHORT'))}\n`);
  await assert.rejects(
    withStore(dir, async () => {}),
    /events\.jsonl seq 2 cannot be replayed: Fill o2 \(SHORT\) against an open LONG position/,
  );
});

test('a burst of 100 snapshots is coalesced: newest seq on disk, fewer writes, no older after newer', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    const calls: Promise<void>[] = [];
    for (let seq = 1; seq <= 100; seq++) calls.push(c.snapshot(snap(seq)));
    calls.push(c.snapshot(snap(40))); // late and older: must not overwrite seq 100
    await Promise.all(calls);
    const { snapshotsWritten } = await c.status();
    assert.ok(snapshotsWritten >= 1 && snapshotsWritten < 100, `wrote ${snapshotsWritten} times`);
    assert.deepEqual(readJson(path.join(dir, 'state.json')), snap(100));
    // Generations are strictly older going back: every write was newer than the one before it.
    const seqs = ['state.json', 'state.json.bak', 'state.json.bak.2', 'state.json.bak.3']
      .filter((f) => existsSync(path.join(dir, f)))
      .map((f) => readJson(path.join(dir, f)).seq);
    assert.equal(seqs.length, Math.min(snapshotsWritten, 4));
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! < seqs[i - 1]!, `generations ${seqs.join(' > ')}`);
  });
});

test('rotation keeps exactly `backups` generations', async () => {
  const dir = tmpDir();
  await withStore(
    dir,
    async (c) => {
      for (let seq = 1; seq <= 5; seq++) await c.snapshot(snap(seq));
      assert.equal((await c.status()).snapshotsWritten, 5);
    },
    2,
  );
  assert.deepEqual(ls(dir), ['events.jsonl', 'state.json', 'state.json.bak', 'state.json.bak.2']);
  assert.equal(readJson(path.join(dir, 'state.json')).seq, 5);
  assert.equal(readJson(path.join(dir, 'state.json.bak')).seq, 4);
  assert.equal(readJson(path.join(dir, 'state.json.bak.2')).seq, 3);
});

test('a failed disk write rejects clearly, is kept in status, leaves no partial file, and the worker carries on', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    await c.snapshot(snap(1));
    rmSync(path.join(dir, 'state.json'));
    mkdirSync(path.join(dir, 'state.json')); // as root chmod stops nothing; a directory in the way does
    await assert.rejects(c.snapshot(snap(2)), /^Error: persistence: snapshot write failed: (EPERM|EISDIR)/);
    const st = await c.status();
    assert.match(st.lastError ?? '', /^snapshot write failed: (EPERM|EISDIR)/);
    assert.equal(st.snapshotsWritten, 1);
    assert.deepEqual(ls(dir), ['events.jsonl', 'state.json', 'state.json.lock'], 'no temp file left behind');
    mkdirSync(path.join(dir, 'heartbeat.json'));
    await assert.rejects(c.writeFile('heartbeat.json', '{}'), /^Error: persistence: writing heartbeat.json failed: EISDIR/);
    rmSync(path.join(dir, 'heartbeat.json'), { recursive: true });

    rmSync(path.join(dir, 'state.json'), { recursive: true });
    await c.snapshot(snap(3));
    await c.writeFile('heartbeat.json', '{"ticks":3}\n');
    assert.deepEqual(readJson(path.join(dir, 'state.json')), snap(3));
    assert.equal(readFileSync(path.join(dir, 'heartbeat.json'), 'utf8'), '{"ticks":3}\n');
    assert.equal((await c.status()).snapshotsWritten, 2);
  });
});

test('side files are replaced atomically; names that could clobber state are refused', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    await c.writeFile('final_report.json', '{"status":"ok"}\n');
    await c.writeFile('final_report.json', '{"status":"done"}\n');
    assert.equal(readFileSync(path.join(dir, 'final_report.json'), 'utf8'), '{"status":"done"}\n');
    for (const name of ['../escape.json', 'state.json', 'state.json.bak', 'events.jsonl', 'sub/x', '.hidden', 'x.tmp']) {
      await assert.rejects(c.writeFile(name, 'x'), /refusing to write side file/, name);
    }
    await assert.rejects(c.snapshot(snap(1, 10_000, 'ETHUSDT')), /snapshot is for ETHUSDT, state dir is for BTCUSDT/);
    await assert.rejects(c.snapshot({ ...snap(1), equity: 1 }), /refusing an invalid snapshot \(checksum mismatch\)/);
  });
  assert.equal(existsSync(path.join(path.dirname(dir), 'escape.json')), false);
  assert.deepEqual(ls(dir), ['events.jsonl', 'final_report.json']);
});

test('a side file given as UTF-8 bytes in shared memory is written as those bytes', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    const page = '<p>equity 10000 → 10250 · 41,761 candles — ok</p>\n';
    const shared = new Uint8Array(new SharedArrayBuffer(4096));
    const n = Buffer.from(shared.buffer).write(page, 16);
    await c.writeFile('report.html', shared.subarray(16, 16 + n));
    assert.equal(readFileSync(path.join(dir, 'report.html'), 'utf8'), page);
  });
});

test('candles.csv is formatted by the worker from packed rows: open time in ms and ISO, OHLCV as given', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    const candles = [
      { ts: Date.UTC(2024, 11, 31, 23, 59), open: 96466.11, high: 96495.52, low: 96440, close: 96440, volume: 6.6158 },
      { ts: Date.UTC(2025, 0, 1, 0, 0), open: 0.1 + 0.2, high: 1e21, low: 1e-7, close: 5, volume: 0 },
      { ts: Date.UTC(2025, 0, 1, 0, 0, 5, 7), open: 1, high: 1, low: 1, close: 1, volume: 1 },
    ];
    const rows = new CandleRows(candles.length);
    for (const candle of candles) rows.push(candle);
    await c.writeCandlesCsv('candles.csv', rows.rows());
    assert.equal(
      readFileSync(path.join(dir, 'candles.csv'), 'utf8'),
      'ts,time,open,high,low,close,volume\n' +
        '1735689540000,2024-12-31T23:59:00.000Z,96466.11,96495.52,96440,96440,6.6158\n' +
        '1735689600000,2025-01-01T00:00:00.000Z,0.30000000000000004,1e+21,1e-7,5,0\n' +
        '1735689605007,2025-01-01T00:00:05.007Z,1,1,1,1,1\n',
    );
    await assert.rejects(c.writeCandlesCsv('state.json', rows.rows()), /refusing to write side file/);
  });
});

test('a side file handed over after a snapshot and appends lands after them (the end of a session does not wait)', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    void c.append([entry(1), entry(2)]);
    const snapshot = c.snapshot(snap(2));
    await c.writeFile('final_report.json', '{}\n');
    assert.equal(readFileSync(path.join(dir, 'events.jsonl'), 'utf8'), jsonl(1, 2), 'the journal first');
    assert.equal((JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as StateSnapshot).seq, 2, 'then the snapshot');
    await snapshot;
  });
});

test('candles.csv formatted ahead of its writing is the file of the rows written, even when they changed since', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    const rows = new CandleRows(2);
    rows.push({ ts: Date.UTC(2024, 11, 1), open: 96_000.5, high: 96_010, low: 95_990, close: 96_001, volume: 1.5 });
    await c.formatCandlesCsv(rows.rows());
    assert.equal(existsSync(path.join(dir, 'candles.csv')), false, 'formatting writes nothing');
    await c.writeCandlesCsv('candles.csv', rows.rows());
    const one = 'ts,time,open,high,low,close,volume\n1733011200000,2024-12-01T00:00:00.000Z,96000.5,96010,95990,96001,1.5\n';
    assert.equal(readFileSync(path.join(dir, 'candles.csv'), 'utf8'), one);
    await c.formatCandlesCsv(rows.rows());
    rows.push({ ts: Date.UTC(2024, 11, 1, 0, 1), open: 96_001, high: 96_001, low: 96_001, close: 96_001, volume: 0 });
    await c.writeCandlesCsv('candles.csv', rows.rows());
    assert.equal(readFileSync(path.join(dir, 'candles.csv'), 'utf8'), `${one}1733011260000,2024-12-01T00:01:00.000Z,96001,96001,96001,96001,0\n`);
  });
});

test('a second engine on the same dir is refused with a LockedError naming the dir', async () => {
  const dir = tmpDir();
  await withStore(dir, async () => {
    const other = new PersistenceClient();
    try {
      await assert.rejects(other.open({ dir, symbol: SYMBOL, backups: 3, balance: BALANCE, lockStaleMs: 2000 }), (e: unknown) => {
        assert.ok(isLockedError(e));
        assert.match((e as Error).message, new RegExp(`state directory ${dir} is locked`));
        return true;
      });
    } finally {
      await other.terminate();
    }
  });
});

test('a compromised lock stops all writes and is reported to the main thread', async () => {
  const dir = tmpDir();
  await withStore(dir, async (c) => {
    const compromised = once(c, 'compromised') as Promise<[string]>;
    // Another process "took" the lock: its mtime is no longer the one the holder last wrote.
    const past = new Date(Date.now() - 60_000);
    utimesSync(path.join(dir, 'state.json.lock'), past, past);
    const [message] = await compromised;
    assert.match(message, /state lock on .* was compromised/);
    await assert.rejects(c.snapshot(snap(1)), /compromised/);
    await assert.rejects(c.append([entry(1)]), /compromised/);
    await assert.rejects(c.writeFile('heartbeat.json', '{}'), /compromised/);
    const st = await c.status();
    assert.equal(st.locked, false);
    assert.match(st.lastError ?? '', /^state lock compromised/);
  });
  assert.equal(existsSync(path.join(dir, 'state.json')), false);
});

test('terminating the worker mid-call rejects the pending call instead of leaving it hanging', async () => {
  const dir = tmpDir();
  const held = await acquireStateLock(dir, () => {}, 2000); // the open below has to wait on it
  const c = new PersistenceClient();
  try {
    await c.status(); // the worker is up and serving
    const pending = c.open({ dir, symbol: SYMBOL, backups: 3, balance: BALANCE, lockStaleMs: 2000 });
    await c.terminate();
    await assert.rejects(pending, /^Error: persistence worker was terminated$/);
    await assert.rejects(c.status(), /persistence worker was terminated/);
  } finally {
    await held.release();
  }
});

test('a worker that dies unexpectedly fails pending and later calls and reports the crash', async () => {
  const dir = tmpDir();
  const held = await acquireStateLock(dir, () => {}, 2000);
  const c = new PersistenceClient();
  const faults: string[] = [];
  c.onFault((kind, message) => faults.push(`${kind}: ${message}`));
  try {
    await c.status();
    const pending = c.open({ dir, symbol: SYMBOL, backups: 3, balance: BALANCE, lockStaleMs: 2000 });
    // Kill the thread behind the client's back, as a fatal error inside it would.
    await (c as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await assert.rejects(pending, /^Error: persistence worker exited with code \d+$/);
    await assert.rejects(c.append([entry(1)]), /persistence worker exited with code \d+/);
    assert.equal(faults.length, 1);
    assert.match(faults[0]!, /^crashed: persistence worker exited with code \d+$/);
  } finally {
    await c.terminate();
    await held.release();
  }
});
