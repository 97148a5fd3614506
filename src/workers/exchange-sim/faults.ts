// The simulator's faults and the one place they are parsed: as JSON (the control endpoint, worker
// messages) and as `SEC:KIND[=ARG]` (sim.js --fault-at).

/** Faults for resilience tests. New kinds extend this union, `parseSimFault` and the switch in `inject`. */
export type SimFault =
  | { kind: 'drop' }
  | { kind: 'refuse'; ms: number }
  | { kind: 'silence'; ms: number }
  | { kind: 'garbage'; count: number }
  | { kind: 'oversized' }
  /**
   * No kline pushes for the candles of the next `minutes` market minutes (REST still has them). With
   * `restLow`, REST serves those candles corrupt: their low is `restLow` (a history with a low of 1).
   */
  | { kind: 'skipKlines'; minutes: number; restLow?: number }
  /** These raw text frames are sent to every client at once, as they are (hostile or malformed frames). */
  | { kind: 'inject'; frames: string[] }
  /**
   * book/trade pushes at `ratePerSec` frames per second per client for `seconds`, then back to normal (the
   * normal book/trade pushes of the flooded symbols pause meanwhile). Prices follow `floodBid`: a triangle
   * wave around `base` (default: the bid when the flood starts) whose first leg goes to base + `swing`
   * (default -5 USD). `symbol` limits it to one symbol's subscribers.
   */
  | { kind: 'flood'; ratePerSec: number; seconds: number; symbol?: string; base?: number; swing?: number }
  /** The simulated price jumps by `bps` basis points at once (a gap through a stop). */
  | { kind: 'jump'; bps: number }
  /**
   * The simulated price jumps by `bps` and comes back by the same factor `ms` wall ms later: an excursion
   * that only the candles' high/low still show once it is over (a stop crossed while a client was blind).
   */
  | { kind: 'excursion'; bps: number; ms: number };

const jumpBps = (x: number): boolean => x > -5000 && x < 5000 && x !== 0;
const JUMP_BPS_RULE = 'a non-zero number in (-5000, 5000)';

/** A SimFault from untrusted JSON (the control endpoint); throws saying what is wrong. */
export function parseSimFault(v: unknown): SimFault {
  if (typeof v !== 'object' || v === null) throw new Error('fault must be a JSON object');
  const o = v as Record<string, unknown>;
  const n = (k: string, ok: (x: number) => boolean, rule: string): number => {
    const x = o[k];
    if (typeof x !== 'number' || !ok(x)) throw new Error(`fault ${String(o.kind)}: '${k}' must be ${rule}, got ${JSON.stringify(x)}`);
    return x;
  };
  const int1 = (x: number): boolean => Number.isInteger(x) && x >= 1 && x <= 1_000_000;
  switch (o.kind) {
    case 'drop':
    case 'oversized':
      return { kind: o.kind };
    case 'refuse':
    case 'silence':
      return { kind: o.kind, ms: n('ms', (x) => x >= 0 && x <= 86_400_000, 'ms 0-86400000') };
    case 'garbage':
      return { kind: 'garbage', count: n('count', int1, 'an integer >= 1') };
    case 'skipKlines': {
      const f: Extract<SimFault, { kind: 'skipKlines' }> = { kind: 'skipKlines', minutes: n('minutes', int1, 'an integer >= 1') };
      if (o.restLow !== undefined) f.restLow = n('restLow', (x) => x > 0 && x < 1e9, 'a price in (0, 1e9)');
      return f;
    }
    case 'inject': {
      const frames = o.frames;
      if (!Array.isArray(frames) || frames.length === 0 || frames.length > 1000 || !frames.every((x) => typeof x === 'string')) {
        throw new Error(`fault inject: 'frames' must be an array of 1-1000 strings`);
      }
      return { kind: 'inject', frames: [...(frames as string[])] };
    }
    case 'jump':
      return { kind: 'jump', bps: n('bps', jumpBps, JUMP_BPS_RULE) };
    case 'excursion':
      return { kind: 'excursion', bps: n('bps', jumpBps, JUMP_BPS_RULE), ms: n('ms', (x) => x > 0 && x <= 3_600_000, 'ms in (0, 3600000]') };
    case 'flood': {
      const f: Extract<SimFault, { kind: 'flood' }> = {
        kind: 'flood',
        ratePerSec: n('ratePerSec', (x) => x > 0 && x <= 10_000_000, 'a number in (0, 1e7]'),
        seconds: n('seconds', (x) => x > 0 && x <= 3600, 'a number in (0, 3600]'),
      };
      if (o.symbol !== undefined) {
        if (typeof o.symbol !== 'string' || !/^[A-Za-z0-9]{2,30}$/.test(o.symbol)) throw new Error(`fault flood: 'symbol' must be a symbol like BTCUSDT`);
        f.symbol = o.symbol.toUpperCase();
      }
      if (o.base !== undefined) f.base = n('base', (x) => x > 0 && x < 1e9, 'a price in (0, 1e9)');
      if (o.swing !== undefined) f.swing = n('swing', (x) => x !== 0 && Math.abs(x) <= 1e6, 'a non-zero number of USD within ±1e6');
      return f;
    }
    default:
      throw new Error(`unknown fault kind ${JSON.stringify(o.kind)} (drop refuse silence garbage oversized skipKlines inject flood jump excursion)`);
  }
}

export interface ScheduledFault {
  atSec: number;
  fault: SimFault;
}

const POSITIVE = /^\d+(\.\d+)?$/;
const INTEGER = /^[1-9]\d*$/;

/** `SEC:KIND[=ARG]` → when and what; throws a one-line message. */
export function parseFaultAt(spec: string): ScheduledFault {
  const m = /^([^:]+):([a-z-]+)(?:=(.*))?$/.exec(spec);
  if (m === null) throw new Error(`--fault-at '${spec}' is not SEC:KIND[=ARG]`);
  const [, at, kind, arg] = m as unknown as [string, string, string, string | undefined];
  if (!POSITIVE.test(at)) throw new Error(`--fault-at '${spec}': time must be seconds >= 0, got '${at}'`);
  const need = (re: RegExp, what: string): string => {
    if (arg === undefined || !re.test(arg)) throw new Error(`--fault-at '${spec}': ${kind} needs =${what}`);
    return arg;
  };
  const none = (): void => {
    if (arg !== undefined) throw new Error(`--fault-at '${spec}': ${kind} takes no argument`);
  };
  let fault: SimFault;
  switch (kind) {
    case 'drop':
      none();
      fault = { kind: 'drop' };
      break;
    case 'oversized':
      none();
      fault = { kind: 'oversized' };
      break;
    case 'refuse':
    case 'silence':
      fault = { kind, ms: Math.round(Number(need(POSITIVE, 'SECONDS')) * 1000) };
      break;
    case 'garbage':
      fault = { kind: 'garbage', count: Number(need(INTEGER, 'COUNT (integer >= 1)')) };
      break;
    case 'skip-klines':
      fault = { kind: 'skipKlines', minutes: Number(need(INTEGER, 'MINUTES (integer >= 1)')) };
      break;
    case 'flood': {
      const [rate, secs] = need(/^\d+(\.\d+)?x\d+(\.\d+)?$/, 'RATExSECONDS, e.g. 50000x5')
        .split('x')
        .map(Number) as [number, number];
      if (!(rate > 0) || !(secs > 0)) throw new Error(`--fault-at '${spec}': flood rate and seconds must be > 0`);
      fault = { kind: 'flood', ratePerSec: rate, seconds: secs };
      break;
    }
    case 'jump': {
      const bps = Number(need(/^-?\d+(\.\d+)?$/, 'BPS (a non-zero number of basis points)'));
      if (bps === 0 || Math.abs(bps) >= 5000) throw new Error(`--fault-at '${spec}': jump must be non-zero and within ±5000 bps`);
      fault = { kind: 'jump', bps };
      break;
    }
    case 'excursion': {
      const [bps, secs] = need(/^-?\d+(\.\d+)?x\d+(\.\d+)?$/, 'BPSxSECONDS, e.g. -300x8')
        .split('x')
        .map(Number) as [number, number];
      if (bps === 0 || Math.abs(bps) >= 5000 || !(secs > 0))
        throw new Error(`--fault-at '${spec}': excursion must be non-zero within ±5000 bps, for seconds > 0`);
      fault = { kind: 'excursion', bps, ms: Math.round(secs * 1000) };
      break;
    }
    default:
      throw new Error(`--fault-at '${spec}': unknown fault '${kind}' (drop refuse silence garbage oversized skip-klines flood jump excursion)`);
  }
  // The JSON rules bound every value too, so both spellings accept the same faults.
  try {
    return { atSec: Number(at), fault: parseSimFault(fault) };
  } catch (e) {
    throw new Error(`--fault-at '${spec}': ${e instanceof Error ? e.message : String(e)}`);
  }
}
