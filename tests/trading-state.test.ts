// The trading state: the most restrictive condition wins, halts before reductions; a reconnect storm is three
// reconnects within ten minutes and ends when the window passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReconnectStorm, tradingStateOf, type TradingConditions } from '../src/shared/trading-state.js';

const calm: TradingConditions = { killSwitch: false, breakerTripped: false, stateUnsaved: false, blindSpan: false, stale: false, reconnectStorm: false };

test('each condition alone gives its state and reason; none gives ACTIVE', () => {
  assert.deepEqual(tradingStateOf(calm), { state: 'ACTIVE', reason: null });
  const cases: [keyof TradingConditions, string, string][] = [
    ['killSwitch', 'HALTED', 'kill_switch'],
    ['breakerTripped', 'HALTED', 'breaker'],
    ['stateUnsaved', 'REDUCING', 'state_unsaved'],
    ['blindSpan', 'REDUCING', 'blind_span'],
    ['stale', 'REDUCING', 'stale_data'],
    ['reconnectStorm', 'REDUCING', 'reconnect_storm'],
  ];
  for (const [k, state, reason] of cases) assert.deepEqual(tradingStateOf({ ...calm, [k]: true }), { state, reason }, k);
});

test('halts win over reductions, the kill switch over the breaker', () => {
  const all = { killSwitch: true, breakerTripped: true, stateUnsaved: true, blindSpan: true, stale: true, reconnectStorm: true };
  assert.deepEqual(tradingStateOf(all), { state: 'HALTED', reason: 'kill_switch' });
  assert.deepEqual(tradingStateOf({ ...all, killSwitch: false }), { state: 'HALTED', reason: 'breaker' });
  assert.deepEqual(tradingStateOf({ ...all, killSwitch: false, breakerTripped: false }), { state: 'REDUCING', reason: 'state_unsaved' });
});

test('a reconnect storm: 3 reconnects within 10 minutes, over once the window has passed', () => {
  const s = new ReconnectStorm();
  const t0 = 1_000_000;
  s.onReconnect(t0);
  s.onReconnect(t0 + 60_000);
  assert.equal(s.active(t0 + 61_000), false, 'two reconnects are not a storm');
  s.onReconnect(t0 + 120_000);
  assert.equal(s.active(t0 + 121_000), true);
  assert.equal(s.active(t0 + 599_000), true);
  assert.equal(s.active(t0 + 600_000), false, 'ten minutes after the first of the three');
  s.onReconnect(t0 + 700_000); // the newest three: +60 s, +120 s, +700 s span more than the window
  assert.equal(s.active(t0 + 700_001), false);
});
