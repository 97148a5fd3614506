// Restoring a run: what was loaded (snapshot + journal tail folded into the broker state) is journaled and logged,
// and the time the engine was not running becomes a blind span from the market time the saved state reached.
import type { EngineEvent } from '../../shared/events.js';
import type { BrokerState } from '../../shared/types.js';
import type { Logger } from '../logger.js';
import type { LoadResult } from '../state-store.js';
import type { TradingCore } from '../trading/trading-core.js';

/** The newest market time any saved decision carries (0 for a fresh state). */
function decidedMarketTs(st: BrokerState): number {
  return Math.max(st.lastEntryAt ?? 0, st.position?.openedAt ?? 0, ...st.recentOrderTimes, st.lastFundingTime ?? 0);
}

/**
 * Where a restart's blind span begins: the market time the snapshot saw, or (older files) the newest market
 * time any saved decision carries, and never before a journaled event replayed on top of it.
 */
export function savedMarketTs(loaded: LoadResult, st: BrokerState): number {
  let ts = loaded.snapshot?.marketTs ?? decidedMarketTs(st);
  if (loaded.replayedAt !== null && loaded.replayedAt > ts) ts = loaded.replayedAt;
  return ts;
}

/**
 * The accelerated simulator's market clock runs ahead of the wall clock; after a restart it must not start
 * before the market time the saved state already reached, or the same candles (and order ids) would come round.
 */
export function simStartTs(st: BrokerState, wallNow: number, intervalMs: number): number {
  const seen = decidedMarketTs(st);
  return Math.max(wallNow, seen > 0 ? seen + intervalMs : 0);
}

/** The journal lines and log lines that say what a start found (after SessionStart). */
export function recordLoaded(loaded: LoadResult, record: (e: EngineEvent) => void, log: Logger): void {
  for (const file of loaded.quarantined) record({ event: 'StateQuarantined', file });
  if (loaded.journalTruncated) {
    log.warn({ bytes: loaded.journalTruncated.bytes }, 'journal: torn last line truncated');
  }
  for (const w of loaded.warnings) log.warn(w);
  record({
    event: 'StateLoaded',
    source: loaded.source,
    snapshotSeq: loaded.snapshot?.seq ?? 0,
    lastSeq: loaded.lastSeq,
    replayed: loaded.replayed,
    journalRead: loaded.journalRead,
  });
  const state = loaded.state;
  log.info({ source: loaded.source, equity: state.equity, position: state.position, replayed: loaded.replayed }, `state loaded from ${loaded.source}`);
}

/**
 * The time the engine was not running is a blind span: from the market time the saved state reached to the
 * first tick now, with what the last run saw of its newest minute. A replay has no outside market to have missed.
 */
export function startOfRunSpan(loaded: LoadResult, core: TradingCore, isReplay: boolean): void {
  if (!core.broker.state.position || isReplay) return;
  if (loaded.snapshot?.seenMinute) core.restoreSeenMinute(loaded.snapshot.seenMinute);
  core.blind('restart', savedMarketTs(loaded, core.broker.state));
}
