// A text made piece by piece, encoded as UTF-8 into one buffer as each piece comes (no piece is kept, and no
// buffer is made per piece): the end-of-session files on the main thread. A piece is a string, or ASCII that
// writes itself into the buffer (a long run of numbers, with no string made for it). Pure.

/** ASCII written straight into the bytes: at most `maxBytes` of it from `at`; returns where it ends. */
export interface BytePiece {
  readonly maxBytes: number;
  write(buf: Uint8Array, at: number): number;
}

/**
 * `parts` as UTF-8 in `bytes` from 0, grown through `alloc` when a piece might not fit (three bytes per UTF-16
 * unit at most): the buffer that holds them (`bytes` or a larger one) and their length.
 */
export function encodeUtf8Pieces(parts: Iterable<string | BytePiece>, bytes: Buffer, alloc: (size: number) => Buffer): { bytes: Buffer; length: number } {
  let at = 0;
  for (const p of parts) {
    const most = typeof p === 'string' ? p.length * 3 : p.maxBytes;
    if (at + most > bytes.length) {
      const grown = alloc(Math.max(2 * bytes.length, at + most));
      bytes.copy(grown, 0, 0, at);
      bytes = grown;
    }
    at = typeof p === 'string' ? at + bytes.write(p, at, 'utf8') : p.write(bytes, at);
  }
  return { bytes, length: at };
}

/** The pieces as one string (a byte piece's ASCII read back). */
export function joinPieces(parts: Iterable<string | BytePiece>): string {
  let text = '';
  for (const p of parts) {
    if (typeof p === 'string') text += p;
    else {
      const buf = Buffer.allocUnsafe(p.maxBytes);
      text += buf.toString('latin1', 0, p.write(buf, 0));
    }
  }
  return text;
}
