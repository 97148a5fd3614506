// The heap snapshot diff the soak prints: nodes grouped as the DevTools summary groups them, the groups that
// grew listed by self-size growth and by count growth, largest first; a malformed snapshot is refused.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffHeaps, formatHeapDiff, type HeapSnapshot } from '../scripts/heap-diff.js';

const FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness'];
const TYPES = ['hidden', 'array', 'string', 'object', 'code', 'closure', 'regexp', 'number', 'native', 'synthetic'];

/** A snapshot of [type, name, self_size] nodes (other fields 0). */
function snapshot(nodes: [string, string, number][]): HeapSnapshot {
  const strings: string[] = [];
  const str = (s: string): number => (strings.includes(s) ? strings.indexOf(s) : strings.push(s) - 1);
  return {
    snapshot: { meta: { node_fields: FIELDS, node_types: [TYPES, 'string', 'number', 'number', 'number', 'number', 'number'] } },
    nodes: nodes.flatMap(([t, n, size], i) => [TYPES.indexOf(t), str(n), i * 2 + 1, size, 0, 0, 0]),
    strings,
  };
}

describe('heap snapshot diff', () => {
  const before = snapshot([
    ['object', 'Order', 100],
    ['string', 'BTCUSDT', 40],
    ['closure', 'onTick', 32],
    ['object', 'Position', 64],
  ]);
  const after = snapshot([
    ['object', 'Order', 100],
    ['object', 'Order', 100],
    ['object', 'Order', 100],
    ['string', 'BTCUSDT', 40],
    ['string', 'ETHUSDT', 40],
    ['string', 'x', 16],
    ['string', 'y', 16],
    ['string', 'z', 16],
    ['closure', 'onTick', 32],
    ['closure', 'onTick', 32],
    ['object', 'Position', 10],
  ]);

  it('names the groups that grew, by self size and by count, and leaves out those that shrank', () => {
    const d = diffHeaps(before, after);
    assert.deepEqual(d.totalBefore, { count: 4, selfSize: 236 });
    assert.deepEqual(d.totalAfter, { count: 11, selfSize: 502 });
    assert.deepEqual(
      d.bySize.map((r) => [r.key, r.sizeDelta, r.countDelta]),
      [
        ['Order', 200, 2],
        ['(string)', 88, 4],
        ['(closure) onTick', 32, 1],
      ],
    );
    assert.deepEqual(
      d.byCount.map((r) => [r.key, r.countDelta]),
      [
        ['(string)', 4],
        ['Order', 2],
        ['(closure) onTick', 1],
      ],
    );
    assert.deepEqual(
      diffHeaps(before, after, 1).bySize.map((r) => r.key),
      ['Order'],
    );
    assert.match(formatHeapDiff(d), /\+200 B\s+\+2 {2}Order {2}\(1 → 3, 100 B → 300 B\)/);
  });

  it('reports nothing grown between equal snapshots', () => {
    const d = diffHeaps(before, before);
    assert.deepEqual([d.bySize, d.byCount], [[], []]);
    assert.match(formatHeapDiff(d), /grew most by self size[^\n]*\n {2}\(nothing grew\)/);
  });

  it('refuses a snapshot whose node fields it cannot read', () => {
    const bad = { ...before, snapshot: { meta: { node_fields: ['type', 'name'], node_types: [TYPES] } } };
    assert.throws(() => diffHeaps(bad, after), /lacks type, name or self_size/);
  });
});
