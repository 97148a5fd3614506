// The circuit breaker rules: drawdown from the day's peak (not the start), the losing streak, the UTC day.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  breakerAt,
  dailyLossPct,
  dayRolled,
  drawdownPct,
  drawdownTrip,
  freshBreaker,
  lossStreakTrip,
  onExit,
  onEquity,
  onReset,
  onTripped,
  utcDay,
} from '../src/shared/breaker.js';

const limits = { maxDrawdownPct: 5, maxLosses: 5 };
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

test('the breaker day is the UTC calendar day of market time', () => {
  assert.equal(utcDay(Date.UTC(2024, 0, 2, 23, 59, 59, 999)), '2024-01-02');
  assert.equal(utcDay(Date.UTC(2024, 0, 3, 0, 0, 0)), '2024-01-03');
  const b = freshBreaker(10_000, T0);
  assert.deepEqual(b, {
    day: '2024-01-01',
    dayStartEquity: 10_000,
    peakEquity: 10_000,
    consecutiveLosses: 0,
    tripped: false,
    reason: null,
    trippedAt: null,
  });
});

test('the day rolls forward only', () => {
  const b = freshBreaker(10_000, T0);
  assert.equal(dayRolled(b, Date.UTC(2024, 0, 1, 23, 59, 59, 999)), false);
  assert.equal(dayRolled(b, Date.UTC(2024, 0, 2)), true);
  assert.equal(dayRolled(b, Date.UTC(2023, 11, 31, 23)), false);
  const tripped = onTripped(b, 'max_losses', '5 losses', T0);
  assert.equal(breakerAt(tripped, T0 + 3600_000, 9_000), tripped);
  assert.deepEqual(breakerAt(tripped, Date.UTC(2024, 0, 2), 9_000), freshBreaker(9_000, Date.UTC(2024, 0, 2)));
});

test('drawdown is measured from the peak: 10 500 -> 9 975 is 5 % and trips, although only 0.25 % below the start', () => {
  const b = { ...freshBreaker(10_000, T0), peakEquity: 10_500 };
  assert.equal(drawdownPct(10_500, 9_975), 5);
  const trip = drawdownTrip(b, 10_500, 9_975, limits);
  assert.equal(trip?.reason, 'max_drawdown');
  assert.equal(drawdownTrip(b, 10_500, 9_976, limits), null); // 4.99 %
  assert.equal(drawdownPct(10_000, 10_200), 0);
  // Already tripped: trips once.
  assert.equal(drawdownTrip(onTripped(b, 'max_drawdown', 'x', T0), 10_500, 9_000, limits), null);
});

test('losing streak: losses count, a win or a flat exit resets, the limit trips', () => {
  let b = freshBreaker(10_000, T0);
  for (let i = 0; i < 4; i++) b = onExit(b, -10, 10_000 - 10 * (i + 1));
  assert.equal(b.consecutiveLosses, 4);
  assert.equal(lossStreakTrip(b, limits), null);
  assert.equal(onExit(b, 25, 9_985).consecutiveLosses, 0);
  assert.equal(onExit(b, 0, 9_960).consecutiveLosses, 0);
  b = onExit(b, -10, 9_950);
  const trip = lossStreakTrip(b, limits);
  assert.equal(trip?.reason, 'max_losses');
  const t = onTripped(b, trip!.reason, trip!.detail, T0 + 5);
  assert.equal(t.tripped, true);
  assert.equal(t.trippedAt, T0 + 5);
  assert.match(t.reason!, /^max_losses: 5 consecutive/);
  assert.equal(lossStreakTrip(t, limits), null);
});

test('the peak only rises; a reset starts the new day from its starting equity', () => {
  let b = freshBreaker(10_000, T0);
  b = onExit(b, 100, 10_100);
  assert.equal(b.peakEquity, 10_100);
  b = onEquity(b, 10_050);
  assert.equal(b.peakEquity, 10_100);
  b = onEquity(b, 10_150);
  assert.equal(b.peakEquity, 10_150);
  const r = onReset('2024-01-02', 9_800);
  assert.deepEqual(r, { ...freshBreaker(9_800, Date.UTC(2024, 0, 2)) });
});

test("daily loss is the realized loss from the day's starting equity", () => {
  const b = freshBreaker(10_000, T0);
  assert.equal(dailyLossPct(b, 9_500), 5);
  assert.equal(dailyLossPct(b, 10_500), 0);
});
