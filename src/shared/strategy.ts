// The strategy contract: built-in and plugin strategies see the closed candles and a small context
// and return a Signal or null. Plugins are untrusted code, so both the module shape and every returned signal
// are validated here before the engine acts on them.
import type { Candle, Position, Signal } from './types.js';
import { ok, refused, type Result } from './result.js';

export interface StrategyContext {
  symbol: string;
  /** Current equity in the quote coin. */
  equity: number;
  position: Position | null;
  intervalMs: number;
  /** Monotonic count of closed candles seen this session; unlike candles.length it never plateaus. */
  barIndex: number;
}

export interface Strategy {
  name: string;
  /** Called on each closed candle with the last N closed candles, oldest first. */
  onCandle(candles: Candle[], ctx: StrategyContext): Signal | null;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x !== 'object') return typeof x;
  const keys = Object.keys(x);
  return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 5).join(', ')}`;
}

/** Return `x` as a Strategy, or throw a one-line Error saying what is wrong. */
export function validateStrategy(x: unknown): Strategy {
  if (typeof x !== 'object' || x === null) {
    throw new Error(`default export must be {name: string, onCandle: function}, got ${describe(x)}`);
  }
  const s = x as { name?: unknown; onCandle?: unknown };
  if (typeof s.name !== 'string' || s.name.length === 0) {
    throw new Error(`default export must be {name: string, onCandle: function}: name is ${describe(s.name)}`);
  }
  if (typeof s.onCandle !== 'function') {
    throw new Error(`default export must be {name: string, onCandle: function}: onCandle is ${describe(s.onCandle)}`);
  }
  return x as Strategy;
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0;
}

/**
 * Check what a strategy returned: null/undefined → null (no trade); a valid signal → a clean copy
 * `{side, sl?, tp?}`; anything else → refused, saying why it is invalid (the engine counts an error, no trade).
 */
export function validateSignal(x: unknown): Result<Signal | null, string> {
  if (x === null || x === undefined) return ok(null);
  if (typeof x !== 'object' || Array.isArray(x)) return refused(`signal must be an object or null, got ${describe(x)}`);
  const s = x as { side?: unknown; sl?: unknown; tp?: unknown };
  if (s.side !== 'LONG' && s.side !== 'SHORT') return refused(`signal side must be LONG or SHORT, got ${String(s.side)}`);
  const out: Signal = { side: s.side };
  if (s.sl !== undefined) {
    if (!isPrice(s.sl)) return refused(`signal sl must be a finite positive price, got ${String(s.sl)}`);
    out.sl = s.sl;
  }
  if (s.tp !== undefined) {
    if (!isPrice(s.tp)) return refused(`signal tp must be a finite positive price, got ${String(s.tp)}`);
    out.tp = s.tp;
  }
  if (out.sl !== undefined && out.tp !== undefined) {
    // Whatever the entry, a LONG's stop is below its target and a SHORT's above.
    if (out.side === 'LONG' ? out.sl >= out.tp : out.sl <= out.tp) {
      return refused(`signal ${out.side} has sl ${out.sl} on the wrong side of tp ${out.tp}`);
    }
  }
  return ok(out);
}
