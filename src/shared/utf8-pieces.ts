// A text made piece by piece, encoded as UTF-8 into one buffer as each piece comes (no piece is kept, and no
// buffer is made per piece): the end-of-session files on the main thread, candles.csv in the persistence worker.
// Pure.

/**
 * `parts` as UTF-8 in `bytes` from 0, grown through `alloc` when a piece might not fit (three bytes per UTF-16
 * unit at most): the buffer that holds them (`bytes` or a larger one) and their length.
 */
export function encodeUtf8Pieces(parts: Iterable<string>, bytes: Buffer, alloc: (size: number) => Buffer): { bytes: Buffer; length: number } {
  let at = 0;
  for (const p of parts) {
    if (at + p.length * 3 > bytes.length) {
      const grown = alloc(Math.max(2 * bytes.length, at + p.length * 3));
      bytes.copy(grown, 0, 0, at);
      bytes = grown;
    }
    at += bytes.write(p, at, 'utf8');
  }
  return { bytes, length: at };
}
