// The watchdog's decision, driven check by check with a test clock: a main loop that stops beating while
// the watchdog runs is frozen after the limit; a process that was suspended as a whole (the watchdog's own
// check came late) is never frozen on waking, and the count restarts from the wake-up.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startWatchdogState, suspensionSlackMs, watchdogStep, type WatchdogState, type WatchdogVerdict } from '../src/shared/watchdog-verdict.js';

const limits = { limitMs: 30_000, checkMs: 1000 };
const T0 = 1_700_000_000_000;

/** Checks at the given watchdog times, with the beat the main thread left at each; the verdicts. */
function checks(steps: Array<[now: number, beat: number]>, start: WatchdogState = startWatchdogState(T0, 1n)): WatchdogVerdict[] {
  let s = start;
  return steps.map(([now, beat]) => {
    const r = watchdogStep(s, now, BigInt(beat), limits);
    s = r.state;
    return r.verdict;
  });
}

/** One check a second from T0 + fromMs to T0 + toMs (inclusive), the beat fixed or counting seconds. */
function everySecond(fromMs: number, toMs: number, beat: number | 'beating'): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = fromMs; t <= toMs; t += 1000) out.push([T0 + t, beat === 'beating' ? t : beat]);
  return out;
}

test('a main loop that beats is alive', () => {
  assert.ok(checks(everySecond(1000, 120_000, 'beating')).every((v) => v.kind === 'alive'));
});

test('a beat unchanged for more than the limit while the watchdog runs is a frozen main loop', () => {
  const vs = checks(everySecond(1000, 40_000, 1));
  const first = vs.findIndex((v) => v.kind === 'frozen');
  assert.equal(first, 30, 'frozen at the first check past 30 s, not before');
  assert.deepEqual(vs[first], { kind: 'frozen', frozenMs: 31_000 });
});

test('a 75 s suspension is a wake-up, never a freeze, and the main loop has the whole limit again', () => {
  const steps: Array<[number, number]> = [...everySecond(1000, 10_000, 'beating'), [T0 + 86_000, 10_000], ...everySecond(87_000, 95_000, 'beating')];
  const vs = checks(steps);
  assert.deepEqual(vs[10], { kind: 'woke', sleptMs: 75_000 });
  assert.ok(vs.every((v) => v.kind !== 'frozen'));
});

test('after a wake-up a main loop that never beats again is frozen one limit later, counted from the wake-up', () => {
  // beat frozen at 10 s; process suspended 10 s → 86 s; no beat after
  const steps: Array<[number, number]> = [...everySecond(1000, 10_000, 'beating'), [T0 + 86_000, 10_000], ...everySecond(87_000, 130_000, 10_000)];
  const vs = checks(steps);
  const frozenAt = steps[vs.findIndex((v) => v.kind === 'frozen')]![0] - T0;
  assert.equal(frozenAt, 117_000, 'one limit (30 s) after the wake at 86 s, not at once');
});

test('a frozen loop during which the process is briefly suspended still ends: the kill is only postponed', () => {
  const steps: Array<[number, number]> = [...everySecond(1000, 20_000, 1), [T0 + 25_000, 1], ...everySecond(26_000, 70_000, 1)];
  const vs = checks(steps);
  assert.equal(vs[20]!.kind, 'woke', 'a check 5 s late is a suspension');
  assert.ok(vs.some((v) => v.kind === 'frozen'));
});

test('scheduling delay within the slack is not a suspension: a freeze is not postponed by a busy machine', () => {
  const late = 1000 + suspensionSlackMs(limits); // the latest a check may come and still count
  const steps: Array<[number, number]> = [];
  for (let t = late; t <= 40 * late; t += late) steps.push([T0 + t, 1]);
  const vs = checks(steps);
  assert.ok(vs.every((v) => v.kind !== 'woke'));
  const frozenAt = steps[vs.findIndex((v) => v.kind === 'frozen')]![0] - T0;
  assert.ok(frozenAt <= limits.limitMs + late, `frozen at ${frozenAt} ms`);
});

test('a wall clock stepped backwards restarts the count instead of hiding a freeze until it catches up', () => {
  const steps: Array<[number, number]> = [...everySecond(1000, 5000, 1), [T0 - 3_600_000, 1]];
  for (let t = -3_599_000; t <= -3_560_000; t += 1000) steps.push([T0 + t, 1]);
  const vs = checks(steps);
  assert.equal(vs[5]!.kind, 'woke');
  const frozenAt = steps[vs.findIndex((v) => v.kind === 'frozen')]![0] - (T0 - 3_600_000);
  assert.equal(frozenAt, 31_000);
});
