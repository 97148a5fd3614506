// Blind spans: stretches of market time the engine did not see tick by tick (docs/reliability.md). Whatever
// made it blind (a disconnect, refused reconnects, a half-open socket until the idle timeout noticed, stale
// data, a suspended process, a missing candle, the time the engine was not running), a span runs from the
// market time of the last tick seen to the first tick after, and is recovered the same way: the 1-minute
// candles overlapping it are fetched and the open position's exits are judged on what the engine did not see.
// Pure bookkeeping: no I/O, no timers; the caller passes market times in.
import type { Candle, Tick } from './types.js';

export type BlindCause = 'disconnect' | 'stale' | 'suspended' | 'restart' | 'gap';

export interface BlindSpan {
  /** Market time of the last tick seen before the span (exclusive). */
  fromTs: number;
  /** Market time of the first tick seen after it. */
  toTs: number;
  /** Every cause that contributed, in the order they were noticed. */
  causes: BlindCause[];
}

/** The granularity spans are recovered at: the finest candle the exchange serves. */
export const SPAN_CANDLE_MS = 60_000;
/** Per-minute extremes kept for judging partly seen candles (older minutes count as unseen). */
const SEEN_MINUTES_KEPT = 120;

/** Open time of the 1-minute candle holding `ts`. */
export const minuteOf = (ts: number): number => Math.floor(ts / SPAN_CANDLE_MS) * SPAN_CANDLE_MS;

/** What the engine saw of one minute, tick by tick: the extremes of the trade prices. */
export interface SeenMinute {
  high: number;
  low: number;
}

/**
 * The extremes of the prices seen live in each recent minute. A fetched candle's high or low beyond these
 * happened while the engine was blind; within them, the tick checks already judged it.
 */
export class SeenPrices {
  private readonly minutes = new Map<number, SeenMinute>();
  private current = Number.NaN;
  private currentMinute: SeenMinute | null = null;

  /**
   * Called for every trusted tick with the lowest and highest price it shows (bid or last, ask or last): the
   * tick checks judged those, so a candle's extremes within them were seen. O(1) unless the minute changes.
   */
  observe(ts: number, low: number, high: number): void {
    if (!(low > 0) || !(high >= low)) return;
    const m = ts >= this.current && ts < this.current + SPAN_CANDLE_MS && this.currentMinute !== null ? this.currentMinute : this.enter(ts, low, high);
    if (high > m.high) m.high = high;
    if (low < m.low) m.low = low;
  }

  /**
   * observe() of a tick, its prices read here: a double passed to a call that is not inlined is a number allocated
   * per tick (these small bodies are; the change of minute is out of line, in `enter`).
   */
  observeTick(t: Tick): void {
    this.observe(t.ts, Math.min(t.last, t.bid), Math.max(t.last, t.ask));
  }

  /** The minute of `ts` becomes the current one (made with these prices when it is new). */
  private enter(ts: number, low: number, high: number): SeenMinute {
    const b = minuteOf(ts);
    let m = this.minutes.get(b);
    if (!m) {
      m = { high, low };
      this.minutes.set(b, m);
      if (this.minutes.size > SEEN_MINUTES_KEPT) this.minutes.delete(this.minutes.keys().next().value as number);
    }
    this.current = b;
    this.currentMinute = m;
    return m;
  }

  /** The newest minute seen, for a snapshot (a restart seeds it back with `restore`). */
  newest(): (SeenMinute & { ts: number }) | null {
    return this.currentMinute === null ? null : { ts: this.current, ...this.currentMinute };
  }

  restore(m: { ts: number; high: number; low: number }): void {
    this.observe(m.ts, m.low, m.high);
  }

  /** The extremes seen in the minute starting at `bucket`, or null when none were (or they were dropped). */
  minute(bucket: number): SeenMinute | null {
    return this.minutes.get(bucket) ?? null;
  }
}

/**
 * The spans noticed so far. `begin` opens blindness at the last market time seen (a later cause joins the open
 * span); `resume` closes it at the first tick after. Closed spans wait in `pending` until recovered; spans that
 * overlap or touch are merged, so a candle is judged once.
 */
export class BlindSpanTracker {
  private open: { fromTs: number; causes: BlindCause[] } | null = null;
  private waiting: BlindSpan[] = [];

  /** True from `begin` until every span is recovered: no new entries, no strategy decisions meanwhile. */
  get blind(): boolean {
    return this.open !== null || this.waiting.length > 0;
  }

  /** True while no tick has been seen since blindness began. */
  get isOpen(): boolean {
    return this.open !== null;
  }

  /** Spans closed but not yet recovered, merged, oldest first. */
  get pending(): readonly BlindSpan[] {
    return this.waiting;
  }

  /** Blindness began; `lastSeenTs` is the market time of the last tick seen (0 when none: nothing to judge). */
  begin(cause: BlindCause, lastSeenTs: number): void {
    if (this.open) {
      if (!this.open.causes.includes(cause)) this.open.causes.push(cause);
      if (lastSeenTs > 0) this.open.fromTs = this.open.fromTs > 0 ? Math.min(this.open.fromTs, lastSeenTs) : lastSeenTs;
      return;
    }
    this.open = { fromTs: lastSeenTs, causes: [cause] };
  }

  /** The first tick after blindness: closes the open span at `ts`. Returns it (merged), or null if none was open. */
  resume(ts: number): BlindSpan | null {
    const o = this.open;
    if (!o) return null;
    this.open = null;
    if (!(ts > o.fromTs) || o.fromTs <= 0) return null; // nothing seen before, or time did not move: nothing missed
    return this.add({ fromTs: o.fromTs, toTs: ts, causes: o.causes }) ?? null;
  }

  /**
   * A span whose ends are both known (a missing candle). Returns the pending span it became part of, or null when
   * a pending span already covers it (nothing new to judge or journal).
   */
  add(span: BlindSpan): BlindSpan | null {
    if (this.waiting.some((w) => w.fromTs <= span.fromTs && span.toTs <= w.toTs)) return null;
    let merged: BlindSpan = { fromTs: span.fromTs, toTs: span.toTs, causes: [...span.causes] };
    const rest: BlindSpan[] = [];
    for (const w of this.waiting) {
      if (w.toTs < merged.fromTs || w.fromTs > merged.toTs) rest.push(w);
      else merged = mergeSpans(w, merged);
    }
    rest.push(merged);
    rest.sort((a, b) => a.fromTs - b.fromTs);
    this.waiting = rest;
    return merged;
  }

  /** These spans were recovered: they stop blocking entries. A span merged into a larger one meanwhile stays. */
  recovered(spans: readonly BlindSpan[]): void {
    this.waiting = this.waiting.filter((w) => !spans.some((s) => s.fromTs <= w.fromTs && w.toTs <= s.toTs));
  }
}

function mergeSpans(a: BlindSpan, b: BlindSpan): BlindSpan {
  const causes = [...a.causes];
  for (const c of b.causes) if (!causes.includes(c)) causes.push(c);
  return { fromTs: Math.min(a.fromTs, b.fromTs), toTs: Math.max(a.toTs, b.toTs), causes };
}

/** Open times of the 1-minute candles overlapping a span, the forming one included. */
export function spanMinutes(span: Pick<BlindSpan, 'fromTs' | 'toTs'>): number[] {
  const out: number[] = [];
  for (let b = minuteOf(span.fromTs); b <= minuteOf(span.toTs); b += SPAN_CANDLE_MS) out.push(b);
  return out;
}

/**
 * What the engine did not see of a fetched candle: the part of its range beyond the extremes seen live in that
 * minute (the whole candle when nothing of it was seen). `open` is the candle's open when its first trade fell
 * inside the span (a gap through a level fills there), or null when the engine saw how the minute began.
 * Returns null when nothing of the candle was unseen.
 */
export interface UnseenRange {
  ts: number;
  high: number | null;
  low: number | null;
  open: number | null;
}

export function unseenRange(candle: Candle, span: Pick<BlindSpan, 'fromTs' | 'toTs'>, seen: SeenMinute | null): UnseenRange | null {
  const start = candle.ts;
  if (start + SPAN_CANDLE_MS <= span.fromTs || start > span.toTs) return null;
  const openUnseen = start > span.fromTs;
  if (seen === null) return { ts: start, high: candle.high, low: candle.low, open: openUnseen ? candle.open : null };
  const high = candle.high > seen.high ? candle.high : null;
  const low = candle.low < seen.low ? candle.low : null;
  if (high === null && low === null) return null;
  return { ts: start, high, low, open: openUnseen ? candle.open : null };
}
