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
  const rows: TradeRow[] = [];
  const byId = new Map<string, TradeRow>();
  const parentOf = new Map<string, string>();
  let open: TradeRow | null = null;
  let unattributedFunding = 0; // funding on a position carried over from a previous run, before its Exit
  const settle = (r: TradeRow): void => {
    r.net = r.gross - r.fees + r.funding;
  };
  for (const e of entries) {
    switch (e.event) {
      case 'WorkingOrderPlaced':
        parentOf.set(e.order.id, e.order.parentId);
        break;
      case 'Fill': {
        const id = parentOf.get(e.orderId) ?? e.orderId;
        const existing = byId.get(id);
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
        rows.push(row);
        byId.set(id, row);
        open = row;
        break;
      }
      case 'FundingApplied':
        if (open) {
          open.funding += e.amount;
          settle(open);
        } else unattributedFunding += e.amount;
        break;
      case 'Exit': {
        let row = byId.get(e.orderId);
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
            funding: unattributedFunding,
            net: 0,
          };
          unattributedFunding = 0;
          rows.push(row);
          byId.set(e.orderId, row);
        }
        row.exitAt = e.at;
        row.exitReason = e.reason;
        row.exitPrice = e.price;
        row.gross = e.pnl;
        row.fees += e.fee;
        settle(row);
        if (open === row) open = null;
        break;
      }
      default:
        break;
    }
  }
  return rows;
}
