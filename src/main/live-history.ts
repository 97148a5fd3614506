// The samples replayed to a live page that connects mid-session, kept as numbers in typed-array columns (about
// 58 bytes a sample, fixed at the start) and turned into event-stream text only when a page connects.
import { ColumnRing, StringCodes } from '../shared/column-ring.js';

/** One point of the live page, published once per heartbeat. */
export interface LiveSample {
  ts: number;
  status: string;
  price: number | null;
  position: { side: string; qty: number; entry: number } | null;
  /** Realized equity; the curve plots equity + unrealized. */
  equity: number;
  unrealized: number;
}

type Column = 'ts' | 'status' | 'price' | 'side' | 'qty' | 'entry' | 'equity' | 'unrealized';

/** The event-stream message of one sample: only the fields the page reads, whatever else the position holds. */
export function liveEvent(s: LiveSample): string {
  const p = s.position;
  const sample: LiveSample = {
    ts: s.ts,
    status: s.status,
    price: s.price,
    position: p ? { side: p.side, qty: p.qty, entry: p.entry } : null,
    equity: s.equity,
    unrealized: s.unrealized,
  };
  return `data: ${JSON.stringify(sample)}\n\n`;
}

export class LiveHistory {
  private readonly ring: ColumnRing<Column>;
  private readonly statuses = new StringCodes();
  /** Side codes are 1-based: 0 stands for flat. */
  private readonly sides = new StringCodes();

  constructor(capacity: number) {
    this.ring = new ColumnRing<Column>(capacity, {
      ts: 'f64',
      status: 'u8',
      price: 'f64',
      side: 'u8',
      qty: 'f64',
      entry: 'f64',
      equity: 'f64',
      unrealized: 'f64',
    });
  }

  push(s: LiveSample): void {
    const p = s.position;
    this.ring.push({
      ts: s.ts,
      status: this.statuses.codeOf(s.status),
      price: s.price ?? Number.NaN,
      side: p ? this.sides.codeOf(p.side) + 1 : 0,
      qty: p ? p.qty : 0,
      entry: p ? p.entry : 0,
      equity: s.equity,
      unrealized: s.unrealized,
    });
  }

  get size(): number {
    return this.ring.size;
  }

  get bytes(): number {
    return this.ring.bytes;
  }

  /** Every sample kept, oldest first, as the event-stream text a connecting page is sent. */
  text(): string {
    const r = this.ring;
    const parts: string[] = [];
    for (let i = 0; i < r.size; i++) {
      const side = r.get(i, 'side');
      const price = r.get(i, 'price');
      parts.push(
        liveEvent({
          ts: r.get(i, 'ts'),
          status: this.statuses.stringOf(r.get(i, 'status')),
          price: Number.isNaN(price) ? null : price,
          position: side === 0 ? null : { side: this.sides.stringOf(side - 1), qty: r.get(i, 'qty'), entry: r.get(i, 'entry') },
          equity: r.get(i, 'equity'),
          unrealized: r.get(i, 'unrealized'),
        }),
      );
    }
    return parts.join('');
  }
}
