// The side files' UTF-8 built piece by piece (src/shared/utf8-pieces.ts): the same bytes as the whole text,
// however the pieces fall against the buffer's room.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeUtf8Pieces } from '../src/shared/utf8-pieces.js';

test('pieces of 1- to 4-byte characters come out as the whole text would, growing a small buffer as they go', () => {
  const pieces = Array.from({ length: 300 }, (_, i) => `${i},é€😀,${'x'.repeat(i % 17)}\n`);
  const start = Buffer.alloc(16);
  let grown = 0;
  const { bytes, length } = encodeUtf8Pieces(pieces, start, (size) => {
    grown++;
    return Buffer.alloc(size);
  });
  assert.deepEqual(bytes.subarray(0, length), Buffer.from(pieces.join(''), 'utf8'));
  assert.ok(grown > 0 && bytes !== start, 'the buffer was grown');
  const roomy = Buffer.alloc(1 << 16);
  const again = encodeUtf8Pieces(pieces, roomy, () => assert.fail('no growth when the room does'));
  assert.equal(again.bytes, roomy);
  assert.equal(again.length, length);
});
