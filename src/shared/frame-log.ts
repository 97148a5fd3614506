// The frame log written by --record and read by --feed replay: JSON lines inside gzip, one file per symbol,
// session and UTC hour of receive time. Every file starts with a header line, so a file describes itself.
// Lines (docs/frame-log.md):
//   {"frameLog":1,"symbol":..,"interval":..,"feed":..,"maxFutureMs":..,"engine":..,"sessionStart":..}
//   {"t":<recv ms>,"ws":"<frame text as received>"}
//   {"t":<recv ms>,"rest":"<path?query>","body":"<response body>"}
//   {"t":<recv ms>,"open":"<ws url>"}  /  {"t":<recv ms>,"down":"<reason>"}
export const FRAME_LOG_VERSION = 1;
export const FRAME_LOG_SUFFIX = '.frames.jsonl.gz';
const HOUR_MS = 3_600_000;

export interface FrameLogHeader {
  frameLog: number;
  symbol: string;
  interval: string;
  /** The feed the session recorded (bitunix, sim, replay). */
  feed: string;
  /** How far ahead of the receive time a frame could be before the live decoder called it bad (null: no limit). */
  maxFutureMs: number | null;
  engine: string;
  /** Wall ms the recording session started: files of one session share it. */
  sessionStart: number;
}

export type FrameLogEntry =
  | { kind: 'ws'; t: number; text: string }
  | { kind: 'rest'; t: number; path: string; body: string }
  | { kind: 'open'; t: number; url: string }
  | { kind: 'down'; t: number; reason: string };

/** The kinds of item the recorder buffers, flat in batches: [t, kind, text, path|null]. */
export const ITEM_WS = 0;
export const ITEM_REST = 1;
export const ITEM_OPEN = 2;
export const ITEM_DOWN = 3;
export type ItemKind = typeof ITEM_WS | typeof ITEM_REST | typeof ITEM_OPEN | typeof ITEM_DOWN;

export function encodeHeader(h: FrameLogHeader): string {
  return `${JSON.stringify(h)}\n`;
}

/** One line of the log (with its newline) for a buffered item. */
export function encodeItem(t: number, kind: ItemKind, text: string, path: string | null): string {
  switch (kind) {
    case ITEM_WS:
      return `{"t":${t},"ws":${JSON.stringify(text)}}\n`;
    case ITEM_REST:
      return `{"t":${t},"rest":${JSON.stringify(path ?? '')},"body":${JSON.stringify(text)}}\n`;
    case ITEM_OPEN:
      return `{"t":${t},"open":${JSON.stringify(text)}}\n`;
    default:
      return `{"t":${t},"down":${JSON.stringify(text)}}\n`;
  }
}

/** The header of a frame log line, or null when the line is not one. */
export function parseHeader(line: string): FrameLogHeader | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const h = v as Record<string, unknown>;
  if (typeof h.frameLog !== 'number' || typeof h.symbol !== 'string' || typeof h.interval !== 'string') return null;
  return {
    frameLog: h.frameLog,
    symbol: h.symbol,
    interval: h.interval,
    feed: typeof h.feed === 'string' ? h.feed : 'unknown',
    maxFutureMs: typeof h.maxFutureMs === 'number' ? h.maxFutureMs : null,
    engine: typeof h.engine === 'string' ? h.engine : 'unknown',
    sessionStart: typeof h.sessionStart === 'number' ? h.sessionStart : 0,
  };
}

/** An entry line; a header (of an appended session) is null too. Throws on a line that is neither. */
export function parseEntry(line: string): FrameLogEntry | null {
  const v = JSON.parse(line) as Record<string, unknown>;
  if (typeof v !== 'object' || v === null) throw new Error('frame log: a line is not an object');
  if (typeof v.frameLog === 'number') return null;
  const t = v.t;
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new Error('frame log: a line has no receive time');
  if (typeof v.ws === 'string') return { kind: 'ws', t, text: v.ws };
  if (typeof v.rest === 'string' && typeof v.body === 'string') return { kind: 'rest', t, path: v.rest, body: v.body };
  if (typeof v.open === 'string') return { kind: 'open', t, url: v.open };
  if (typeof v.down === 'string') return { kind: 'down', t, reason: v.down };
  throw new Error(`frame log: unknown line ${line.slice(0, 80)}`);
}

/** UTC hour of a receive time, as the file name carries it: 2026-12-01T09Z. */
export function hourOf(t: number): number {
  return Math.floor(t / HOUR_MS);
}

/** `<SYMBOL>-<YYYY-MM-DDTHH>Z-<sessionStart>.frames.jsonl.gz`: names sort by hour, then by session. */
export function frameLogFileName(symbol: string, hour: number, sessionStart: number): string {
  const iso = new Date(hour * HOUR_MS).toISOString().slice(0, 13);
  return `${symbol}-${iso}Z-${sessionStart}${FRAME_LOG_SUFFIX}`;
}

/** Chronological order of frame log file names (hour, then the session that wrote them). */
export function sortFrameLogNames(names: readonly string[]): string[] {
  const key = (n: string): string => {
    const m = /-(\d{4}-\d{2}-\d{2}T\d{2})Z-(\d+)\.frames\.jsonl\.gz$/.exec(n);
    return m ? `${m[1]}|${m[2]!.padStart(16, '0')}` : n;
  };
  return [...names].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
