// The tick ring: a SharedArrayBuffer the main thread writes every tick into and execution workers read the
// latest tick from, without messages or locks (docs/architecture.md). Single writer, many readers.
// Prices are Float64 and Atomics do not work on Float64Array, so each slot has its own seqlock counter
// (odd = being written); a reader retries until it copies a slot whose counter was even and unchanged
// around the copy, so it never returns a torn tick (docs/node-traps.md §7, measured there).
// One refinement over the notes' reader: the counter must also be the value the published tick left (2 × the
// slot's lap), not just even. Otherwise a reader can copy a lapped slot that is stable but not yet published
// and then, on its next read, return the older published tick: ts going backwards (seen in the worker test).
//
// Layout (byte offsets):
//   [0, 64)                 BigInt64 head = ticks published so far, alone in its cache line (never wraps)
//   [64, 128)               Int32 header: magic, capacity, fields per slot (lets a worker attach and check)
//   [128, 128 + 4·CAP)      Int32 slotSeq[CAP], one seqlock per slot
//   [dataOff, + 8·CAP·F)    Float64 data[CAP·F], dataOff rounded up to 64
// Slot for tick n (1-based count) is (n - 1) & (CAP - 1).

/** Fields per slot, in order. */
const TS = 0;
const BID = 1;
const ASK = 2;
const LAST = 3;
const RECV = 4;
const F = 5;

const MAGIC = 0x7469636b; // 'tick'
const HEADER_OFF = 64;
const SEQ_OFF = 128;

function dataOffset(capacity: number): number {
  return Math.ceil((SEQ_OFF + 4 * capacity) / 64) * 64;
}

export interface RingTick {
  ts: number;
  bid: number;
  ask: number;
  last: number;
  /** Wall ms when the frame arrived (tick age = processing time − recvTime). */
  recvTime: number;
}

export class TickRing {
  readonly buffer: SharedArrayBuffer;
  private readonly head: BigInt64Array;
  private readonly slotSeq: Int32Array;
  private readonly data: Float64Array;
  private readonly mask: number;
  /** Writer-side copy of the head; only meaningful in the (single) writing thread. */
  private written: number;

  /** Allocate a ring in the writer (main thread). `capacity` must be a power of 2. */
  static allocate(capacity = 1024): TickRing {
    if (!Number.isInteger(capacity) || capacity < 2 || (capacity & (capacity - 1)) !== 0) {
      throw new Error(`tick ring: capacity must be a power of 2 >= 2, got ${capacity}`);
    }
    const sab = new SharedArrayBuffer(dataOffset(capacity) + 8 * F * capacity);
    const header = new Int32Array(sab, HEADER_OFF, 3);
    header[0] = MAGIC;
    header[1] = capacity;
    header[2] = F;
    return new TickRing(sab);
  }

  /** Attach to a ring allocated elsewhere (a worker receives `buffer` via workerData). */
  constructor(sab: SharedArrayBuffer) {
    const header = new Int32Array(sab, HEADER_OFF, 3);
    const capacity = header[1];
    if (header[0] !== MAGIC || header[2] !== F || sab.byteLength !== dataOffset(capacity) + 8 * F * capacity) {
      throw new Error('tick ring: buffer is not a tick ring (bad header or size)');
    }
    this.buffer = sab;
    this.head = new BigInt64Array(sab, 0, 1);
    this.slotSeq = new Int32Array(sab, SEQ_OFF, capacity);
    this.data = new Float64Array(sab, dataOffset(capacity), capacity * F);
    this.mask = capacity - 1;
    this.written = Number(Atomics.load(this.head, 0));
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /** Ticks written since allocate. */
  get count(): number {
    return Number(Atomics.load(this.head, 0));
  }

  /**
   * Publish one tick. Writer thread only. No object allocation apart from the head's BigInt (V8 has no
   * small-integer BigInts), which is short-lived.
   */
  write(ts: number, bid: number, ask: number, last: number, recvTime: number): void {
    const n = this.written + 1;
    const i = (n - 1) & this.mask;
    const s = this.slotSeq[i];
    Atomics.store(this.slotSeq, i, s + 1); // odd: readers of this slot must retry
    const o = i * F;
    const d = this.data;
    d[o + TS] = ts;
    d[o + BID] = bid;
    d[o + ASK] = ask;
    d[o + LAST] = last;
    d[o + RECV] = recvTime;
    Atomics.store(this.slotSeq, i, s + 2); // even again: slot stable
    this.written = n;
    Atomics.store(this.head, 0, BigInt(n)); // publish after the slot is stable
  }

  /**
   * Read the latest consistent tick into `out` (length ≥ 5: ts, bid, ask, last, recvTime) without creating
   * objects (only the transient BigInt of the head load). Returns false when no tick was ever written.
   * Retries while the writer is mid-write in that slot or has lapped it since the head was read.
   */
  readLatest(out: Float64Array): boolean {
    const d = this.data;
    for (;;) {
      const n = Atomics.load(this.head, 0);
      if (n === 0n) return false;
      const count = Number(n);
      const i = (count - 1) & this.mask;
      // Tick `count` is the k-th write into its slot, k = floor((count-1)/CAP) + 1, leaving seq = 2k (Int32 wrap).
      // Any other value means the writer is rewriting the slot or already lapped it; a lapped slot may even be
      // stable before the head says so, and returning it would let a later read go back in time. Retry.
      const expected = (2 * (Math.floor((count - 1) / this.capacity) + 1)) | 0;
      const s1 = Atomics.load(this.slotSeq, i);
      if (s1 !== expected) continue;
      const o = i * F;
      out[0] = d[o + TS];
      out[1] = d[o + BID];
      out[2] = d[o + ASK];
      out[3] = d[o + LAST];
      out[4] = d[o + RECV];
      if (Atomics.load(this.slotSeq, i) === s1) return true;
    }
  }

  /** Latest consistent tick, or null if none was ever written. Never returns a torn tick. */
  latest(): RingTick | null {
    const out = new Float64Array(F);
    if (!this.readLatest(out)) return null;
    return { ts: out[0], bid: out[1], ask: out[2], last: out[3], recvTime: out[4] };
  }
}
