// The flood fault: book/trade frames far faster than the normal pushes, on a price pattern a load test
// can recompute frame by frame (floodBid, FloodRecord).
import { bookHead, encodeBook, encodeTrade, tradeHead } from '../../shared/bitunix/index.js';
import { bookQty } from '../../shared/replay-tape.js';
import type { Client, Sub } from './clients.js';
import type { SimFault } from './faults.js';
import { toTick, type SymbolMarket } from './market.js';
import type { FloodRecord } from './types.js';
import { textFrame } from './ws-frames.js';

/** Flood frames per client per event-loop turn. */
const FLOOD_BATCH = 4096;
const DEFAULT_FLOOD_SWING = -5;
/** Floods kept for GET /sim/flood, and ts-log entries kept per flood. */
const FLOOD_RECORDS = 64;
const FLOOD_TS_LOG_MAX = 200_000;

/** What a flood needs of the simulator. */
export interface FloodHost {
  readonly clients: ReadonlySet<Client>;
  marketNow(): number;
  /** False for a client that is closing, silenced, or too far behind (conflated). */
  canSend(c: Client): boolean;
  isStopped(): boolean;
  countSent(n: number): void;
  /** `n` book/trade frames of `symbol` went to one client. */
  countTicks(symbol: string, n: number): void;
}

/** The floods running and the recent ones, as GET /sim/flood reports them. */
export class Floods {
  private running = 0;
  private floodTs = 0;
  /** Running floods per market: its normal book/trade pushes pause meanwhile. */
  private readonly flooded = new Map<SymbolMarket, number>();
  private readonly records: FloodRecord[] = [];
  private lastId = 0;

  constructor(private readonly host: FloodHost) {}

  get active(): boolean {
    return this.running > 0;
  }

  /** Whether a flood is running on this market (its normal book/trade pushes pause). */
  floods(m: SymbolMarket): boolean {
    return this.flooded.has(m);
  }

  /** The floods after id `since` (0 = all kept). */
  since(since: number): FloodRecord[] {
    return this.records.filter((r) => r.id > since);
  }

  /**
   * Pushes book/trade frames (rotating over each client's book and trade subscriptions of the flooded
   * symbols) at `ratePerSec` per client, in batches per event-loop turn, each batch of ready-made frames
   * written at once, so the sim outruns any one client (one `ws.send` per frame measured about 3x slower).
   * Prices follow `floodBid`, ts is market time, never decreasing, and every frame is recorded well enough
   * to be recomputed (FloodRecord). A client that cannot keep up is conflated like any slow consumer
   * (whole batches dropped above its send limit).
   * Stops by itself after `seconds`.
   */
  start(f: Extract<SimFault, { kind: 'flood' }>, all: Iterable<SymbolMarket>): void {
    const markets = [...all].filter((m) => f.symbol === undefined || m.symbol === f.symbol);
    if (markets.length === 0) return;
    const swing = f.swing ?? DEFAULT_FLOOD_SWING;
    const frames = new Map<SymbolMarket, FloodFrames>();
    const bases: Record<string, number> = {};
    for (const m of markets) {
      const base = toTick(f.base ?? m.tick.bid);
      // Encoded ahead (a wide sweep is ~10k frames), so no batch stalls on it and ts is when frames are written.
      const ff = new FloodFrames(m.symbol, base, swing);
      ff.warm();
      frames.set(m, ff);
      bases[m.symbol] = base;
      this.flooded.set(m, (this.flooded.get(m) ?? 0) + 1);
    }
    const total = Math.round(f.ratePerSec * f.seconds);
    const t0 = Date.now();
    const rec: FloodRecord = {
      id: ++this.lastId,
      symbol: f.symbol ?? null,
      ratePerSec: f.ratePerSec,
      seconds: f.seconds,
      swing,
      bases,
      startedAt: t0,
      endedAt: null,
      sent: 0,
      conflated: 0,
      drops: [],
      rotation: [],
      tsLog: [],
      tsLogTruncated: false,
    };
    this.records.push(rec);
    if (this.records.length > FLOOD_RECORDS) this.records.shift();
    let done = 0;
    this.running++;
    const end = (): void => {
      this.running--;
      for (const m of markets) {
        const left = this.flooded.get(m)! - 1;
        if (left > 0) this.flooded.set(m, left);
        else this.flooded.delete(m);
      }
      rec.endedAt = Date.now();
    };
    const pump = (): void => {
      if (this.host.isStopped()) return end();
      const now = Date.now(); // one reading per turn: at the deadline, every frame due is sent
      const due = Math.min(total, Math.floor(((now - t0) * f.ratePerSec) / 1000));
      const n = Math.min(due - done, FLOOD_BATCH);
      if (n > 0) this.batch(rec, frames, done, n);
      done += n;
      // Bounded by time as well: a sender that fell behind does not run over (the rate is then lower).
      if (done >= total || now >= t0 + f.seconds * 1000) return end();
      if (due > done) setImmediate(pump);
      else setTimeout(pump, 1);
    };
    setImmediate(pump);
  }

  private batch(rec: FloodRecord, frames: Map<SymbolMarket, FloodFrames>, k0: number, n: number): void {
    this.floodTs = Math.max(this.floodTs, this.host.marketNow());
    const ts = this.floodTs;
    const log = rec.tsLog;
    if (log.length === 0 || log[log.length - 1] !== ts) {
      if (log.length < FLOOD_TS_LOG_MAX) log.push(k0, ts);
      else rec.tsLogTruncated = true;
    }
    const iso = new Date(ts).toISOString();
    for (const c of this.host.clients) {
      const subs: Sub[] = [];
      for (const s of c.subs.values()) if ((s.kind === 'book' || s.kind === 'trade') && frames.has(s.market)) subs.push(s);
      if (subs.length === 0) continue;
      if (rec.rotation.length === 0) rec.rotation = subs.map((s) => s.kind as 'book' | 'trade');
      if (!this.host.canSend(c)) {
        rec.conflated += n;
        if (rec.drops.length < FLOOD_TS_LOG_MAX) rec.drops.push(k0, n);
        else rec.tsLogTruncated = true;
        continue;
      }
      const parts: Buffer[] = new Array<Buffer>(n);
      let size = 0;
      for (let i = 0; i < n; i++) {
        const k = k0 + i;
        const s = subs[k % subs.length]!;
        const f = frames.get(s.market)!.frame(s.kind === 'book', k, ts, iso);
        parts[i] = f;
        size += f.length;
      }
      // One write of whole frames framed by ws itself. It is safe between ws's own sends: without
      // compression (off on this server) ws writes each message synchronously, never part of one.
      c.socket.write(Buffer.concat(parts, size));
      this.host.countSent(n);
      rec.sent += n;
      const len = subs.length;
      for (let i = 0; i < len; i++) {
        // sub i got the frames k in [k0, k0 + n) with k % len === i; the first of them is k0 + d
        const d = (i - (k0 % len) + len) % len;
        if (d < n) this.host.countTicks(subs[i]!.market.symbol, Math.floor((n - d - 1) / len) + 1);
      }
    }
  }
}

const FLOOD_STEP = 0.1;

/**
 * The flood's bid for frame k (ask = bid + 0.1): a triangle wave on the 0.1 price grid, one step per frame,
 * starting at `base`, first to base + swing, then to base - swing, then back to base (period 4·|swing|/0.1
 * frames). Exported so a load test can recompute every frame a flood sent.
 */
export function floodBid(base: number, swing: number, k: number): number {
  const h = Math.max(1, Math.round(Math.abs(swing) / FLOOD_STEP));
  const p = k % (4 * h);
  const u = p <= h ? p : p <= 3 * h ? 2 * h - p : p - 4 * h;
  return toTick(base + Math.sign(swing) * u * FLOOD_STEP);
}

/**
 * One symbol's flood frames, byte for byte what encodeBook/encodeTrade produce: the part after `ts` (and
 * the trade's time) is encoded once per position in the pattern's period, the head once per ts.
 */
class FloodFrames {
  private readonly period: number;
  private readonly tails: [Array<Buffer | undefined>, Array<Buffer | undefined>];
  private headTs = -1;
  private heads: [Buffer, Buffer] = [Buffer.alloc(0), Buffer.alloc(0)];
  private readonly whole: [Array<Buffer | undefined>, Array<Buffer | undefined>];

  constructor(
    private readonly symbol: string,
    private readonly base: number,
    private readonly swing: number,
  ) {
    this.period = 4 * Math.max(1, Math.round(Math.abs(swing) / FLOOD_STEP));
    this.tails = [new Array<Buffer | undefined>(this.period), new Array<Buffer | undefined>(this.period)];
    this.whole = [new Array<Buffer | undefined>(this.period), new Array<Buffer | undefined>(this.period)];
  }

  /** Frame k of this flood at market time ts (`iso` its ISO form), as a whole WebSocket frame. */
  frame(book: boolean, k: number, ts: number, iso: string): Buffer {
    const head = this.head(book, ts, iso);
    const cache = this.whole[book ? 1 : 0];
    const p = k % this.period;
    let f = cache[p];
    if (f === undefined) {
      f = textFrame(Buffer.concat([head, this.tail(book, k)]));
      cache[p] = f;
    }
    return f;
  }

  private head(book: boolean, ts: number, iso: string): Buffer {
    if (ts !== this.headTs) {
      this.headTs = ts;
      this.whole[0].fill(undefined);
      this.whole[1].fill(undefined);
      this.heads = [Buffer.from(tradeHead(this.symbol, ts, iso), 'latin1'), Buffer.from(bookHead(this.symbol, ts), 'latin1')];
    }
    return this.heads[book ? 1 : 0];
  }

  /** Encode the whole period, both kinds, ahead of use. */
  warm(): void {
    for (let k = 0; k < this.period; k++) {
      this.tail(true, k);
      this.tail(false, k);
    }
  }

  private tail(book: boolean, k: number): Buffer {
    const p = k % this.period;
    const cache = this.tails[book ? 1 : 0];
    let t = cache[p];
    if (t === undefined) {
      const bid = floodBid(this.base, this.swing, p);
      const ask = toTick(bid + FLOOD_STEP);
      // Encoded at ts 0 by the codec itself, then cut after the head, so the frame is exactly the codec's.
      const full = book
        ? encodeBook(this.symbol, 0, bid, ask, bookQty(p, 0), bookQty(p, 1))
        : encodeTrade(this.symbol, 0, p % 2 === 0 ? ask : bid, Math.round((0.001 + (p % 7) * 0.01) * 1e4) / 1e4, p % 2 === 0 ? 'buy' : 'sell');
      const head0 = book ? bookHead(this.symbol, 0) : tradeHead(this.symbol, 0, new Date(0).toISOString());
      if (!full.startsWith(head0)) throw new Error('flood: the codec frame layout changed');
      t = Buffer.from(full.slice(head0.length), 'latin1');
      cache[p] = t;
    }
    return t;
  }
}
