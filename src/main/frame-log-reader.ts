// Reading a frame log (a directory of hourly files, or one file): which files, in what order, and their lines.
// A file a crash left with a torn last gzip member is read up to its last whole line.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { FRAME_LOG_SUFFIX, parseEntry, parseHeader, sortFrameLogNames, type FrameLogEntry, type FrameLogHeader } from '../shared/frame-log.js';

export interface FrameLogFile {
  file: string;
  header: FrameLogHeader;
}

/** The decompressed lines of one file; a torn tail (partial member or line) is dropped. */
export function readFrameLogLines(file: string): string[] {
  const text = gunzipSync(readFileSync(file), { finishFlush: constants.Z_SYNC_FLUSH }).toString();
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: empty, or a line the crash cut
  return lines;
}

/** The entries of one file in order (headers of sessions appended to the same file are skipped). */
export function readFrameLogEntries(file: string): FrameLogEntry[] {
  const out: FrameLogEntry[] = [];
  const lines = readFrameLogLines(file);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    let e: FrameLogEntry | null;
    try {
      e = parseEntry(line);
    } catch (err) {
      throw new Error(`${file}: line ${i + 1}: ${(err as Error).message}`);
    }
    if (e) out.push(e);
  }
  return out;
}

/** The first bytes of a file (enough for the header line's gzip member). */
function head(file: string, bytes = 16_384): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(bytes);
    return b.subarray(0, readSync(fd, b, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

/** The header line, decompressed from the file's first bytes only; null when the file is not a frame log. */
function headerOf(file: string): FrameLogHeader | null {
  const b = head(file);
  if (b.length < 2 || b[0] !== 0x1f || b[1] !== 0x8b) return null;
  const text = gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH }).toString();
  const nl = text.indexOf('\n');
  return nl < 0 ? null : parseHeader(text.slice(0, nl));
}

/** Whether `target` is a frame log (a file of one, or a directory holding some); a candle CSV is not. */
export function isFrameLog(target: string): boolean {
  const st = statSync(target);
  if (st.isDirectory()) return readdirSync(target).some((n) => n.endsWith(FRAME_LOG_SUFFIX));
  try {
    return headerOf(target) !== null;
  } catch {
    return false; // gzip that is not ours (or not gzip at all)
  }
}

/** The files of `symbol`'s frame log at `target`, in receive-time order. Throws when there are none. */
export function frameLogFiles(target: string, symbol: string): FrameLogFile[] {
  const names = statSync(target).isDirectory()
    ? sortFrameLogNames(readdirSync(target).filter((n) => n.endsWith(FRAME_LOG_SUFFIX))).map((n) => path.join(target, n))
    : [target];
  const files: FrameLogFile[] = [];
  const others = new Set<string>();
  for (const file of names) {
    const header = headerOf(file);
    if (!header) throw new Error(`${file}: not a frame log (no header line)`);
    if (header.symbol === symbol) files.push({ file, header });
    else others.add(header.symbol);
  }
  if (files.length === 0) {
    throw new Error(`${target}: no frame log of ${symbol}${others.size ? ` (it holds ${[...others].join(', ')}; pass --symbol)` : ''}`);
  }
  return files;
}
