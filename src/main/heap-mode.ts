// A live session runs for months: V8 is told to favour small heaps over speed. In its default mode V8 lets the
// old generation grow by a fixed 8 MB step past what survived the last major collection before it collects
// again, so a steady engine's RSS saws by about 8 MB (and the committed heap ratchets up) between collections;
// in this mode the step is 2 MB and the collector gives pages back. Measured in BENCHMARKS.md (the soak). A replay
// runs for seconds at full speed and keeps the default.
import { setFlagsFromString } from 'node:v8';
import type { FeedKind } from '../shared/events.js';

/** Switches the process's heaps to the small mode unless the feed is a replay; returns whether it did. */
export function favourSmallHeaps(feed: FeedKind): boolean {
  if (feed === 'replay') return false;
  setFlagsFromString('--optimize-for-size');
  return true;
}
