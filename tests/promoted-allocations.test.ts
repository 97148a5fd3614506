// The promoted-allocation report adds up a sampling profile's bytes by allocating function, wherever in the call
// tree that function allocated, largest first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytesBySite } from '../scripts/promoted-allocations.js';

const frame = (functionName: string, url: string, lineNumber: number) => ({ functionName, url, lineNumber });

test('bytes are summed per function and line across the call tree, largest first', () => {
  const profile = {
    head: {
      callFrame: frame('(root)', '', -1),
      selfSize: 0,
      children: [
        {
          callFrame: frame('heartbeat', 'file:///x/dist/main/engine/status.js', 87),
          selfSize: 300,
          children: [{ callFrame: frame('', 'node:util', 146), selfSize: 50 }],
        },
        {
          callFrame: frame('tick', 'file:///x/a.js', 9),
          selfSize: 100,
          children: [{ callFrame: frame('heartbeat', 'file:///x/dist/main/engine/status.js', 87), selfSize: 200 }],
        },
      ],
    },
  };
  assert.deepEqual(bytesBySite(profile), [
    { site: 'heartbeat status.js:88', bytes: 500 },
    { site: 'tick a.js:10', bytes: 100 },
    { site: '(anonymous) node:util:147', bytes: 50 },
  ]);
});
