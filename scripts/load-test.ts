// Load test (docs/simulator.md, docs/targets.md): the simulator floods book/trade frames at stepped rates against the built
// engine (`dist/main.js` on its live `bitunix` feed path), and, in the same run, against a bare `ws` client
// that only JSON.parses them (the baseline: the raw receive rate of this machine at that moment). Per step
// it reports sent and processed rates, lost and conflated ticks, tick age, stop-decision latency, loop lag,
// RSS and CPU; then the highest rate held (no tick lost or conflated, tick age p99 < 50 ms) against
// 0.8 × the baseline's best. Every flood that meets a standing stop is checked against the engine's journal:
// the exit must be at the first frame that crossed the stop (its exact ts and price, recomputed from the
// simulator's deterministic flood pattern). `--soak MIN` then holds one rate and samples RSS every 10 s;
// `--heap-snapshots DIR` has the engine write a heap snapshot at soak minute 5 and at the end (between
// floods, as writing one pauses the engine) and prints what grew between the two.
//
//   npm run load-test -- [--rates 10000,50000,...] [--seconds N] [--json FILE] [--soak MIN --soak-rate R]
//                        [--heap-snapshots DIR] [--cpu-prof DIR] [--keep]
//
// Everything runs on 127.0.0.1, bounded in count and time; every child is killed at the end, even on failure.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { BOOK_CHANNEL, encodeSubscribe, publicWsUrl, pushChannelOf, TRADE_CHANNEL } from '../src/shared/bitunix/index.js';
import type { EngineEvent, ExitEvent, FillEvent, JournalEntry } from '../src/shared/events.js';
import { floodBid, type FloodRecord, type SimFloodReport } from '../src/workers/exchange-sim/index.js';
import { diffHeaps, formatHeapDiff, readHeapSnapshot, type HeapDiff } from './heap-diff.js';
import { memoryGrowth, procMemoryOf, rssWindows, type RssWindow, type SoakMemorySample } from './soak-memory.js';
import type { MemoryFigures } from '../src/main/memory-census.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
/** LOAD_TEST_DIST points at another build (e.g. to measure a change before it lands); default ./dist. */
const DIST = process.env.LOAD_TEST_DIST ? path.resolve(process.env.LOAD_TEST_DIST) : path.join(ROOT, 'dist');
const MAIN = path.join(DIST, 'main.js');
const SIM = path.join(DIST, 'sim.js');
/** Enters on every closed candle while flat, so a stop stands again after each exit. */
const STRATEGY = path.join(ROOT, 'tests', 'fixtures', 'fast-strategy.mjs');
const ENGINE_SYMBOL = 'BTCUSDT';
/** The baseline subscribes another symbol of the same simulator, so each flood reaches one client only. */
const BASELINE_SYMBOL = 'ETHUSDT';
const MINUTE = 60_000;
/** Tick age p99 bound for a step to count as held. */
const HELD_AGE_P99_MS = 50;
/** Entries happen on candle closes (minute boundaries): floods keep out of [B - before, B + after]. */
const BOUNDARY_BEFORE_MS = 800;
const BOUNDARY_AFTER_MS = 3_000;
const SOAK_STEP_SECONDS = 60;
/** RSS growth is also measured from this far into the soak (start-up and warm-up allocations are done). */
const SOAK_SETTLED_MS = 5 * MINUTE;
const CLK_TCK = 100;
const PRICE_STEP = 0.1;

export interface LoadTestOptions {
  rates: number[];
  /** Seconds per flood step. */
  seconds: number;
  /** Soak minutes (0 = none) and its rate. */
  soakMinutes: number;
  soakRate: number;
  /** Directory for the engine's --cpu-prof output (null = no profile). */
  cpuProfDir: string | null;
  /** Directory for the soak's two engine heap snapshots (null = none). */
  heapSnapshotDir?: string | null;
  /** Keep the temp directory (state dir, logs). */
  keep: boolean;
  log: (line: string) => void;
}

export interface StepResult {
  target: string;
  rate: number;
  /** Frames the flood offered (rate × seconds) and those written to the socket. */
  offered: number;
  sent: number;
  /** Frames the simulator dropped because the client had > 4 MB unread (a slow consumer). */
  conflated: number;
  /** Ticks (book + trade frames) the client processed, and sent − processed. */
  processed: number;
  lost: number;
  sentPerSec: number;
  processedPerSec: number;
  /** Tick age (exchange ts → processed), worst 1-s heartbeat window of the step; null for the baseline. */
  tickAgeP50Ms: number | null;
  tickAgeP99Ms: number | null;
  tickAgeMaxMs: number | null;
  stopDecisionP99Us: number | null;
  /** Heartbeat windows of the step with a standing position (stop-decision samples). */
  stopWindows: number;
  loopLagP99Ms: number | null;
  rssMb: number;
  /** CPU of the client (engine or baseline) and of the simulator, % of one core. */
  cpuPct: number;
  simCpuPct: number;
  held: boolean;
  /** processedPerSec / the baseline's processedPerSec at the same rate. */
  ratioToBaseline: number | null;
  crossed: boolean;
}

export interface CrossingCheck {
  floodId: number;
  orderId: string;
  side: string;
  sl: number;
  expected: { k: number; ts: number; price: number; reason: string } | null;
  actual: { at: number; price: number; reason: string } | null;
  ok: boolean;
  why: string;
}

export interface SoakResult {
  minutes: number;
  rate: number;
  /** [seconds since the soak started, RSS MB] every 10 s. */
  rss: [number, number][];
  /** Last sample vs the first one after warm-up (the 10 s sample), in percent. */
  rssGrowthPct: number;
  /** From the 300 s sample (the first one when the soak is shorter) to the last, and the largest one after it. */
  rssSettled: { fromSec: number; fromMb: number; growthPct: number; maxMb: number; maxGrowthPct: number };
  /** Heap snapshots written by the engine (each pauses it while written) and what grew from the first to the last. */
  heapSnapshots: { atSec: number; file: string; pauseMs: number; rssBeforeMb: number; rssAfterMb: number }[];
  heapDiff: HeapDiff | null;
  /** RSS per 5 minutes, and the growth from the mean of the second window to the mean of the last one. */
  rssWindows: RssWindow[];
  rssMeanGrowthPct: number | null;
  /** With every RSS sample: RSS split by the kernel and the engine's memory census by thread. */
  memory: SoakMemorySample[];
  /** What changed from the settled sample to the last, largest change first. */
  memoryGrowth: string[];
  sent: number;
  processed: number;
  lost: number;
  conflated: number;
  tickAgeP99MsWorst: number;
  stopDecisionP99UsWorst: number;
}

export interface LoadTestResult {
  machine: { nproc: number; cpu: string; node: string };
  startedAt: string;
  durationSec: number;
  baseline: StepResult[];
  engine: StepResult[];
  baselineMaxPerSec: number;
  highestHeldPerSec: number;
  highestHeldRate: number | null;
  /** highestHeldPerSec / baselineMaxPerSec; the target is >= 0.8. */
  heldRatio: number;
  crossings: CrossingCheck[];
  crossingsOk: boolean;
  soak: SoakResult | null;
  final: { errors: number | null; status: string | null; exitCode: number | null; trades: number | null };
  errors: string[];
}

// ---- small helpers ------------------------------------------------------------------------------

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | null | undefined | Promise<T | null | undefined>, timeoutMs: number, everyMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`load test: timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function getJson<T>(url: string, timeoutMs = 5_000): Promise<T> {
  const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return (await r.json()) as T;
}

async function post(url: string, body: unknown): Promise<void> {
  const r = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
  if (r.status !== 200) throw new Error(`load test: POST ${url} ${JSON.stringify(body)} → ${r.status} ${await r.text()}`);
}

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

function rssMbOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
  } catch {
    return NaN;
  }
}

export function machineInfo(): LoadTestResult['machine'] {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  let nproc = 0;
  try {
    nproc = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('processor')).length;
  } catch {
    /* not Linux */
  }
  return { nproc, cpu, node: process.version };
}

const round = (x: number, d = 1): number => Math.round(x * 10 ** d) / 10 ** d;

// ---- children ------------------------------------------------------------------------------------

interface Child {
  proc: ChildProcess;
  lines: string[];
  exit: Promise<number | null>;
}

const children = new Set<ChildProcess>();

function startChild(args: string[], opts: { ipc?: boolean; onLine?: (l: string) => void } = {}): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? ['ipc' as const] : [])] });
  children.add(proc);
  const lines: string[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      opts.onLine?.(l);
      lines.push(l);
      if (lines.length > 2000) lines.splice(0, 1000); // bounded: only recent lines are read
    }
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const exit = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      children.delete(proc);
      if (code !== 0 && code !== null && err) lines.push(`[stderr] ${err}`);
      resolve(code);
    }),
  );
  return { proc, lines, exit };
}

async function stopChild(c: Child, graceMs: number): Promise<number | null> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return c.proc.exitCode;
  c.proc.kill('SIGTERM');
  const t = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
  const code = await c.exit;
  clearTimeout(t);
  return code;
}

function killAll(): void {
  for (const p of children) p.kill('SIGKILL');
}

// ---- the baseline client (this file, run with --baseline-client URL SYMBOL) ------------------------

/** A bare ws client: JSON.parse every message and count book/trade frames; answers counts over IPC. */
function runBaselineClient(url: string, symbol: string): void {
  let ticks = 0;
  let lastAt = 0;
  const ws = new WebSocket(url, { maxPayload: 64 * 1024, perMessageDeflate: false });
  ws.on('open', () => {
    ws.send(encodeSubscribe(symbol, [BOOK_CHANNEL, TRADE_CHANNEL]));
    process.send!({ type: 'open' });
  });
  ws.on('message', (data: WebSocket.RawData) => {
    const ch = pushChannelOf(JSON.parse(data.toString()));
    if (ch === BOOK_CHANNEL || ch === TRADE_CHANNEL) {
      ticks++;
      lastAt = Date.now();
    }
  });
  ws.on('error', (e) => process.send!({ type: 'error', message: e.message }));
  ws.on('close', () => process.exit(0));
  process.on('message', (m: { type: string }) => {
    if (m.type === 'count') process.send!({ type: 'count', ticks, lastAt });
  });
  process.on('disconnect', () => process.exit(0));
}

// ---- the run --------------------------------------------------------------------------------------

interface Heartbeat {
  ts: number;
  ticks: number;
  position: { side: string; sl: number; tp: number; entry: number; orderId: string } | null;
  loopLagP99Ms: number;
  stopDecisionP99Us: number;
  tickAgeP50Ms: number;
  tickAgeP99Ms: number;
  tickAgeMaxMs: number;
  rssMb: number;
  errors: number;
  memory?: MemoryFigures | null;
}

interface Health {
  ticks: number;
  price: number | null;
  status: string;
  position: { side: string; sl: number; tp: number; entry: number; orderId: string } | null;
}

/** A client the simulator floods: how to read its tick count exactly. */
interface Target {
  name: string;
  symbol: string;
  pid: number;
  ticks(): Promise<number>;
}

export async function runLoadTest(o: LoadTestOptions): Promise<LoadTestResult> {
  if (!existsSync(MAIN) || !existsSync(SIM)) throw new Error('load test: dist/ is missing: run `npm run build` first');
  const t0 = Date.now();
  const dir = mkdtempSync(path.join(tmpdir(), 'la-load-'));
  const stateDir = path.join(dir, 'state');
  const result: LoadTestResult = {
    machine: machineInfo(),
    startedAt: new Date(t0).toISOString(),
    durationSec: 0,
    baseline: [],
    engine: [],
    baselineMaxPerSec: 0,
    highestHeldPerSec: 0,
    highestHeldRate: null,
    heldRatio: 0,
    crossings: [],
    crossingsOk: false,
    soak: null,
    final: { errors: null, status: null, exitCode: null, trades: null },
    errors: [],
  };
  const onExit = (): void => killAll();
  process.on('exit', onExit);
  let sim: Child | null = null;
  let engine: Child | null = null;
  let baseline: Child | null = null;
  try {
    // 1. the simulator, in its own process
    let simPort = 0;
    sim = startChild([SIM, '--port', '0', '--symbol', `${ENGINE_SYMBOL},${BASELINE_SYMBOL}`, '--seed', '7'], {
      onLine: (l) => {
        if (l.startsWith('{"event":"listening"')) simPort = (JSON.parse(l) as { port: number }).port;
      },
    });
    await until('the simulator to listen', () => simPort || null, 10_000);
    const simUrl = `http://127.0.0.1:${simPort}`;
    const simPid = sim.proc.pid!;
    const tickFrames = async (symbol: string): Promise<number> =>
      (await getJson<SimFloodReport>(`${simUrl}/sim/flood?since=1000000000`)).tickFrames[symbol] ?? 0;

    // 2. the engine on its live feed path, pointed at the simulator
    let statusUrl = '';
    const engineArgs = [
      ...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []),
      ...(o.heapSnapshotDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${o.heapSnapshotDir}`] : []),
      ...(process.env.LOAD_TEST_ENGINE_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''), // e.g. --trace-gc
      MAIN,
      '--symbol',
      ENGINE_SYMBOL,
      '--ws-url',
      publicWsUrl(`ws://127.0.0.1:${simPort}`),
      '--rest-url',
      simUrl,
      '--state-dir',
      stateDir,
      '--strategy',
      STRATEGY,
      '--min-trade-interval',
      '0',
      '--slip-bps',
      '0',
      '--latency-ms',
      '20-50',
      '--risk-pct',
      '0.1',
      '--max-losses',
      '100000',
      '--max-drawdown-pct',
      '100',
      '--seed',
      '1',
      '--http-port',
      '0',
      '--idle-timeout',
      '30',
      '--stale-timeout',
      '60',
    ];
    const engineLog = path.join(dir, 'engine.log');
    engine = startChild(engineArgs, {
      onLine: (l) => {
        if (o.keep) appendFileSync(engineLog, `${l}\n`); // kept with --keep, for a look at what the engine said
        if (!statusUrl && l.includes('status endpoint listening')) statusUrl = (JSON.parse(l) as { url: string }).url.replace(/\/$/, '');
      },
    });
    const enginePid = engine.proc.pid!;
    await until(
      'the engine status endpoint',
      () => {
        if (engine!.proc.exitCode !== null) throw new Error(`engine exited ${engine!.proc.exitCode}: ${engine!.lines.slice(-5).join('\n')}`);
        return statusUrl || null;
      },
      20_000,
    );
    const health = (): Promise<Health> => getJson<Health>(`${statusUrl}/health`);
    const engineTarget: Target = { name: 'engine', symbol: ENGINE_SYMBOL, pid: enginePid, ticks: async () => (await health()).ticks };

    // 3. the baseline client, in its own process
    let waiting: ((c: { ticks: number; lastAt: number }) => void) | null = null;
    baseline = startChild(['--import', 'tsx', SELF, '--baseline-client', publicWsUrl(`ws://127.0.0.1:${simPort}`), BASELINE_SYMBOL], { ipc: true });
    let baselineOpen = false;
    baseline.proc.on('message', (m: { type: string; ticks?: number; lastAt?: number; message?: string }) => {
      if (m.type === 'open') baselineOpen = true;
      else if (m.type === 'count' && waiting) {
        const w = waiting;
        waiting = null;
        w({ ticks: m.ticks!, lastAt: m.lastAt! });
      } else if (m.type === 'error') result.errors.push(`baseline: ${m.message}`);
    });
    const baselineCount = (): Promise<{ ticks: number; lastAt: number }> =>
      new Promise((resolve, reject) => {
        waiting = resolve;
        baseline!.proc.send({ type: 'count' });
        setTimeout(() => reject(new Error('load test: the baseline client did not answer')), 10_000).unref();
      });
    const baselineTarget: Target = { name: 'baseline', symbol: BASELINE_SYMBOL, pid: baseline.proc.pid!, ticks: async () => (await baselineCount()).ticks };
    await until('the baseline client to connect', () => baselineOpen || null, 20_000);
    await until('the engine to be ready', async () => ((await health()).status === 'running' ? true : null), 30_000, 200);
    o.log(`sim :${simPort} (pid ${simPid}), engine pid ${enginePid}, baseline pid ${baseline.proc.pid}; state ${stateDir}`);

    /** Sim-side and client-side tick counts read at a quiet instant (no frame sent between the two sim reads). */
    const quiet = async (t: Target): Promise<{ sent: number; got: number }> => {
      for (let i = 0; i < 20; i++) {
        const s1 = await tickFrames(t.symbol);
        const got = await t.ticks();
        const s2 = await tickFrames(t.symbol);
        if (s1 === s2) return { sent: s1, got };
      }
      const s = await tickFrames(t.symbol);
      return { sent: s, got: await t.ticks() };
    };

    const heartbeats: Heartbeat[] = [];
    const readHeartbeat = (): void => {
      try {
        const hb = JSON.parse(readFileSync(path.join(stateDir, 'heartbeat.json'), 'utf8')) as Heartbeat;
        if (heartbeats.length === 0 || heartbeats[heartbeats.length - 1]!.ts !== hb.ts) heartbeats.push(hb);
        if (heartbeats.length > 2000) heartbeats.splice(0, 1000);
      } catch {
        /* between writes */
      }
    };
    const hbTimer = setInterval(readHeartbeat, 200);

    const floods: FloodRecord[] = [];
    let lastFloodId = 0;
    const flood = async (t: Target, rate: number, seconds: number, pattern: { base?: number; swing?: number } = {}): Promise<FloodRecord> => {
      await post(`${simUrl}/sim/fault`, { kind: 'flood', symbol: t.symbol, ratePerSec: rate, seconds, ...pattern });
      // the flood runs alone: poll the cheap status, and fetch its record (with the ts log) once
      await sleep(Math.max(0, seconds * 1000 - 60));
      await until('the flood to end', async () => !(await getJson<{ flooding: boolean }>(`${simUrl}/sim/status`)).flooding, seconds * 1000 + 15_000, 10);
      const rec = (await getJson<SimFloodReport>(`${simUrl}/sim/flood?since=${lastFloodId}`)).floods.find((f) => f.symbol === t.symbol && f.endedAt !== null);
      if (!rec) throw new Error('load test: the flood left no record');
      lastFloodId = rec.id;
      floods.push(rec);
      return rec;
    };

    /** Wait until the client's processed count stops lagging the frames sent (or stops moving). */
    const drain = async (t: Target, before: { sent: number; got: number }): Promise<{ sent: number; got: number; at: number; keptUp: boolean }> => {
      let last = -1;
      let lastChange = Date.now();
      for (let first = true; ; first = false) {
        const q = await quiet(t);
        const now = Date.now();
        const behind = q.sent - before.sent - (q.got - before.got);
        if (behind <= 0) return { ...q, at: now, keptUp: first };
        if (behind !== last) {
          last = behind;
          lastChange = now;
        } else if (now - lastChange > 1_500) return { ...q, at: lastChange, keptUp: false };
        await sleep(20);
      }
    };

    /** One step: flood the target at `rate`, optionally end with a sweep across the engine's standing stop. */
    const step = async (t: Target, rate: number, seconds: number, cross: Health['position']): Promise<StepResult> => {
      const before = await quiet(t);
      const cpu0 = cpuSeconds(t.pid);
      const simCpu0 = cpuSeconds(simPid);
      const start = Date.now();
      const recs = [await flood(t, rate, seconds)];
      if (cross) {
        const h = await health();
        const base = h.price ?? cross.entry;
        const dist = Math.abs(base - cross.sl) + 2;
        // the first leg goes toward the stop, one 0.1 step per frame, just past it
        const swing = cross.side === 'LONG' ? -dist : dist;
        const frames = Math.ceil(dist / PRICE_STEP) + 200;
        recs.push(await flood(t, rate, Math.max(0.2, frames / rate), { base, swing }));
      }
      const after = await drain(t, before);
      const wall = (Math.max(after.at, ...recs.map((r) => r.endedAt!)) - start) / 1000;
      const floodSecs = recs.reduce((a, r) => a + (r.endedAt! - r.startedAt) / 1000, 0);
      const cpu = ((cpuSeconds(t.pid) - cpu0) / wall) * 100;
      const simCpu = ((cpuSeconds(simPid) - simCpu0) / wall) * 100;
      const sent = after.sent - before.sent;
      const processed = after.got - before.got;
      const offered = recs.reduce((a, r) => a + Math.round(r.ratePerSec * r.seconds), 0);
      const conflated = recs.reduce((a, r) => a + r.conflated, 0);
      const floodSent = recs.reduce((a, r) => a + r.sent, 0);
      // processing time: the floods, plus however long the client needed afterwards to catch up
      const busy = floodSecs + (after.keptUp ? 0 : Math.max(0, after.at - recs[recs.length - 1]!.endedAt!) / 1000);
      let hbs: Heartbeat[] = [];
      if (t === engineTarget) {
        await sleep(1_100); // the heartbeat whose window holds the step's end
        readHeartbeat();
        hbs = heartbeats.filter((h) => h.ts > start && h.ts <= after.at + 1_100);
      }
      const worst = (f: (h: Heartbeat) => number): number | null => (hbs.length ? Math.max(...hbs.map(f)) : null);
      const stopHbs = hbs.filter((h) => h.stopDecisionP99Us > 0);
      const r: StepResult = {
        target: t.name,
        rate,
        offered,
        sent,
        conflated,
        processed,
        lost: sent - processed,
        sentPerSec: Math.round(floodSent / floodSecs),
        processedPerSec: Math.round(Math.min(processed, floodSent) / busy),
        tickAgeP50Ms: worst((h) => h.tickAgeP50Ms),
        tickAgeP99Ms: worst((h) => h.tickAgeP99Ms),
        tickAgeMaxMs: worst((h) => h.tickAgeMaxMs),
        stopDecisionP99Us: stopHbs.length ? Math.max(...stopHbs.map((h) => h.stopDecisionP99Us)) : null,
        stopWindows: stopHbs.length,
        loopLagP99Ms: worst((h) => h.loopLagP99Ms),
        rssMb: rssMbOf(t.pid),
        cpuPct: round(cpu),
        simCpuPct: round(simCpu),
        held: false,
        ratioToBaseline: null,
        crossed: cross !== null,
      };
      r.held = r.lost === 0 && r.conflated === 0 && (t !== engineTarget || (r.tickAgeP99Ms !== null && r.tickAgeP99Ms < HELD_AGE_P99_MS));
      return r;
    };

    /** Entries happen at minute boundaries: wait if a step of `ms` would overlap [B - before, B + after]. */
    const clearOfBoundary = async (ms: number): Promise<void> => {
      const now = Date.now();
      const next = Math.ceil(now / MINUTE) * MINUTE;
      const prev = next - MINUTE;
      if (now < prev + BOUNDARY_AFTER_MS) await sleep(prev + BOUNDARY_AFTER_MS - now);
      else if (now + ms > next - BOUNDARY_BEFORE_MS) await sleep(next + BOUNDARY_AFTER_MS - now);
    };
    const msToGuard = (): number => Math.ceil(Date.now() / MINUTE) * MINUTE - BOUNDARY_BEFORE_MS - Date.now();
    /** Wall time a step takes: the flood, the sweep across the stop (~2 900 frames), drain and the last heartbeat. */
    const stepMs = (seconds: number, rate: number, cross: boolean): number => seconds * 1000 + 3_000 + (cross ? (3_200 / rate) * 1000 + 300 : 0);
    /** The engine's standing position, waiting (until 8 s past the boundary) for the entry of the candle that just closed. */
    const standing = async (): Promise<Health['position']> => {
      const deadline = Math.floor(Date.now() / MINUTE) * MINUTE + 8_000;
      for (;;) {
        const p = (await health()).position;
        if (p || Date.now() > deadline) return p;
        await sleep(100);
      }
    };

    // 4. baseline steps (the engine is idle meanwhile and waits for its first candle close)
    for (const rate of o.rates) {
      const r = await step(baselineTarget, rate, o.seconds, null);
      result.baseline.push(r);
      o.log(`baseline ${rate}/s: sent ${r.sentPerSec}/s received ${r.processedPerSec}/s lost ${r.lost} conflated ${r.conflated} cpu ${r.cpuPct}%`);
    }
    result.baselineMaxPerSec = Math.max(0, ...result.baseline.map((r) => r.processedPerSec));

    // 5. engine steps; a sweep crosses the standing stop in the last step before each minute boundary
    await until('the first entry', async () => ((await health()).position ? true : null), 75_000, 200).catch(() => {
      result.errors.push('no position opened: stop crossings not exercised');
    });
    for (let i = 0; i < o.rates.length; i++) {
      const rate = o.rates[i]!;
      await clearOfBoundary(stepMs(o.seconds, rate, true));
      const pos = await standing();
      const next = o.rates[i + 1];
      // sweep the stop when the next step will not fit before the boundary (or this is the last one)
      const cross = pos !== null && (next === undefined || msToGuard() < stepMs(o.seconds, rate, true) + stepMs(o.seconds, next, true)) ? pos : null;
      const r = await step(engineTarget, rate, o.seconds, cross);
      const b = result.baseline[i];
      r.ratioToBaseline = b && b.processedPerSec > 0 ? round(r.processedPerSec / b.processedPerSec, 2) : null;
      result.engine.push(r);
      o.log(
        `engine ${rate}/s: sent ${r.sentPerSec}/s processed ${r.processedPerSec}/s lost ${r.lost} conflated ${r.conflated} age p99 ${r.tickAgeP99Ms} ms stop p99 ${r.stopDecisionP99Us} µs${r.crossed ? ' (stop swept)' : ''}`,
      );
    }
    const held = result.engine.filter((r) => r.held);
    result.highestHeldPerSec = Math.max(0, ...held.map((r) => r.processedPerSec));
    result.highestHeldRate = held.length ? Math.max(...held.map((r) => r.rate)) : null;
    result.heldRatio = result.baselineMaxPerSec > 0 ? round(result.highestHeldPerSec / result.baselineMaxPerSec, 2) : 0;

    // 6. soak: one rate, RSS every 10 s
    if (o.soakMinutes > 0) {
      const soakStart = Date.now();
      const soakEnd = soakStart + o.soakMinutes * MINUTE;
      const rss: [number, number][] = [];
      const memory: SoakMemorySample[] = [];
      let nextSample = soakStart + 10_000;
      const sampler = setInterval(() => {
        if (Date.now() >= nextSample) {
          const atSec = Math.round((nextSample - soakStart) / 1000);
          const proc = procMemoryOf(enginePid);
          rss.push([atSec, proc.rssMb]);
          memory.push({ atSec, proc, census: heartbeats[heartbeats.length - 1]?.memory ?? null });
          nextSample += 10_000;
        }
      }, 100);
      const steps: StepResult[] = [];
      const snapshots: SoakResult['heapSnapshots'] = [];
      /** Between floods only: the engine's main thread stops while it writes the file. */
      const heapSnapshot = async (): Promise<void> => {
        const snapDir = o.heapSnapshotDir!;
        const had = new Set(readdirSync(snapDir));
        const rssBeforeMb = rssMbOf(enginePid);
        const t = Date.now();
        process.kill(enginePid, 'SIGUSR2');
        const file = await until(
          'the engine heap snapshot',
          () => readdirSync(snapDir).find((f) => !had.has(f) && f.endsWith('.heapsnapshot') && f.includes(`.${enginePid}.`)) ?? null,
          120_000,
          100,
        );
        // written synchronously on the main thread: once /health answers again, the file is complete
        await until(
          'the engine to answer after its heap snapshot',
          () =>
            health().then(
              () => true,
              () => null,
            ),
          120_000,
          100,
        );
        snapshots.push({
          atSec: Math.round((t - soakStart) / 1000),
          file: path.join(snapDir, file),
          pauseMs: Date.now() - t,
          rssBeforeMb,
          rssAfterMb: rssMbOf(enginePid),
        });
        o.log(`heap snapshot ${file}: engine paused ~${Date.now() - t} ms, RSS ${rssBeforeMb} → ${rssMbOf(enginePid)} MB`);
        await sleep(2_500); // the heartbeat that covers the pause stays out of the next step's windows
      };
      // writing a snapshot raises the engine's RSS by about its heap size for a while: RSS figures after the first
      // snapshot include that, so measure RSS growth with a run that takes none
      const firstSnapshotAt = soakStart + Math.min(SOAK_SETTLED_MS, (o.soakMinutes * MINUTE * 2) / 3);
      try {
        // one flood per minute-boundary window (up to SOAK_STEP_SECONDS), the last one ending with a sweep
        while (soakEnd - Date.now() > 3_000) {
          if (o.heapSnapshotDir && snapshots.length === 0 && Date.now() >= firstSnapshotAt) await heapSnapshot();
          await clearOfBoundary(stepMs(1, o.soakRate, true));
          const budget = Math.min(msToGuard(), soakEnd - Date.now());
          const pos = await standing();
          const crossMs = stepMs(0, o.soakRate, true);
          const secs = Math.min(SOAK_STEP_SECONDS, (budget - crossMs) / 1000);
          if (secs < 1) {
            await sleep(Math.max(100, budget));
            continue;
          }
          steps.push(await step(engineTarget, o.soakRate, secs, pos));
        }
        const want = Math.floor((o.soakMinutes * MINUTE) / 10_000);
        await until('the last RSS sample', () => (rss.length >= want ? true : null), 15_000, 100).catch(() => undefined);
        if (o.heapSnapshotDir) await heapSnapshot(); // after the last RSS sample, which it would inflate
      } finally {
        clearInterval(sampler);
      }
      const first = rss[0]?.[1] ?? NaN;
      const lastRss = rss[rss.length - 1]?.[1] ?? NaN;
      const settled = rss.find(([sec]) => sec >= SOAK_SETTLED_MS / 1000) ?? rss[0] ?? [0, NaN];
      const maxSettled = Math.max(...rss.filter(([sec]) => sec >= settled[0]).map(([, mb]) => mb));
      const pct = (from: number, to: number): number => round(((to - from) / from) * 100, 2);
      let heapDiff: HeapDiff | null = null;
      if (snapshots.length >= 2) {
        heapDiff = diffHeaps(readHeapSnapshot(snapshots[0]!.file), readHeapSnapshot(snapshots[snapshots.length - 1]!.file), 15);
        writeFileSync(path.join(o.heapSnapshotDir!, 'heap-diff.txt'), `${formatHeapDiff(heapDiff)}\n`);
      }
      const windows = rssWindows(rss);
      result.soak = {
        minutes: o.soakMinutes,
        rate: o.soakRate,
        rss,
        rssGrowthPct: pct(first, lastRss),
        rssSettled: {
          fromSec: settled[0],
          fromMb: settled[1],
          growthPct: pct(settled[1], lastRss),
          maxMb: maxSettled,
          maxGrowthPct: pct(settled[1], maxSettled),
        },
        heapSnapshots: snapshots,
        heapDiff,
        rssWindows: windows,
        rssMeanGrowthPct: windows.length >= 3 ? pct(windows[1]!.meanMb, windows[windows.length - 1]!.meanMb) : null,
        memory,
        memoryGrowth: memory.length ? memoryGrowth(memory.find((m) => m.atSec >= settled[0]) ?? memory[0]!, memory[memory.length - 1]!) : [],
        sent: steps.reduce((a, s) => a + s.sent, 0),
        processed: steps.reduce((a, s) => a + s.processed, 0),
        lost: steps.reduce((a, s) => a + s.lost, 0),
        conflated: steps.reduce((a, s) => a + s.conflated, 0),
        tickAgeP99MsWorst: Math.max(0, ...steps.map((s) => s.tickAgeP99Ms ?? 0)),
        stopDecisionP99UsWorst: Math.max(0, ...steps.map((s) => s.stopDecisionP99Us ?? 0)),
      };
      o.log(
        `soak ${o.soakMinutes} min at ${o.soakRate}/s: RSS ${rss.map((s) => s[1]).join(' ')} MB, growth ${result.soak.rssGrowthPct} %, from ${settled[0]} s ${result.soak.rssSettled.growthPct} % (max ${result.soak.rssSettled.maxGrowthPct} %), lost ${result.soak.lost}`,
      );
    }
    clearInterval(hbTimer);

    // 7. stop the engine gracefully, then check every flood that met a standing stop against the journal
    result.final.exitCode = await stopChild(engine, 15_000);
    try {
      const fr = JSON.parse(readFileSync(path.join(stateDir, 'final_report.json'), 'utf8')) as { errors: number; status: string; trades: number };
      result.final.errors = fr.errors;
      result.final.status = fr.status;
      result.final.trades = fr.trades;
    } catch (e) {
      result.errors.push(`final_report.json unreadable: ${(e as Error).message}`);
    }
    const journal = readFileSync(path.join(stateDir, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as JournalEntry);
    const engineFloods = (await getJson<SimFloodReport>(`${simUrl}/sim/flood`)).floods.filter((f) => f.symbol === ENGINE_SYMBOL);
    result.crossings = checkCrossings(engineFloods, journal);
    result.crossingsOk = result.crossings.length > 0 && result.crossings.every((c) => c.ok);
  } catch (e) {
    result.errors.push((e as Error).stack ?? String(e));
  } finally {
    if (engine) await stopChild(engine, 5_000);
    if (baseline) await stopChild(baseline, 2_000);
    if (sim) await stopChild(sim, 3_000);
    killAll();
    process.off('exit', onExit);
    if (!o.keep) rmSync(dir, { recursive: true, force: true });
    else o.log(`kept ${dir}`);
  }
  result.durationSec = Math.round((Date.now() - t0) / 1000);
  return result;
}

// ---- stop-crossing verification ------------------------------------------------------------------

/** Market ts of flood frame k, from the flood's ts log. */
function tsOf(f: FloodRecord, k: number): number {
  let ts = NaN;
  for (let i = 0; i < f.tsLog.length; i += 2) {
    if (f.tsLog[i]! > k) break;
    ts = f.tsLog[i + 1]!;
  }
  return ts;
}

function dropped(f: FloodRecord, k: number): boolean {
  for (let i = 0; i < f.drops.length; i += 2) if (k >= f.drops[i]! && k < f.drops[i]! + f.drops[i + 1]!) return true;
  return false;
}

/**
 * For each flood that began with a position standing (opened before the flood's first frame, no stop moved
 * during it): recompute every frame the engine was sent, find the first that crosses the stop or the target,
 * and require the journal's Exit to carry exactly that frame's ts and price (slippage is 0 in the load test).
 * A flood that crosses nothing must leave the position open.
 */
export function checkCrossings(floods: FloodRecord[], journal: readonly EngineEvent[]): CrossingCheck[] {
  const out: CrossingCheck[] = [];
  for (const f of floods) {
    const base = f.bases[ENGINE_SYMBOL];
    if (base === undefined || f.tsLog.length === 0 || f.rotation.length === 0) continue;
    const firstTs = f.tsLog[1]!;
    const lastTs = f.tsLog[f.tsLog.length - 1]!;
    // the position standing when the flood began: the last Fill at or before its start with no Exit after it
    let fill: FillEvent | null = null;
    let movedDuring = false;
    let exit: ExitEvent | null = null;
    for (const e of journal) {
      if (e.event === 'Fill' && e.at < firstTs) {
        fill = e;
        exit = null;
      } else if (e.event === 'Exit' && fill && e.orderId === fill.orderId) {
        if (e.at < firstTs) fill = null;
        else if (!exit) exit = e;
      } else if (e.event === 'StopMoved' && fill && e.orderId === fill.orderId && !exit && e.at >= firstTs) movedDuring = true;
    }
    if (!fill) continue;
    const long = fill.side === 'LONG';
    const sl = fill.sl;
    const tp = fill.tp;
    const check: CrossingCheck = { floodId: f.id, orderId: fill.orderId, side: fill.side, sl, expected: null, actual: null, ok: false, why: '' };
    if (f.tsLogTruncated) {
      check.why = 'flood log truncated: not verifiable';
      out.push(check);
      continue;
    }
    if (movedDuring) {
      check.why = 'the stop trailed during the flood: not verifiable';
      out.push(check);
      continue;
    }
    const sent = f.sent + f.conflated;
    for (let k = 0; k < sent; k++) {
      if (f.rotation[k % f.rotation.length] !== 'book' || dropped(f, k)) continue;
      const bid = floodBid(base, f.swing, k);
      const ask = Math.round((bid + PRICE_STEP) * 10) / 10;
      const slHit = long ? bid <= sl : ask >= sl;
      const tpHit = long ? bid >= tp : ask <= tp;
      if (slHit || tpHit) {
        check.expected = { k, ts: tsOf(f, k), price: long ? bid : ask, reason: slHit ? 'SL' : 'TP' };
        break;
      }
    }
    const exitInFlood = exit && exit.at <= lastTs ? exit : null;
    if (exitInFlood) check.actual = { at: exitInFlood.at, price: exitInFlood.price, reason: exitInFlood.reason };
    if (!check.expected && !check.actual) continue; // nothing crossed, nothing exited: not a crossing
    if (!check.expected) check.why = 'exit without a crossing frame';
    else if (!check.actual) check.why = 'a frame crossed the stop but the engine did not exit in the flood';
    else if (
      check.actual.at !== check.expected.ts ||
      Math.abs(check.actual.price - check.expected.price) > 1e-9 ||
      check.actual.reason !== check.expected.reason
    ) {
      check.why = 'the exit was not at the first crossing frame';
    } else {
      check.ok = true;
      check.why = 'exit at the first crossing frame';
    }
    out.push(check);
  }
  return out;
}

// ---- report ---------------------------------------------------------------------------------------

const fmt = (x: number | null | undefined, d = 0): string => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));

export function formatTable(r: LoadTestResult): string {
  const head = [
    'rate/s',
    'base recv/s',
    'sent/s',
    'processed/s',
    '× base',
    'lost',
    'confl.',
    'age p50/p99/max ms',
    'stop p99 µs',
    'lag p99 ms',
    'RSS MB',
    'CPU %',
    'sim CPU %',
    'held',
  ];
  const rows = r.engine.map((e, i) => {
    const b = r.baseline[i];
    return [
      String(e.rate),
      fmt(b?.processedPerSec),
      fmt(e.sentPerSec),
      fmt(e.processedPerSec),
      fmt(e.ratioToBaseline, 2),
      String(e.lost),
      String(e.conflated),
      `${fmt(e.tickAgeP50Ms, 1)}/${fmt(e.tickAgeP99Ms, 1)}/${fmt(e.tickAgeMaxMs, 1)}`,
      `${fmt(e.stopDecisionP99Us)}${e.crossed ? '*' : ''}`,
      fmt(e.loopLagP99Ms, 2),
      fmt(e.rssMb),
      fmt(e.cpuPct),
      fmt(e.simCpuPct),
      e.held ? 'yes' : 'no',
    ];
  });
  const bRows = r.baseline.map((b) => [
    String(b.rate),
    fmt(b.sentPerSec),
    fmt(b.processedPerSec),
    String(b.lost),
    String(b.conflated),
    fmt(b.cpuPct),
    fmt(b.simCpuPct),
  ]);
  const table = (h: string[], rs: string[][]): string => {
    const w = h.map((c, i) => Math.max(c.length, ...rs.map((x) => x[i]!.length)));
    const line = (x: string[]): string => `| ${x.map((c, i) => c.padStart(w[i]!)).join(' | ')} |`;
    return [line(h), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rs.map(line)].join('\n');
  };
  const okCross = r.crossings.filter((c) => c.ok).length;
  const lines = [
    `machine: ${r.machine.nproc} cores, ${r.machine.cpu}, node ${r.machine.node}; run ${r.startedAt}, ${r.durationSec} s`,
    '',
    'baseline (bare ws client, JSON.parse only):',
    table(['rate/s', 'sent/s', 'received/s', 'lost', 'confl.', 'CPU %', 'sim CPU %'], bRows),
    '',
    'engine (dist/main.js, live feed path):',
    table(head, rows),
    '(* the step ended with a sweep across the standing stop; age/stop/lag: worst 1-s heartbeat window of the step)',
    '',
    `baseline max receive rate: ${fmt(r.baselineMaxPerSec)}/s; 0.8 × baseline = ${fmt(0.8 * r.baselineMaxPerSec)}/s`,
    `highest rate held (lost 0, conflated 0, tick age p99 < ${HELD_AGE_P99_MS} ms): ${fmt(r.highestHeldPerSec)}/s (step ${r.highestHeldRate ?? '—'}/s) = ${fmt(r.heldRatio, 2)} × baseline ${r.heldRatio >= 0.8 ? '(meets ≥ 0.8)' : '(below 0.8)'}`,
    `stop crossings acted on at the first crossing tick: ${okCross}/${r.crossings.length}${r.crossings
      .filter((c) => !c.ok)
      .map((c) => `\n  flood ${c.floodId} ${c.orderId}: ${c.why} ${JSON.stringify({ expected: c.expected, actual: c.actual })}`)
      .join('')}`,
  ];
  if (r.soak) {
    const s = r.soak;
    lines.push(
      `soak ${s.minutes} min at ${s.rate}/s: RSS every 10 s ${s.rss.map((x) => x[1]).join(', ')} MB; growth ${fmt(s.rssGrowthPct, 2)} % (10 s sample → last), ` +
        `${fmt(s.rssSettled.growthPct, 2)} % (${s.rssSettled.fromSec} s sample ${s.rssSettled.fromMb} MB → last; max after it ${s.rssSettled.maxMb} MB, ${fmt(s.rssSettled.maxGrowthPct, 2)} %); sent ${s.sent}, lost ${s.lost}, conflated ${s.conflated}; worst tick age p99 ${fmt(s.tickAgeP99MsWorst, 1)} ms, stop p99 ${fmt(s.stopDecisionP99UsWorst)} µs`,
    );
    for (const h of s.heapSnapshots)
      lines.push(`heap snapshot at ${h.atSec} s: ${h.file} (engine paused ~${h.pauseMs} ms, RSS ${h.rssBeforeMb} → ${h.rssAfterMb} MB)`);
    if (s.heapDiff) lines.push(`heap diff, first snapshot → last:\n${formatHeapDiff(s.heapDiff)}`);
    if (s.rssWindows.length) {
      lines.push(
        `RSS per 5 min (min/mean/max MB): ${s.rssWindows.map((w) => `${w.fromSec / 60}–${w.toSec / 60}: ${w.minMb}/${w.meanMb}/${w.maxMb}`).join(', ')}`,
      );
      if (s.rssMeanGrowthPct !== null) lines.push(`growth of the 5-minute mean RSS from minutes 5–10 to the last window: ${fmt(s.rssMeanGrowthPct, 2)} %`);
    }
    if (s.memoryGrowth.length) lines.push(`memory from the ${s.rssSettled.fromSec} s sample to the last:\n  ${s.memoryGrowth.join('\n  ')}`);
  }
  lines.push(
    `engine final report: status ${r.final.status ?? '—'}, errors ${r.final.errors ?? '—'}, exit ${r.final.exitCode ?? '—'}, trades ${r.final.trades ?? '—'}`,
  );
  if (r.errors.length) lines.push(`load-test errors:\n  ${r.errors.join('\n  ')}`);
  return lines.join('\n');
}

/** Self time per function from a V8 .cpuprofile, the top `n` (percent of the busy, non-idle time). */
export function profileTop(file: string, n = 25): { busyMs: number; top: { fn: string; selfMs: number; pct: number }[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(p.nodes.map((nd) => [nd.id, nd]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const nd = byId.get(id)!;
    const cf = nd.callFrame;
    const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^file:\/\//, '').replace(ROOT + '/', '')}:${cf.lineNumber + 1}`;
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    if (cf.functionName !== '(idle)') self.set(key, (self.get(key) ?? 0) + dt);
  });
  const busyMs = [...self.values()].reduce((a, b) => a + b, 0);
  const top = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, ms]) => ({ fn, selfMs: round(ms, 1), pct: round((ms / busyMs) * 100, 1) }));
  return { busyMs: round(busyMs), top };
}

// ---- CLI ------------------------------------------------------------------------------------------

async function cli(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--baseline-client') return runBaselineClient(argv[1]!, argv[2]!);
  const { values } = parseArgs({
    args: argv,
    options: {
      rates: { type: 'string', default: '25000,50000,100000,200000,300000,400000,450000,500000,550000,600000,800000' },
      seconds: { type: 'string', default: '3' },
      json: { type: 'string' },
      soak: { type: 'string', default: '0' },
      'soak-rate': { type: 'string', default: '1000' },
      'cpu-prof': { type: 'string' },
      'heap-snapshots': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(
      'npm run load-test -- [--rates 10000,50000,...] [--seconds N] [--json FILE] [--soak MIN --soak-rate R] [--heap-snapshots DIR] [--cpu-prof DIR] [--keep]\n',
    );
    return;
  }
  const rates = values.rates.split(',').map(Number);
  const seconds = Number(values.seconds);
  const soakMinutes = Number(values.soak);
  const soakRate = Number(values['soak-rate']);
  const bad = (m: string): never => {
    process.stderr.write(`load-test: ${m}\n`);
    process.exit(2);
  };
  if (rates.length === 0 || rates.some((r) => !(r > 0 && r <= 2_000_000))) bad('--rates must be numbers in (0, 2000000], comma-separated');
  if (!(seconds > 0 && seconds <= 60)) bad('--seconds must be in (0, 60]');
  if (!(soakMinutes >= 0 && soakMinutes <= 120)) bad('--soak must be minutes in [0, 120]');
  if (!(soakRate > 0 && soakRate <= 200_000)) bad('--soak-rate must be in (0, 200000]');
  const cpuProfDir = values['cpu-prof'] ? path.resolve(values['cpu-prof']) : null;
  const heapSnapshotDir = values['heap-snapshots'] ? path.resolve(values['heap-snapshots']) : null;
  if (heapSnapshotDir && !(soakMinutes > 0)) bad('--heap-snapshots needs --soak');
  if (heapSnapshotDir) mkdirSync(heapSnapshotDir, { recursive: true });
  process.on('SIGINT', () => {
    killAll();
    process.exit(130);
  });
  const r = await runLoadTest({
    rates,
    seconds,
    soakMinutes,
    soakRate,
    cpuProfDir,
    heapSnapshotDir,
    keep: values.keep,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  process.stdout.write(`${formatTable(r)}\n`);
  if (cpuProfDir) {
    // one profile per thread: the engine's main thread is the busiest
    const profiles = readdirSync(cpuProfDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => ({ file: path.join(cpuProfDir, f), ...profileTop(path.join(cpuProfDir, f)) }));
    const main = profiles.sort((a, b) => b.busyMs - a.busyMs)[0];
    if (main) {
      process.stdout.write(`\nengine main-thread CPU profile ${main.file}: ${main.busyMs} ms busy; self time:\n`);
      for (const t of main.top) process.stdout.write(`  ${t.pct.toFixed(1).padStart(5)} %  ${t.selfMs.toFixed(0).padStart(7)} ms  ${t.fn}\n`);
    }
  }
  if (values.json) writeFileSync(values.json, `${JSON.stringify(r, null, 2)}\n`);
  process.exitCode = r.errors.length === 0 ? 0 : 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) void cli();
