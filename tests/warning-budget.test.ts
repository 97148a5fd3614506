// The warning budget: a burst is logged whole, a flood at the steady rate, and what was held back is
// counted for the next warning that goes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WarningBudget } from '../src/shared/warning-budget.js';

test('a burst goes out, a flood is cut to the rate, the held-back count is handed over once', () => {
  const b = new WarningBudget(3, 2);
  const at = (ms: number, n: number): boolean[] => Array.from({ length: n }, () => b.take(ms));
  assert.deepEqual(at(0, 5), [true, true, true, false, false], 'the burst, then nothing');
  assert.equal(b.suppressed, 2);
  assert.deepEqual(at(400, 1), [false], 'not yet a whole token after 0.4 s at 2/s');
  assert.deepEqual(at(500, 2), [true, false], 'one token after 0.5 s');
  assert.equal(b.takeSuppressed(), 4);
  assert.equal(b.takeSuppressed(), 0, 'handed over once');
  assert.deepEqual(at(60_000, 5), [true, true, true, false, false], 'a long quiet refills the burst, no more');
});
