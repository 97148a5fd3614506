// A single-producer, single-consumer ring of frames in a SharedArrayBuffer (their text, or the records of their
// decoded form: frame-records.ts): one thread encodes a replay's frames while another trades on them, with no
// copy, message or socket in between. Each record is a 32-bit length and its bytes (ASCII text or a record),
// padded so that the next record starts 8-byte aligned (a record's numbers are read in place as float64); a
// length of -1 means "wrapped: continue at the start". A record is copied in from a frame's text, or written in
// place into a reserved one. Positions are byte counters modulo 2^32; the capacity is a power of two.
const HEADER_INTS = 8;
const WRITE = 0;
const READ = 1;
const DONE = 2;
/** Set while the reader waits for frames / the writer for room: only then does the other side notify (a notify costs). */
const READER_WAITING = 3;
const WRITER_WAITING = 4;
const WRAP = -1;

/** Node 20 has it; the ES2022 library types do not. */
interface AtomicsWithWaitAsync {
  waitAsync(ta: Int32Array, index: number, value: number, timeoutMs?: number): { async: boolean; value: Promise<unknown> | string };
}

/** Node's Buffer has it (write() with an encoding dispatches to it); its types do not. */
type LatinBuffer = Buffer & { latin1Write(text: string, offset: number, length: number): number };

/** Bytes a record of `len` takes: its length word and bytes, padded to a multiple of 8. */
function recordBytes(len: number): number {
  return (4 + len + 7) & ~7;
}

export function createFrameRing(capacity: number): SharedArrayBuffer {
  if (!(capacity >= 1024) || (capacity & (capacity - 1)) !== 0) throw new Error(`frame ring: capacity must be a power of two >= 1024, got ${capacity}`);
  return new SharedArrayBuffer(HEADER_INTS * 4 + capacity);
}

class RingView {
  protected readonly header: Int32Array;
  protected readonly ints: Int32Array;
  protected readonly bytes: Buffer;
  protected readonly cap: number;

  constructor(sab: SharedArrayBuffer) {
    this.header = new Int32Array(sab, 0, HEADER_INTS);
    this.cap = sab.byteLength - HEADER_INTS * 4;
    this.ints = new Int32Array(sab, HEADER_INTS * 4, this.cap / 4);
    this.bytes = Buffer.from(sab, HEADER_INTS * 4, this.cap);
  }
}

export class FrameRingWriter extends RingView {
  private w = 0;

  /** Where the reserved record's bytes start and the most they may take; -1 when none is reserved. */
  private reservedAt = -1;
  private reservedMax = 0;

  /** The ring's bytes, for writing a reserved record in place. */
  get buffer(): Uint8Array {
    return this.bytes;
  }

  /** The ring's capacity in bytes. */
  get capacity(): number {
    return this.cap;
  }

  /** Bytes written (published or not) that the reader has not taken yet. */
  get unread(): number {
    return (this.w - Atomics.load(this.header, READ)) >>> 0;
  }

  /** Append a frame; false when it does not fit until the reader catches up. */
  tryWrite(text: string): boolean {
    const off = this.reserve(text.length);
    if (off < 0) return false;
    (this.bytes as LatinBuffer).latin1Write(text, off, text.length);
    this.commit(text.length);
    return true;
  }

  /**
   * Room for a record of at most `maxLen` bytes, written in place: the offset in `buffer` to write its bytes
   * at, then `commit` their length; -1 when it does not fit until the reader catches up.
   */
  reserve(maxLen: number): number {
    const need = recordBytes(maxLen);
    if (need > this.cap / 2) throw new Error(`frame ring: a frame of ${maxLen} bytes does not fit`);
    const free = this.cap - ((this.w - Atomics.load(this.header, READ)) >>> 0);
    let off = this.w & (this.cap - 1);
    const tail = this.cap - off;
    if (need > tail) {
      if (tail + need > free) return -1;
      this.ints[off >> 2] = WRAP;
      this.w = (this.w + tail) >>> 0;
      off = 0;
    } else if (need > free) return -1;
    this.reservedAt = off;
    this.reservedMax = maxLen;
    return off + 4;
  }

  /** The reserved record is written: `len` bytes. */
  commit(len: number): void {
    const off = this.reservedAt;
    if (off < 0) throw new Error('frame ring: commit without a reserve');
    if (!(len >= 0 && len <= this.reservedMax)) throw new Error(`frame ring: a frame of ${len} bytes overran its reserve of ${this.reservedMax}`);
    this.reservedAt = -1;
    this.ints[off >> 2] = len;
    this.w = (this.w + recordBytes(len)) >>> 0;
  }

  /** Make what was written visible to the reader. */
  publish(): void {
    Atomics.store(this.header, WRITE, this.w | 0);
    if (Atomics.load(this.header, READER_WAITING) === 1) Atomics.notify(this.header, WRITE);
  }

  /** Block (a worker thread only) until the reader has taken something, or `timeoutMs` passed. */
  waitForReader(timeoutMs: number): void {
    const read = Atomics.load(this.header, READ);
    // The flag first: a read after it notifies; one before it changed READ, and the wait returns at once.
    Atomics.store(this.header, WRITER_WAITING, 1);
    Atomics.wait(this.header, READ, read, timeoutMs);
    Atomics.store(this.header, WRITER_WAITING, 0);
  }

  /** No more frames. */
  finish(): void {
    this.publish();
    Atomics.store(this.header, DONE, 1);
    Atomics.notify(this.header, WRITE);
  }
}

export class FrameRingReader extends RingView {
  private r = 0;

  /** All frames written (read or not). */
  get finished(): boolean {
    return Atomics.load(this.header, DONE) === 1;
  }

  /**
   * Hand up to `max` frames to `take` as views of the shared bytes (valid only during the call), then free
   * their space. Returns how many were taken.
   */
  read(max: number, take: (bytes: Buffer, start: number, end: number) => void): number {
    const w = Atomics.load(this.header, WRITE) >>> 0;
    let n = 0;
    while (this.r !== w && n < max) {
      const off = this.r & (this.cap - 1);
      const len = this.ints[off >> 2]!;
      if (len === WRAP) {
        this.r = (this.r + this.cap - off) >>> 0;
        continue;
      }
      take(this.bytes, off + 4, off + 4 + len);
      this.r = (this.r + recordBytes(len)) >>> 0;
      n++;
    }
    if (n > 0) {
      Atomics.store(this.header, READ, this.r | 0);
      if (Atomics.load(this.header, WRITER_WAITING) === 1) Atomics.notify(this.header, READ);
    }
    return n;
  }

  /** Resolves when the writer publishes more after what was read, or after `timeoutMs` (check `finished`). */
  whenWritten(timeoutMs: number): Promise<unknown> {
    // The flag first: a publish after it notifies; one before it changed WRITE, and the wait returns at once.
    Atomics.store(this.header, READER_WAITING, 1);
    const r = (Atomics as unknown as AtomicsWithWaitAsync).waitAsync(this.header, WRITE, this.r | 0, timeoutMs);
    const done = (): void => void Atomics.store(this.header, READER_WAITING, 0);
    if (!r.async) {
      done();
      return Promise.resolve();
    }
    return (r.value as Promise<unknown>).then(done);
  }
}
