// The session's small parts on their own: the error budget, the state that cannot be saved, the --duration task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StopReason } from '../src/shared/events.js';
import { ErrorBudget } from '../src/main/engine/error-budget.js';
import { PersistFault } from '../src/main/engine/persist-fault.js';
import type { SessionControl } from '../src/main/engine/session-control.js';
import { after } from '../src/main/engine/tasks.js';
import type { Logger } from '../src/main/logger.js';
import type { TradingCore } from '../src/main/trading/trading-core.js';

const quiet = { warn: () => {}, info: () => {}, error: () => {} } as unknown as Logger;

test('the twentieth session error ends the session, once the budget is spent', () => {
  let spent = 0;
  const budget = new ErrorBudget(quiet, () => spent++);
  for (let i = 1; i <= 19; i++) budget.fail(`error ${i}`);
  assert.equal(spent, 0);
  assert.deepEqual({ count: budget.count, last: budget.last }, { count: 19, last: 'error 19' });
  budget.fail('error 20');
  assert.equal(spent, 1);
});

function faultSession(): { control: SessionControl; blocked: string[]; errors: string[]; stops: [StopReason, number][] } {
  const blocked: string[] = [];
  const errors: string[] = [];
  const stops: [StopReason, number][] = [];
  const core = { blockFills: (why: string) => blocked.push(why) } as unknown as TradingCore;
  const control = {
    core: () => core,
    refreshTradingState: () => {},
    fail: (message: string) => errors.push(message),
    stop: (reason: StopReason, exitCode: number) => stops.push([reason, exitCode]),
  } as unknown as SessionControl;
  return { control, blocked, errors, stops };
}

test('a failed save blocks fills and counts one error, however many saves fail after it', () => {
  const s = faultSession();
  const fault = new PersistFault(s.control);
  fault.saveFailed(new Error('ENOSPC'));
  fault.saveFailed(new Error('EIO'));
  fault.onFault('crashed', 'worker gone');
  assert.equal(fault.reason, 'ENOSPC');
  assert.deepEqual(s.blocked, ['state cannot be saved']);
  assert.deepEqual(s.errors, ['state could not be saved: ENOSPC; no new positions until it can']);
  assert.deepEqual(s.stops, []);
});

test('a compromised state lock blocks fills and ends the session with exit 1', () => {
  const s = faultSession();
  const fault = new PersistFault(s.control);
  fault.onFault('compromised', 'lock file replaced');
  assert.equal(fault.reason, 'state lock compromised: lock file replaced');
  assert.deepEqual(s.blocked, ['state lock lost']);
  assert.deepEqual(s.stops, [['lock_compromised', 1]]);
});

test('--duration: the task fires once when due, and never once stopped', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let fired = 0;
  const due = after(60_000, () => fired++);
  due.start();
  due.start(); // a second start does not arm it twice
  t.mock.timers.tick(59_999);
  assert.equal(fired, 0);
  t.mock.timers.tick(1);
  assert.equal(fired, 1);
  t.mock.timers.tick(120_000);
  assert.equal(fired, 1);

  const stopped = after(60_000, () => fired++);
  stopped.start();
  stopped.stop();
  t.mock.timers.tick(120_000);
  assert.equal(fired, 1);
});
