// The state.json schema (docs/contracts.md): a checksum over a canonical JSON form, and validators that say in one
// line why a snapshot or a journal line is unusable. The loader trusts nothing it reads from disk: a file
// that parses but was hand-edited, half-written or written by another version must be refused, not loaded.
import { createHash } from 'node:crypto';
import type { BrokerState, StateSnapshot } from './types.js';

/** Canonical JSON: object keys sorted at every depth, so the checksum does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    if (obj[key] === undefined) continue; // JSON.stringify drops undefined fields; so do we
    parts.push(`${JSON.stringify(key)}:${canonicalJson(obj[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/** sha256 (hex) of the canonical JSON of the snapshot without its `checksum` field. */
export function snapshotChecksum(s: Omit<StateSnapshot, 'checksum'>): string {
  const { checksum: _ignored, ...body } = s as Omit<StateSnapshot, 'checksum'> & { checksum?: string };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The broker state a snapshot holds, without its envelope (what the journal folds to). */
export function brokerStateOf(s: StateSnapshot): BrokerState {
  const { version: _v, symbol: _s, seq: _q, savedAt: _a, checksum: _c, marketTs: _m, seenMinute: _n, journalAt: _j, ...broker } = s;
  return broker;
}

/** The snapshot with its checksum (re)computed. */
export function sealSnapshot(s: Omit<StateSnapshot, 'checksum'>): StateSnapshot {
  const { checksum: _old, ...body } = s as Omit<StateSnapshot, 'checksum'> & { checksum?: string };
  return { ...body, checksum: snapshotChecksum(body) };
}

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isFiniteNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isSide = (x: unknown): boolean => x === 'LONG' || x === 'SHORT';

/** First failing check among `checks` on object `o` (field → predicate), as 'prefix.field: expected what'. */
function checkFields(o: Obj, prefix: string, checks: Record<string, [(v: unknown) => boolean, string]>): string | null {
  for (const [field, [ok, what]] of Object.entries(checks)) {
    if (!ok(o[field])) return `${prefix}${field}: expected ${what}`;
  }
  return null;
}

const num: [(v: unknown) => boolean, string] = [isFiniteNum, 'finite number'];
const numOrNull: [(v: unknown) => boolean, string] = [(v) => v === null || isFiniteNum(v), 'finite number or null'];
const str: [(v: unknown) => boolean, string] = [(v) => typeof v === 'string', 'string'];
const side: [(v: unknown) => boolean, string] = [isSide, "'LONG' or 'SHORT'"];
const bool: [(v: unknown) => boolean, string] = [(v) => typeof v === 'boolean', 'boolean'];

function validatePosition(p: unknown): string | null {
  if (p === null) return null;
  if (!isObj(p)) return 'position: expected object or null';
  return checkFields(p, 'position.', {
    orderId: str,
    side,
    entry: num,
    qty: [(v) => isFiniteNum(v) && v > 0, 'positive finite number'],
    sl: num,
    tp: num,
    openedAt: num,
    entryFee: num,
    riskDistance: num,
    best: num,
    trailActive: bool,
  });
}

function validateWorkingOrder(w: unknown, i: number): string | null {
  if (!isObj(w)) return `workingOrders[${i}]: expected object`;
  return checkFields(w, `workingOrders[${i}].`, {
    id: str,
    parentId: str,
    side,
    qty: num,
    limitPrice: num,
    createdAt: num,
  });
}

/** Optional: absent when no settlement is waiting for its rate. */
function validateFundingDue(d: unknown): string | null {
  if (d === undefined) return null;
  if (!Array.isArray(d)) return 'fundingDue: expected array';
  for (let i = 0; i < d.length; i++) {
    const x: unknown = d[i];
    if (!isObj(x)) return `fundingDue[${i}]: expected object`;
    const err = checkFields(x, `fundingDue[${i}].`, {
      fundingTime: num,
      side,
      qty: [(v) => isFiniteNum(v) && v > 0, 'positive finite number'],
      markPrice: [(v) => isFiniteNum(v) && v > 0, 'positive finite number'],
    });
    if (err) return err;
  }
  return null;
}

function validateBreaker(b: unknown): string | null {
  if (!isObj(b)) return 'breaker: expected object';
  return checkFields(b, 'breaker.', {
    day: str,
    dayStartEquity: num,
    peakEquity: num,
    consecutiveLosses: [(v) => Number.isInteger(v) && (v as number) >= 0, 'non-negative integer'],
    tripped: bool,
    reason: [(v) => v === null || typeof v === 'string', 'string or null'],
    trippedAt: numOrNull,
  });
}

function validateJournalPosition(p: unknown): string | null {
  if (p === undefined) return null;
  if (!isObj(p)) return 'journalAt: expected object';
  return checkFields(p, 'journalAt.', {
    offset: [(v) => Number.isSafeInteger(v) && (v as number) >= 0, 'non-negative integer'],
    bytes: [(v) => Number.isSafeInteger(v) && (v as number) >= 1, 'positive integer'],
    sha256: [(v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), 'sha256 hex string'],
  });
}

/** null when `x` is a usable state.json of this version; otherwise a one-line reason. */
export function validateSnapshot(x: unknown): string | null {
  if (!isObj(x)) return 'not an object';
  if (x.version !== 1) return `version: expected 1, got ${JSON.stringify(x.version) ?? 'undefined'}`;
  const top = checkFields(x, '', {
    symbol: [(v) => typeof v === 'string' && v.length > 0, 'non-empty string'],
    seq: [(v) => Number.isInteger(v) && (v as number) >= 0, 'non-negative integer'],
    savedAt: num,
    equity: num,
    startingEquity: num,
    lastEntryAt: numOrNull,
    lastFundingTime: numOrNull,
    checksum: [(v) => typeof v === 'string' && /^[0-9a-f]{64}$/.test(v), 'sha256 hex string'],
  });
  if (top) return top;
  if (x.marketTs !== undefined && !(typeof x.marketTs === 'number' && Number.isFinite(x.marketTs))) return 'marketTs: not a finite number';
  if (x.seenMinute !== undefined) {
    const m = x.seenMinute as Obj | null;
    if (typeof m !== 'object' || m === null || ![m.ts, m.high, m.low].every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return 'seenMinute: must be {ts, high, low} numbers';
    }
  }
  const pos = validatePosition(x.position);
  if (pos) return pos;
  if (!Array.isArray(x.workingOrders)) return 'workingOrders: expected array';
  for (let i = 0; i < x.workingOrders.length; i++) {
    const err = validateWorkingOrder(x.workingOrders[i], i);
    if (err) return err;
  }
  if (!Array.isArray(x.processedOrderIds) || !x.processedOrderIds.every((v) => typeof v === 'string')) {
    return 'processedOrderIds: expected array of strings';
  }
  if (!Array.isArray(x.recentOrderTimes) || !x.recentOrderTimes.every(isFiniteNum)) {
    return 'recentOrderTimes: expected array of finite numbers';
  }
  const at = validateJournalPosition(x.journalAt);
  if (at) return at;
  const breaker = validateBreaker(x.breaker);
  if (breaker) return breaker;
  const due = validateFundingDue(x.fundingDue);
  if (due) return due;
  if (!isObj(x.stats)) return 'stats: expected object';
  const stats = checkFields(x.stats, 'stats.', {
    trades: [(v) => Number.isInteger(v) && (v as number) >= 0, 'non-negative integer'],
    wins: [(v) => Number.isInteger(v) && (v as number) >= 0, 'non-negative integer'],
    fees: num,
    realizedPnl: num,
    funding: num,
  });
  if (stats) return stats;
  // Last: a well-formed file whose content does not match its checksum was edited or torn mid-value.
  if (snapshotChecksum(x as unknown as StateSnapshot) !== x.checksum) return 'checksum mismatch';
  return null;
}

/** null when `x` is a journal line `{seq, ts, event, ...}`; otherwise a one-line reason. */
export function validateJournalEntry(x: unknown): string | null {
  if (!isObj(x)) return 'not an object';
  if (!Number.isInteger(x.seq) || (x.seq as number) < 1) return 'seq: expected integer >= 1';
  if (!isFiniteNum(x.ts)) return 'ts: expected finite number';
  if (typeof x.event !== 'string' || x.event.length === 0) return 'event: expected non-empty string';
  return null;
}
