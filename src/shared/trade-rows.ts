// Round trips from a run's journal (Fill/Exit paired by order id): the trade table of report.html and
// the per-trade figures of the final report both read them. Pure.
import type { JournalEntry } from './events.js';
import type { ExitReason, Side } from './types.js';

export interface TradeRow {
  orderId: string;
  /** null when the position was opened before this run (its entry is not in this run's journal). */
  side: Side | null;
  entryAt: number | null;
  /** Average over the entry fills (a working-order remainder adds to its parent). */
  entryPrice: number | null;
  qty: number;
  /** null while the position is still open at the end of the session. */
  exitAt: number | null;
  exitReason: ExitReason | null;
  exitPrice: number | null;
  /** Gross PnL of the exit (0 while open). */
  gross: number;
  /** Entry and exit fees of this run. */
  fees: number;
  /** Funding received (+) or paid (−) while the position was open. */
  funding: number;
  /** gross − fees + funding: the trade's contribution to realized equity. */
  net: number;
}

/**
 * Round trips from the run's journal, in entry order. Fills are keyed by order id; a working-order
 * remainder (`WorkingOrderPlaced.parentId`) adds to its parent; the Exit carries the position's order id.
 */
export function tradesFromJournal(entries: readonly JournalEntry[]): TradeRow[] {
  const book = new TradeBook();
  for (const e of entries) book.add(e);
  return [...book.rows];
}

/**
 * tradesFromJournal one entry at a time. With `keep`, a session of any length holds at most about that many rows:
 * past it the oldest closed rows are handed to `onDrop` (once they are final: a closed row never changes) and let go.
 */
export class TradeBook {
  private list: TradeRow[] = [];
  private readonly byId = new Map<string, TradeRow>();
  private readonly parentOf = new Map<string, string>();
  private open: TradeRow | null = null;
  /** Funding on a position carried over from a previous run, before its Exit. */
  private unattributedFunding = 0;

  constructor(
    private readonly keep = Infinity,
    private readonly onDrop: (rows: readonly TradeRow[]) => void = () => {},
  ) {}

  /** The rows kept, in entry order. */
  get rows(): readonly TradeRow[] {
    return this.list;
  }

  add(e: JournalEntry): void {
    switch (e.event) {
      case 'WorkingOrderPlaced':
        this.parentOf.set(e.order.id, e.order.parentId);
        break;
      case 'Fill': {
        const id = this.parentOf.get(e.orderId) ?? e.orderId;
        const existing = this.byId.get(id);
        if (existing && existing.exitAt === null && existing.side === e.side) {
          const qty = existing.qty + e.qty;
          existing.entryPrice = ((existing.entryPrice ?? e.price) * existing.qty + e.price * e.qty) / qty;
          existing.qty = qty;
          existing.fees += e.fee;
          settle(existing);
          break;
        }
        const row: TradeRow = {
          orderId: id,
          side: e.side,
          entryAt: e.at,
          entryPrice: e.price,
          qty: e.qty,
          exitAt: null,
          exitReason: null,
          exitPrice: null,
          gross: 0,
          fees: e.fee,
          funding: 0,
          net: 0,
        };
        settle(row);
        this.push(row);
        this.open = row;
        break;
      }
      case 'FundingApplied':
        if (this.open) {
          this.open.funding += e.amount;
          settle(this.open);
        } else this.unattributedFunding += e.amount;
        break;
      case 'Exit': {
        let row = this.byId.get(e.orderId);
        if (!row || row.exitAt !== null) {
          row = {
            orderId: e.orderId,
            side: null,
            entryAt: null,
            entryPrice: null,
            qty: e.qty,
            exitAt: null,
            exitReason: null,
            exitPrice: null,
            gross: 0,
            fees: 0,
            funding: this.unattributedFunding,
            net: 0,
          };
          this.unattributedFunding = 0;
          this.push(row);
        }
        row.exitAt = e.at;
        row.exitReason = e.reason;
        row.exitPrice = e.price;
        row.gross = e.pnl;
        row.fees += e.fee;
        settle(row);
        if (this.open === row) this.open = null;
        break;
      }
      default:
        break;
    }
  }

  private push(row: TradeRow): void {
    this.list.push(row);
    this.byId.set(row.orderId, row);
    if (this.list.length > this.keep) this.drop();
  }

  /** The oldest tenth of the rows, up to the first still open, handed on and forgotten (ids included). */
  private drop(): void {
    let n = 0;
    const most = Math.max(1, Math.floor(this.keep / 10));
    while (n < most && n < this.list.length && this.list[n]!.exitAt !== null) n++;
    if (n === 0) return;
    const gone = this.list.slice(0, n);
    this.list = this.list.slice(n);
    for (const r of gone) if (this.byId.get(r.orderId) === r) this.byId.delete(r.orderId);
    const ids = new Set(gone.map((r) => r.orderId));
    for (const [child, parent] of this.parentOf) if (ids.has(parent) && !this.byId.has(parent)) this.parentOf.delete(child);
    this.onDrop(gone);
  }
}

function settle(r: TradeRow): void {
  r.net = r.gross - r.fees + r.funding;
}
