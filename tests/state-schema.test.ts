// state.json is trusted only when its shape and checksum hold; journal lines only when seq/ts/event hold.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { StateSnapshot } from '../src/shared/types.js';
import { canonicalJson, sealSnapshot, snapshotChecksum, validateJournalEntry, validateSnapshot } from '../src/shared/state-schema.js';

function body(over: Partial<StateSnapshot> = {}): Omit<StateSnapshot, 'checksum'> {
  return {
    version: 1,
    symbol: 'BTCUSDT',
    seq: 42,
    savedAt: 1_717_000_000_000,
    equity: 10_012.5,
    startingEquity: 10_000,
    position: {
      orderId: 'o-7',
      side: 'LONG',
      entry: 67_000,
      qty: 0.01,
      sl: 66_500,
      tp: 68_000,
      openedAt: 1_716_999_000_000,
      entryFee: 0.402,
      riskDistance: 500,
      best: 67_100,
      trailActive: false,
    },
    workingOrders: [{ id: 'o-7w', parentId: 'o-7', side: 'LONG', qty: 0.002, limitPrice: 67_050, createdAt: 1_716_999_000_000 }],
    processedOrderIds: ['o-6', 'o-7'],
    lastEntryAt: 1_716_999_000_000,
    recentOrderTimes: [1_716_999_000_000],
    breaker: {
      day: '2024-05-29',
      dayStartEquity: 10_000,
      peakEquity: 10_020,
      consecutiveLosses: 1,
      tripped: false,
      reason: null,
      trippedAt: null,
    },
    lastFundingTime: null,
    stats: { trades: 3, wins: 2, fees: 1.2, realizedPnl: 13.7, funding: 0 },
    ...over,
  };
}

/** A sealed snapshot with one field replaced afterwards (the checksum no longer covers it). */
function tampered(field: string, value: unknown): unknown {
  return { ...sealSnapshot(body()), [field]: value };
}

test('canonical JSON sorts keys at every depth and keeps array order', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x' } }), '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}');
  assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
});

test('the checksum is sha256 of the canonical body and ignores key order and the checksum field', () => {
  const s = sealSnapshot(body());
  const { checksum, ...rest } = s;
  assert.equal(checksum, createHash('sha256').update(canonicalJson(rest)).digest('hex'));
  const reordered = Object.fromEntries(Object.entries(rest).reverse()) as Omit<StateSnapshot, 'checksum'>;
  assert.equal(snapshotChecksum(reordered), checksum);
  assert.equal(snapshotChecksum(s), checksum);
  // Resealing replaces a stale checksum.
  assert.equal(sealSnapshot({ ...s, checksum: 'f'.repeat(64) } as StateSnapshot).checksum, checksum);
});

test('a sealed snapshot is valid, also after a JSON round trip', () => {
  const s = sealSnapshot(body());
  assert.equal(validateSnapshot(s), null);
  assert.equal(validateSnapshot(JSON.parse(JSON.stringify(s))), null);
  assert.equal(validateSnapshot(sealSnapshot(body({ position: null, workingOrders: [] }))), null);
});

test('a changed value with the old checksum is a checksum mismatch', () => {
  assert.equal(validateSnapshot(tampered('equity', 10_013.5)), 'checksum mismatch');
  assert.equal(validateSnapshot(tampered('seq', 43)), 'checksum mismatch');
  assert.equal(validateSnapshot(tampered('processedOrderIds', ['o-6'])), 'checksum mismatch');
});

test('each malformed field is named in the reason', () => {
  assert.equal(validateSnapshot(null), 'not an object');
  assert.equal(validateSnapshot([1]), 'not an object');
  assert.equal(validateSnapshot('{}'), 'not an object');
  assert.equal(validateSnapshot(tampered('version', 2)), 'version: expected 1, got 2');
  assert.equal(validateSnapshot(tampered('symbol', '')), 'symbol: expected non-empty string');
  assert.equal(validateSnapshot(tampered('seq', -1)), 'seq: expected non-negative integer');
  assert.equal(validateSnapshot(tampered('seq', 1.5)), 'seq: expected non-negative integer');
  assert.equal(validateSnapshot(tampered('equity', '10000')), 'equity: expected finite number');
  assert.equal(validateSnapshot(sealSnapshot(body({ equity: Number.NaN }))), 'equity: expected finite number');
  assert.equal(validateSnapshot(sealSnapshot(body({ equity: Number.POSITIVE_INFINITY }))), 'equity: expected finite number');
  assert.equal(validateSnapshot(tampered('checksum', 'abc')), 'checksum: expected sha256 hex string');
  assert.equal(validateSnapshot(tampered('position', 'LONG')), 'position: expected object or null');
  const pos = body().position!;
  assert.equal(validateSnapshot(tampered('position', { ...pos, side: 'UP' })), "position.side: expected 'LONG' or 'SHORT'");
  assert.equal(validateSnapshot(tampered('position', { ...pos, qty: 0 })), 'position.qty: expected positive finite number');
  const { best: _b, ...noBest } = pos;
  assert.equal(validateSnapshot(tampered('position', noBest)), 'position.best: expected finite number');
  assert.equal(validateSnapshot(tampered('workingOrders', {})), 'workingOrders: expected array');
  assert.equal(validateSnapshot(tampered('workingOrders', [{ ...body().workingOrders[0]!, qty: '1' }])), 'workingOrders[0].qty: expected finite number');
  assert.equal(validateSnapshot(tampered('processedOrderIds', [1])), 'processedOrderIds: expected array of strings');
  assert.equal(validateSnapshot(tampered('recentOrderTimes', [null])), 'recentOrderTimes: expected array of finite numbers');
  assert.equal(validateSnapshot(tampered('breaker', undefined)), 'breaker: expected object');
  assert.equal(validateSnapshot(tampered('breaker', { ...body().breaker, tripped: 'no' })), 'breaker.tripped: expected boolean');
  assert.equal(validateSnapshot(tampered('stats', { ...body().stats, trades: 2.5 })), 'stats.trades: expected non-negative integer');
  assert.equal(validateSnapshot(tampered('lastFundingTime', 'soon')), 'lastFundingTime: expected finite number or null');
});

test('a journal position is optional, and when present it is an offset, a length and a sha256', () => {
  const at = { offset: 1_204, bytes: 96, sha256: 'a'.repeat(64) };
  assert.equal(validateSnapshot(sealSnapshot(body({ journalAt: at }))), null);
  assert.equal(validateSnapshot(sealSnapshot(body({ journalAt: { ...at, offset: -1 } }))), 'journalAt.offset: expected non-negative integer');
  assert.equal(validateSnapshot(sealSnapshot(body({ journalAt: { ...at, bytes: 0 } }))), 'journalAt.bytes: expected positive integer');
  assert.equal(validateSnapshot(sealSnapshot(body({ journalAt: { ...at, sha256: 'xyz' } }))), 'journalAt.sha256: expected sha256 hex string');
  assert.equal(validateSnapshot(tampered('journalAt', 'line 7')), 'journalAt: expected object');
  assert.equal(validateSnapshot(tampered('journalAt', at)), 'checksum mismatch', 'the checksum covers the position');
});

test('journal entries need an integer seq >= 1, a finite ts and an event name', () => {
  assert.equal(validateJournalEntry({ seq: 1, ts: 1_717_000_000_000, event: 'SessionStart' }), null);
  assert.equal(validateJournalEntry({ seq: 7, ts: 0, event: 'Fill', orderId: 'o-1' }), null);
  assert.equal(validateJournalEntry(null), 'not an object');
  assert.equal(validateJournalEntry([]), 'not an object');
  assert.equal(validateJournalEntry({ seq: 0, ts: 1, event: 'Fill' }), 'seq: expected integer >= 1');
  assert.equal(validateJournalEntry({ seq: 2.5, ts: 1, event: 'Fill' }), 'seq: expected integer >= 1');
  assert.equal(validateJournalEntry({ seq: '3', ts: 1, event: 'Fill' }), 'seq: expected integer >= 1');
  assert.equal(validateJournalEntry({ seq: 3, ts: Number.POSITIVE_INFINITY, event: 'Fill' }), 'ts: expected finite number');
  assert.equal(validateJournalEntry({ seq: 3, ts: 1 }), 'event: expected non-empty string');
});

test('funding owed at a settlement survives in the snapshot: valid when well-formed, named when not', () => {
  const due = { fundingTime: 1_716_998_400_000, side: 'LONG' as const, qty: 0.01, markPrice: 67_010 };
  const s = sealSnapshot(body({ fundingDue: [due] }));
  assert.equal(validateSnapshot(JSON.parse(JSON.stringify(s))), null);
  assert.deepEqual((JSON.parse(JSON.stringify(s)) as StateSnapshot).fundingDue, [due]);
  assert.equal(validateSnapshot(tampered('fundingDue', {})), 'fundingDue: expected array');
  assert.equal(validateSnapshot(tampered('fundingDue', [{ ...due, qty: 0 }])), 'fundingDue[0].qty: expected positive finite number');
  assert.equal(validateSnapshot(tampered('fundingDue', [{ ...due, side: 'UP' }])), "fundingDue[0].side: expected 'LONG' or 'SHORT'");
});
