// A live session runs for months: V8 is told to favour small heaps over speed. After each major collection V8
// lets the old generation grow past what survived before it collects again: in its default mode by a factor of up
// to 4 and at least 8 MB, so a steady engine's RSS saws by 7-8 MB between collections and the committed heap
// ratchets up; in the small-heap mode by at most 1.3 (at least 2 MB). Measured in BENCHMARKS.md (the soak). A
// replay runs for seconds at full speed and keeps the default.
import { setFlagsFromString } from 'node:v8';
import type { FeedKind } from '../shared/events.js';

/** Switches the process's heaps to the small mode unless the feed is a replay; returns whether it did. */
export function favourSmallHeaps(feed: FeedKind): boolean {
  if (feed === 'replay') return false;
  setFlagsFromString('--optimize-for-size');
  return true;
}
