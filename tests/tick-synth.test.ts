// Ticks synthesised inside a recorded candle rebuild exactly that candle (so a replay's candles equal the
// file's), stay inside its minute in order, quote a one-tick market around each trade, and take a
// plausible path: open, then the nearer extreme, then the other, then the close.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CandleColumns } from '../src/shared/candle-pack.js';
import { inferPriceTick, synthTicks } from '../src/shared/tick-synth.js';
import type { Candle } from '../src/shared/types.js';

const T = Date.UTC(2024, 11, 1, 0, 0);
const MIN = 60_000;

describe('tick synthesis inside a candle', () => {
  it('walks open → nearer extreme → other extreme → close on the grid, one-tick quotes around each trade', () => {
    // high is 1.2 away, low 0.4: the low comes first. Legs 0.4, 1.6, 0.4 of 2.4 → low at tick 1, high at 5.
    const c: Candle = { ts: T, open: 100, high: 101.2, low: 99.6, close: 100.8, volume: 7 };
    const ticks = synthTicks(c, 7, 0.1);
    assert.deepEqual(
      ticks.map((t) => t.last),
      [100, 99.6, 100, 100.4, 100.8, 101.2, 100.8],
    );
    assert.deepEqual(
      ticks.map((t) => t.side),
      ['buy', 'sell', 'buy', 'buy', 'buy', 'buy', 'sell'],
    );
    assert.deepEqual(
      ticks.map((t) => [t.bid, t.ask]),
      [
        [99.9, 100],
        [99.6, 99.7],
        [99.9, 100],
        [100.3, 100.4],
        [100.7, 100.8],
        [101.1, 101.2],
        [100.8, 100.9],
      ],
    );
    // 60 s / 8 apart: strictly inside the minute
    assert.deepEqual(
      ticks.map((t) => t.ts - T),
      [7500, 15000, 22500, 30000, 37500, 45000, 52500],
    );
    assert.deepEqual(
      ticks.map((t) => t.qty),
      Array(7).fill(1),
    );
    // the high first when it is the nearer extreme
    const down = synthTicks({ ts: T, open: 100, high: 100.3, low: 98, close: 99, volume: 1 }, 4, 0.1);
    assert.deepEqual(
      down.map((t) => t.last),
      [100, 100.3, 98, 99],
    );
  });

  it('infers the price tick from the decimals the series uses', () => {
    const k = (p: number): Candle => ({ ts: T, open: p, high: p, low: p, close: p, volume: 0 });
    assert.equal(inferPriceTick([k(96440), k(96466.11)]), 0.01);
    assert.equal(inferPriceTick([k(104367.5), k(104332.4)]), 0.1);
    assert.equal(inferPriceTick([k(100), k(105)]), 1);
    assert.equal(inferPriceTick([k(0.123456)]), 0.000001);
  });

  it('infers the same tick from packed candles (read in place) as from the candle objects (property)', () => {
    const price = fc.tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 0, max: 9 })).map(([n, d]) => n / 10 ** d);
    const candle = fc.record({ open: price, high: price, low: price, close: price }).map((c): Candle => ({ ts: T, ...c, volume: 1 }));
    fc.assert(
      fc.property(fc.array(candle, { minLength: 1, maxLength: 40 }), (candles) => {
        assert.equal(inferPriceTick(CandleColumns.of(candles)), inferPriceTick(candles));
      }),
    );
  });

  it('refuses a tick count outside 4-1000 and an inconsistent candle', () => {
    const c: Candle = { ts: T, open: 100, high: 101, low: 99, close: 100, volume: 1 };
    assert.throws(() => synthTicks(c, 3, 0.1), /ticks per candle must be an integer 4-1000, got 3/);
    assert.throws(() => synthTicks(c, 1001, 0.1), /got 1001/);
    assert.throws(() => synthTicks({ ...c, high: 99.5 }, 12, 0.1), /inconsistent candle/);
  });

  it('property: any valid candle is rebuilt exactly from its ticks; bid < ask; ts increasing inside the minute', () => {
    const candle = fc
      .record({
        tick: fc.constantFrom(0.01, 0.1),
        low: fc.integer({ min: 1, max: 12_000_000 }),
        range: fc.integer({ min: 0, max: 50_000 }),
        o: fc.double({ min: 0, max: 1, noNaN: true }),
        c: fc.double({ min: 0, max: 1, noNaN: true }),
        volume: fc.double({ min: 0, max: 5000, noNaN: true }),
        minute: fc.integer({ min: 0, max: 10_000_000 }),
      })
      .map(({ tick, low, range, o, c, volume, minute }) => {
        const dec = tick === 0.01 ? 2 : 1;
        const at = (units: number): number => Number((units * tick).toFixed(dec));
        return {
          tick,
          candle: {
            ts: minute * MIN,
            open: at(low + Math.round(o * range)),
            high: at(low + range),
            low: at(low),
            close: at(low + Math.round(c * range)),
            volume,
          } satisfies Candle,
        };
      });
    fc.assert(
      fc.property(candle, fc.integer({ min: 4, max: 60 }), ({ tick, candle: c }, n) => {
        const ticks = synthTicks(c, n, tick);
        assert.equal(ticks.length, n);
        const prices = ticks.map((t) => t.last);
        assert.deepEqual(
          { open: prices[0], high: Math.max(...prices), low: Math.min(...prices), close: prices[n - 1] },
          { open: c.open, high: c.high, low: c.low, close: c.close },
        );
        let prevTs = c.ts - 1;
        for (const t of ticks) {
          assert.ok(t.bid > 0 && t.bid < t.ask, `bid ${t.bid} ask ${t.ask}`);
          assert.ok(t.last === t.bid || t.last === t.ask);
          assert.ok(Math.abs(t.ask - t.bid - tick) < tick / 100, `one-tick spread ${t.bid}/${t.ask}`);
          assert.ok(t.ts > prevTs && t.ts < c.ts + MIN, `ts ${t.ts - c.ts} after ${prevTs - c.ts}`);
          prevTs = t.ts;
        }
      }),
      { numRuns: 2000, seed: 20241201 },
    );
  });
});
