// The replay's top-of-book size: a plausible, slowly varying quantity that needs no random state. It is on
// every book push of a replay (millions of them), so it is computed without Math.sin's slow path for large
// arguments, and gives exactly the value of the plain formula.

const PERIOD = 7919;
/** 2π split in two: HI has 24 significant bits, so n·HI is exact for |n| < 2^29; LO carries the rest of 2π. */
const TWO_PI_HI = Math.fround(2 * Math.PI);
const TWO_PI_LO = 2 * Math.PI - TWO_PI_HI + 2.4492935982947064e-16;
/** Below this |x| the reduction above is exact to about 1e-14 (n < 2^29 with room to spare). */
const REDUCE_MAX = 1e9;
/** A size this close to a half step of the 1e-4 grid is rounded from Math.sin itself. */
const MARGIN = 1e-6;

/** Size (base coin) on side 0 (bid) or 1 (ask) at market time `ts`. */
export function bookQty(ts: number, side: number): number {
  const x = ts / PERIOD + side * 1.7;
  if (x < REDUCE_MAX && x > -REDUCE_MAX) {
    // sin(x) = sin(x - 2πn): a small argument takes Math.sin's fast path. The result differs from sin(x) by
    // far less than MARGIN / 2.5e4, so unless the size lies near a rounding boundary it rounds the same.
    const n = Math.round(x / (2 * Math.PI));
    const y = (0.5 + 2.5 * Math.abs(Math.sin(x - n * TWO_PI_HI - n * TWO_PI_LO))) * 1e4;
    const f = y - Math.floor(y);
    if (f < 0.5 - MARGIN || f > 0.5 + MARGIN) return Math.round(y) / 1e4;
  }
  return Math.round((0.5 + 2.5 * Math.abs(Math.sin(x))) * 1e4) / 1e4;
}
