// Restart cost against journal length: how long the built engine takes from spawn to "ready" (market
// data flowing) and its peak RSS on the way, with N extra lines in events.jsonl. Per N, on one state dir:
//
//   1. a first run on the embedded simulator, stopped with SIGINT (state.json, a short journal), and a
//      copy of that state dir to which N ordinary events (session facts and broker events that fit any
//      state) with increasing seq are appended, as if the stopped engine had run for long;
//   2. "tail": restarts with the N lines after the snapshot (each from a fresh copy: the restart folds
//      them all, then its clean stop writes a snapshot that includes them);
//   3. "short" and "history", alternating: restarts with the short journal (the reference) and with the
//      N lines before the snapshot (what a year of running leaves).
//
//   node --import tsx scripts/restart-cost.ts [--lines 1000,100000,1000000] [--repeat 5] [--json FILE]
//
// RESTART_DIST measures another build's dist/ (e.g. the tree before a change). Prints one table row per
// N; the figure per cell is the median of --repeat restarts; peak RSS is VmHWM read at ready.
import { spawn } from 'node:child_process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { machineInfo } from './load-test.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
const DIST = process.env.RESTART_DIST ? path.resolve(process.env.RESTART_DIST) : path.join(ROOT, 'dist');
const MAIN = path.join(DIST, 'main.js');
const READY_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 30_000;
/** The first run trades this long before its stop, so the state has a snapshot and a short journal. */
const FIRST_RUN_MS = 2_000;

const engineArgs = (stateDir: string): string[] => [
  MAIN,
  '--feed',
  'sim',
  '--sim-speed',
  '60',
  '--sim-seed',
  '3',
  '--seed',
  '5',
  '--symbol',
  'BTCUSDT',
  '--state-dir',
  stateDir,
];

export interface Restart {
  readyMs: number;
  peakRssMb: number;
  /** What the engine said it loaded (its StateLoaded journal line). */
  loaded: { source: string; replayed: number; journalRead?: { from: number; bytes: number } };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`restart-cost: no VmHWM for pid ${pid}`);
  return Math.round((Number(m[1]) / 1024) * 10) / 10;
}

/** Spawn the engine, time spawn → ready, read its peak RSS, wait `holdMs`, stop it with SIGINT. */
async function runOnce(stateDir: string, holdMs: number): Promise<{ readyMs: number; peakRssMb: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, engineArgs(stateDir), { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let readyMs: number | null = null;
  let peak = NaN;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (readyMs === null && /"msg":"[^"]*: ready"/.test(out)) {
      readyMs = performance.now() - t0;
      peak = peakRssMb(child.pid!);
    }
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exited = false;
  void exit.then(() => (exited = true));
  try {
    const end = performance.now() + READY_TIMEOUT_MS;
    while (readyMs === null && !exited && performance.now() < end) await sleep(10);
    if (readyMs === null) throw new Error(`restart-cost: the engine never became ready: ${(err || out).slice(-2000)}`);
    await sleep(holdMs);
    child.kill('SIGINT');
    let guard: NodeJS.Timeout | undefined;
    const code = await Promise.race([exit, new Promise<'timeout'>((r) => (guard = setTimeout(() => r('timeout'), EXIT_TIMEOUT_MS)))]);
    clearTimeout(guard);
    if (code !== 0) throw new Error(`restart-cost: the engine stopped with ${String(code)}: ${(err || out).slice(-2000)}`);
    return { readyMs, peakRssMb: peak };
  } finally {
    if (!exited) child.kill('SIGKILL');
  }
}

/** The engine's last StateLoaded line, read from the end of the journal. */
function lastStateLoaded(stateDir: string): Restart['loaded'] {
  const file = path.join(stateDir, 'events.jsonl');
  const size = statSync(file).size;
  const n = Math.min(size, 256 * 1024);
  const buf = Buffer.alloc(n);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, n, size - n);
  } finally {
    closeSync(fd);
  }
  const line = buf
    .toString('utf8')
    .split('\n')
    .reverse()
    .find((l) => l.includes('"event":"StateLoaded"'));
  if (!line) throw new Error('restart-cost: no StateLoaded in the last 256 KB of the journal');
  return JSON.parse(line) as Restart['loaded'];
}

async function restart(stateDir: string): Promise<Restart> {
  const r = await runOnce(stateDir, 300);
  return { ...r, loaded: lastStateLoaded(stateDir) };
}

function lastSeq(file: string): number {
  const size = statSync(file).size;
  const buf = Buffer.alloc(Math.min(size, 64 * 1024));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, size - buf.length);
  } finally {
    closeSync(fd);
  }
  const last = buf.toString('utf8').trimEnd().split('\n').at(-1)!;
  return (JSON.parse(last) as { seq: number }).seq;
}

/**
 * Append `n` ordinary events after the journal's last seq: a connection cycle, a queued order, a funding
 * payment and a breaker day roll (broker events valid in any state), in rotation.
 */
export function appendOrdinaryEvents(file: string, n: number): void {
  let seq = lastSeq(file);
  const t = Date.now();
  const make = (i: number): object => {
    const at = t - (n - i) * 60_000;
    switch (i % 5) {
      case 0:
        return { event: 'WsConnected', reconnects: i };
      case 1:
        return { event: 'OrderQueued', orderId: `bench-${i}`, side: 'LONG', qty: 0.01, sl: 60_000, tp: 61_000, refPrice: 60_500 };
      case 2:
        return { event: 'FundingApplied', rate: 0.0001, amount: 0, fundingTime: at, side: 'LONG', at };
      case 3:
        return { event: 'WsDisconnected', reason: 'close 1006', retryInMs: 1000, consecutiveFailures: 1 };
      default:
        return { event: 'BreakerReset', day: new Date(at).toISOString().slice(0, 10), dayStartEquity: 10_000, at };
    }
  };
  const fd = openSync(file, 'a');
  try {
    for (let i = 0; i < n; ) {
      const lines: string[] = [];
      for (const end = Math.min(n, i + 10_000); i < end; i++) lines.push(JSON.stringify({ seq: ++seq, ts: t, ...make(i) }));
      writeSync(fd, `${lines.join('\n')}\n`);
    }
  } finally {
    closeSync(fd);
  }
}

export interface Row {
  lines: number;
  journalMb: number;
  short: Restart[];
  tail: Restart[];
  history: Restart[];
}

async function measure(lines: number, repeat: number, log: (l: string) => void): Promise<Row> {
  const base = mkdtempSync(path.join(tmpdir(), 'la-restart-'));
  const shortDir = path.join(base, 'short', 'BTCUSDT');
  const longDir = path.join(base, 'long', 'BTCUSDT');
  const pristine = path.join(base, 'pristine');
  try {
    await runOnce(shortDir, FIRST_RUN_MS);
    cpSync(shortDir, longDir, { recursive: true }); // the same state, then N more lines
    appendOrdinaryEvents(path.join(longDir, 'events.jsonl'), lines);
    const journalMb = Math.round((statSync(path.join(longDir, 'events.jsonl')).size / 2 ** 20) * 10) / 10;
    cpSync(longDir, pristine, { recursive: true });
    const tail: Restart[] = [];
    for (let i = 0; i < repeat; i++) {
      if (i > 0) {
        rmSync(longDir, { recursive: true });
        cpSync(pristine, longDir, { recursive: true });
      }
      tail.push(await restart(longDir));
    }
    // short and long journal restarts alternate, so a busy moment on the machine hits both alike
    const short: Restart[] = [];
    const history: Restart[] = [];
    for (let i = 0; i < repeat; i++) {
      short.push(await restart(shortDir));
      history.push(await restart(longDir));
    }
    const row = { lines, journalMb, short, tail, history };
    log(rowText(row));
    return row;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const cell = (rs: Restart[]): string => `${median(rs.map((r) => r.readyMs)).toFixed(0)} ms, ${median(rs.map((r) => r.peakRssMb)).toFixed(0)} MB`;

export function rowText(r: Row): string {
  const ratio = median(r.history.map((x) => x.readyMs)) / median(r.short.map((x) => x.readyMs));
  const read = r.history.at(-1)!.loaded.journalRead;
  return (
    `| ${r.lines.toLocaleString('en-US')} | ${r.journalMb} | ${cell(r.short)} | ${cell(r.tail)} | ${cell(r.history)} | ${ratio.toFixed(2)} | ` +
    `${read ? `${read.bytes.toLocaleString('en-US')} of ${(read.from + read.bytes).toLocaleString('en-US')}` : '(not reported)'} |`
  );
}

export const HEADER =
  '| extra lines | events.jsonl MB | short journal: ready, peak RSS | N lines after the snapshot | N lines before the snapshot | before ÷ short | journal bytes read (before) |\n' +
  '|---|---|---|---|---|---|---|';

async function cli(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { lines: { type: 'string', default: '1000,100000,1000000' }, repeat: { type: 'string', default: '5' }, json: { type: 'string' } },
  });
  const lines = values.lines.split(',').map(Number);
  const repeat = Number(values.repeat);
  if (lines.some((n) => !(Number.isInteger(n) && n > 0 && n <= 10_000_000))) throw new Error('--lines: integers in [1, 10000000], comma-separated');
  if (!(Number.isInteger(repeat) && repeat >= 1 && repeat <= 20)) throw new Error('--repeat: an integer in [1, 20]');
  const m = machineInfo();
  console.log(`restart cost: ${MAIN}, ${m.nproc} CPU ${m.cpu}, node ${m.node}, median of ${repeat}`);
  console.log(HEADER);
  const rows: Row[] = [];
  for (const n of lines) rows.push(await measure(n, repeat, (l) => console.log(l)));
  if (values.json) writeFileSync(values.json, JSON.stringify({ machine: m, dist: DIST, rows }, null, 2));
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  cli().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
