// What the market can fill: a share of the latest closed candle's volume, refreshed by every close the
// engine sees (live, seeded or backfilled). Fills take from it until the next close; an entry is capped
// to it, and what it cannot take rests as a working order. Session-local: no event carries it.
import type { BrokerConfig } from './broker-config.js';
import { baseQty, qtyFromBase } from './pricing.js';
import type { Candle } from './types.js';

export class CandleLiquidity {
  /** Volume (base coin) of the newest closed candle seen; null until one arrives. */
  private lastVolume: number | null = null;
  private lastVolumeTs = -Infinity;
  /** Base coin still available until the next close: what fills took since then is gone. */
  private left = Infinity;

  constructor(private readonly cfg: Pick<BrokerConfig, 'kind' | 'liquidityFraction'>) {}

  /** A closed candle, already checked: only a newer one than the last replaces the volume. */
  noteClose(candle: Candle): void {
    if (!(candle.ts > this.lastVolumeTs)) return;
    this.lastVolumeTs = candle.ts;
    this.lastVolume = candle.volume;
    this.left = candle.volume > 0 ? this.cfg.liquidityFraction * candle.volume : Infinity;
  }

  /** One entry takes at most liquidityFraction × the latest closed candle's volume; no known volume, no cap. */
  cap(qty: number, price: number): number {
    if (this.lastVolume === null || !(this.lastVolume > 0)) return qty;
    const maxBase = this.cfg.liquidityFraction * this.lastVolume;
    if (baseQty(this.cfg.kind, qty, price) <= maxBase) return qty;
    return qtyFromBase(this.cfg.kind, maxBase, price);
  }

  /** What fills took from the latest candle's liquidity: a remainder waits for the next close. */
  use(qty: number, price: number): void {
    this.left = Math.max(0, this.left - baseQty(this.cfg.kind, qty, price));
  }

  /**
   * The quantity still fillable at `price`, or null when nothing is: no candle known yet (after a restart,
   * not before the seeded history says what the market trades) or this candle's share used up.
   */
  room(price: number): number | null {
    if (this.lastVolume === null || !(this.left > 0)) return null;
    return qtyFromBase(this.cfg.kind, this.left, price);
  }
}
