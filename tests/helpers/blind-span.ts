// The set-up shared by the blind-span fault tests (and scripts/partition-recovery.ts): a standalone
// simulator (dist/sim.js, its own process, so it keeps trading while the engine is suspended, killed or cut
// off) at market speed 1, an engine on its live feed (--feed bitunix --ws-url/--rest-url) that opens a
// position at the first closed candle, and the checks on the exit that a stop crossed while the engine was
// blind must produce once data resumes.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeRestKlines } from '../../src/shared/bitunix/index.js';
import { FIXTURES, MAIN, readEvents, readJson, run, startSim, tempDir, waitFor, waitForSnapshotPosition, type EntryOf, type Run } from './engine.js';

/** Stop distance of the position (bps); excursions go well past it. */
export const STOP_BPS = 40;
const MINUTE = 60_000;

export interface SimHandle {
  run: Run;
  port: number;
  /** POST /sim/fault or GET /sim/status, from wherever the simulator is reachable. */
  control(pathname: string, body?: unknown): Promise<{ status: number; text: string }>;
}

export interface Where {
  /** Address the simulator listens on and the engine connects to. */
  host: string;
  /** Argv prefixes that run the simulator / the engine inside a network namespace. */
  simPrefix?: string[];
  enginePrefix?: string[];
  /** How the test reaches the simulator's control endpoint (default: fetch from this process). */
  fetchVia?: (url: string, body?: unknown) => Promise<{ status: number; text: string }>;
}

async function fetchHere(url: string, body?: unknown): Promise<{ status: number; text: string }> {
  const r = await fetch(url, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return { status: r.status, text: await r.text() };
}

/** Every process and directory a scenario made, so a failed test still leaves nothing behind. */
export class Cleanup {
  private readonly runs: Run[] = [];
  private readonly dirs: string[] = [];

  track(r: Run): Run {
    this.runs.push(r);
    return r;
  }

  dir(prefix: string): string {
    const d = tempDir(prefix);
    this.dirs.push(d);
    return d;
  }

  /** SIGKILL (it also ends a stopped process) whatever still runs, wait for it, remove the directories. */
  async all(): Promise<void> {
    await Promise.all(
      this.runs.splice(0).map(async (r) => {
        if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
        await r.exit;
      }),
    );
    for (const d of this.dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  }
}

export async function startStandaloneSim(c: Cleanup, where: Where, seed: number): Promise<SimHandle> {
  const sim = await startSim(['--host', where.host, '--seed', String(seed), '--speed', '1'], { prefix: where.simPrefix });
  c.track(sim.run);
  const base = `http://${where.host}:${sim.port}`;
  const via = where.fetchVia ?? fetchHere;
  return { ...sim, control: (pathname, body) => via(`${base}${pathname}`, body) };
}

export function engineArgs(where: Where, port: number, stateDir: string, extra: string[] = []): string[] {
  return [
    '--feed',
    'bitunix',
    '--ws-url',
    `ws://${where.host}:${port}/public/`,
    '--rest-url',
    `http://${where.host}:${port}`,
    '--state-dir',
    stateDir,
    '--strategy',
    path.join(FIXTURES, 'flip-strategy.mjs'),
    // a far target, so only the stop (or a trail) can close the position
    '--stop-bps',
    String(STOP_BPS),
    '--tp-r',
    '20',
    '--latency-ms',
    '50-100',
    '--seed',
    '7',
    // short backoff steps keep the tests short; failures are many while the exchange is unreachable
    '--backoff-base',
    '1',
    '--backoff-max',
    '4',
    '--max-ws-errors',
    '200',
    ...extra,
  ];
}

export function startEngine(c: Cleanup, where: Where, port: number, stateDir: string, extra: string[] = []): Run {
  return c.track(run(MAIN, engineArgs(where, port, stateDir, extra), { prefix: where.enginePrefix }));
}

export async function inject(sim: SimHandle, fault: Record<string, unknown>): Promise<void> {
  const r = await sim.control('/sim/fault', fault);
  assert.equal(r.status, 200, r.text);
}

export async function marketNow(sim: SimHandle): Promise<number> {
  return (JSON.parse((await sim.control('/sim/status')).text) as { marketNow: number }).marketNow;
}

/** Wait for the engine's first Fill and its snapshot on disk (so a kill keeps the position). */
export async function waitForPosition(stateDir: string, r: Run): Promise<EntryOf<'Fill'>> {
  // the first entry follows the first closed live candle: up to a minute of market time after start
  const fill = await waitFor(
    'the first Fill',
    () => {
      if (r.child.exitCode !== null) throw new Error(`engine exited ${r.child.exitCode} before a Fill\n${r.stderr()}\n${r.stdout().slice(-3000)}`);
      return readEvents(stateDir).find((e) => e.event === 'Fill');
    },
    100_000,
    200,
  );
  await waitForSnapshotPosition(stateDir, fill.orderId);
  return fill;
}

/** Wait, if need be, until market time is at most `maxIntoMinuteMs` into a minute, so a span can sit inside one candle. */
export async function earlyInACandle(sim: SimHandle, maxIntoMinuteMs: number): Promise<void> {
  const into = (await marketNow(sim)) % MINUTE;
  if (into > maxIntoMinuteMs) await new Promise((r) => setTimeout(r, MINUTE - into + 500));
}

/** An excursion of `bps` against the position's side (down for a LONG), for `ms`. */
export function against(fill: EntryOf<'Fill'>, bps: number, ms: number): Record<string, unknown> {
  return { kind: 'excursion', bps: fill.side === 'LONG' ? -bps : bps, ms };
}

/** Precondition: the simulator's candles since `fromTs` show the stop crossed (the excursion took effect). */
export async function assertStopCrossedInCandles(sim: SimHandle, fill: EntryOf<'Fill'>, fromTs: number): Promise<void> {
  const r = await sim.control(`/api/v1/futures/market/kline?symbol=BTCUSDT&interval=1m&limit=10&startTime=${Math.floor(fromTs / MINUTE) * MINUTE}`);
  const candles = decodeRestKlines(r.text);
  const sl = fill.sl;
  const crossed = fill.side === 'LONG' ? Math.min(...candles.map((k) => k.low)) < sl : Math.max(...candles.map((k) => k.high)) > sl;
  assert.ok(crossed, `the exchange's candles show the ${fill.side} stop ${sl} crossed: ${JSON.stringify(candles)}`);
}

/** The Exit of the position, once there is one; a timeout says what the journal holds since the fill. */
export async function waitForExit(stateDir: string, orderId: string, timeoutMs: number, what = 'the Exit of the position'): Promise<EntryOf<'Exit'>> {
  try {
    return await waitFor(
      what,
      () =>
        readEvents(stateDir)
          .filter((e) => e.event === 'Exit')
          .find((e) => e.orderId === orderId),
      timeoutMs,
      200,
    );
  } catch (e) {
    const events = readEvents(stateDir);
    const fillSeq = events.filter((x) => x.event === 'Fill').find((x) => x.orderId === orderId)?.seq ?? 0;
    const since = events
      .filter((x) => x.seq > fillSeq && !['Candle', 'BadFrames'].includes(x.event))
      .map((x) => `${x.event}${'reason' in x && typeof x.reason === 'string' ? `(${x.reason})` : ''}`);
    throw new Error(`${(e as Error).message}; journal since the fill: ${since.join(', ') || 'nothing'}`);
  }
}

/**
 * The position was closed by its stop, decided from REST candles over a blind span that covers the
 * excursion (market time `crossedAt`), at the stop level or worse, never beyond the excursion itself;
 * the span is journaled with one of `causes`; nothing else closed the position.
 */
export function assertRecoveredStop(stateDir: string, fill: EntryOf<'Fill'>, crossedAt: number, causes: string[]): EntryOf<'Exit'> {
  const events = readEvents(stateDir);
  const exits = events.filter((e) => e.event === 'Exit').filter((e) => e.orderId === fill.orderId);
  assert.equal(exits.length, 1, `exactly one Exit of the position: ${JSON.stringify(exits)}`);
  const exit = exits[0]!;
  assert.equal(exit.recovered, true, `the exit was recovered from the candles of the blind span: ${JSON.stringify(exit)}`);
  assert.ok(['SL', 'TRAIL'].includes(exit.reason), `closed by its stop: ${exit.reason}`);
  const span = exit.span;
  assert.ok(span && span.fromTs <= crossedAt && crossedAt <= span.toTs, `the exit's span ${JSON.stringify(span)} covers the crossing at ${crossedAt}`);
  const moved = events
    .filter((e) => e.event === 'StopMoved')
    .filter((e) => e.orderId === fill.orderId && e.seq < exit.seq)
    .at(-1);
  const sl = moved?.sl ?? fill.sl;
  const price = exit.price;
  const long = fill.side === 'LONG';
  assert.ok(long ? price <= sl : price >= sl, `${fill.side} stop ${sl}: exit at the level or worse, got ${price}`);
  const entry = fill.price;
  assert.ok(Math.abs(price / entry - 1) < 0.04, `never beyond the 3 % excursion (entry ${entry}, exit ${price})`);
  const spans = events.filter((e) => e.event === 'BlindSpan').filter((e) => e.fromTs <= crossedAt && crossedAt <= e.toTs);
  assert.ok(spans.length >= 1, `a BlindSpan covering ${crossedAt} is journaled: ${JSON.stringify(events.filter((e) => e.event === 'BlindSpan'))}`);
  assert.ok(
    spans.some((s) => causes.includes(s.cause)),
    `its cause is one of ${causes}: ${JSON.stringify(spans)}`,
  );
  return exit;
}

export interface FinalReportLite {
  reason: string;
  exitCode: number;
  errors: number;
}

/** Stop the engine with its kill file; it must exit 0. */
export async function stopEngine(r: Run, stateDir: string): Promise<FinalReportLite> {
  writeFileSync(path.join(stateDir, 'kill.txt'), 'stop\n');
  const { code, signal } = await Promise.race([
    r.exit,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the engine did not stop within 20 s of its kill file')), 20_000)),
  ]);
  assert.equal(code, 0, `exit ${code} ${signal}\n${r.stderr()}\n${r.stdout().slice(-3000)}`);
  return readJson<FinalReportLite>(path.join(stateDir, 'final_report.json'));
}
