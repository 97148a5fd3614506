// Kill -9 torture (docs/reliability.md §4, docs/targets.md §4): run the built engine (dist/main.js) on the embedded simulator with a
// fast-trading plugin on ONE state directory, SIGKILL it at a seeded random instant, restart, N times;
// then a clean run stopped with SIGINT. While each run lives, the state dir is polled: every state.json and
// heartbeat.json seen must parse and validate, and every complete journal line and snapshot seen is an
// acknowledgement the end state must honour. At the end the journal must be whole, gap-free and free of
// duplicate fills/exits, and its fold must give exactly state.json and final_report.json.
//
//   node --import tsx scripts/torture.ts [--kills N] [--seed S] [--state-dir DIR]
//
// Prints one summary line (and every violation); exits 1 on any violation.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { JournalEntry } from '../src/shared/events.js';
import { JournalFold } from '../src/shared/journal-fold.js';
import { createRng } from '../src/shared/rng.js';
import { brokerStateOf, validateSnapshot } from '../src/shared/state-schema.js';
import type { BrokerState, StateSnapshot } from '../src/shared/types.js';
import { logLines } from '../tests/helpers/engine.js';

const ROOT = path.resolve(import.meta.dirname, '..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');
export const FAST_STRATEGY = path.join(ROOT, 'tests', 'fixtures', 'fast-strategy.mjs');
// Kills land from start-up (before ready) to well into trading: a restart is ready in about 0.6-0.8 s, and the
// rest of the window is what each run trades in (at 120x, a candle close every 0.5 s).
const KILL_MIN_MS = 300;
const KILL_MAX_MS = 4000;
const CLEAN_RUN_MS = 1500;
const POLL_MS = 40;
const EXIT_TIMEOUT_MS = 20_000;

/** A journal line as read back, untyped: the journal under test may be damaged, so each field is checked. */
type Line = { seq: number; event: string; [k: string]: unknown };

/** What the harness saw in the state dir while engines ran: each is an acknowledgement. */
export interface Observations {
  /** Complete journal lines seen, by seq (exact text). */
  lines: Map<number, string>;
  /** Snapshots seen in state.json, by seq. */
  snapshots: Map<number, StateSnapshot>;
}

export interface RunRecord {
  index: number;
  simSeed: number;
  seed: number;
  /** SIGKILL this long after spawn; null for the final clean run (SIGINT). */
  killAfterMs: number | null;
  /** Spawn → first "ready" log line; null if killed before. */
  readyMs: number | null;
  exit: { code: number | null; signal: NodeJS.Signals | null };
  /** Fill/Exit log lines (orderId, and seq when the engine logs it). */
  logged: { event: 'Fill' | 'Exit'; orderId: string; seq: number | null }[];
  /** Highest journal seq the engine reported durable in a heartbeat line (`durableSeq`), if it does. */
  durableSeq: number | null;
  truncatedTail: boolean;
  problems: string[];
}

export interface TortureResult {
  stateDir: string;
  kills: number;
  seed: number;
  runs: RunRecord[];
  observations: Observations;
  violations: string[];
  stats: {
    events: number;
    fills: number;
    exits: number;
    truncations: number;
    killedBeforeReady: number;
    readyP50Ms: number;
    readyMaxMs: number;
    /** Fill/Exit lines logged before a kill that never reached the journal (never acknowledged). */
    loggedNotJournaled: number;
    /** Whether the engine logs durableSeq/seq, so the stdout acknowledgement check could run. */
    ackCheckFromLogs: boolean;
  };
}

export interface TortureOptions {
  kills: number;
  seed: number;
  stateDir?: string;
  /** Progress lines (one per run). */
  progress?: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function engineArgs(stateDir: string, simSeed: number, seed: number): string[] {
  return [
    '--feed',
    'sim',
    '--sim-speed',
    '120',
    '--sim-seed',
    String(simSeed),
    '--seed',
    String(seed),
    '--state-dir',
    stateDir,
    '--strategy',
    FAST_STRATEGY,
    '--min-trade-interval',
    '0',
    '--stop-bps',
    '5',
    '--tp-r',
    '1',
    '--risk-pct',
    '0.01',
    '--max-losses',
    '100000',
    '--max-drawdown-pct',
    '100',
    '--latency-ms',
    '0-50',
  ];
}

/** Read what is visible in the state dir right now into `obs`; returns problems (never throws). */
export function observe(dir: string, obs: Observations): string[] {
  const problems: string[] = [];
  const read = (name: string): string | null => {
    try {
      return readFileSync(path.join(dir, name), 'utf8');
    } catch {
      return null;
    }
  };
  const state = read('state.json');
  if (state !== null) {
    let snap: unknown;
    try {
      snap = JSON.parse(state);
    } catch {
      problems.push(`state.json seen unparseable (${state.length} bytes)`);
    }
    const invalid = snap === undefined ? null : validateSnapshot(snap);
    if (invalid) problems.push(`state.json seen invalid: ${invalid}`);
    else if (snap !== undefined) {
      const s = snap as StateSnapshot;
      const seen = obs.snapshots.get(s.seq);
      if (seen && !isDeepStrictEqual(brokerStateOf(seen), brokerStateOf(s))) problems.push(`two different snapshots with seq ${s.seq}`);
      if (!seen) obs.snapshots.set(s.seq, s);
    }
  }
  const hb = read('heartbeat.json');
  if (hb !== null) {
    try {
      JSON.parse(hb);
    } catch {
      problems.push(`heartbeat.json seen unparseable (${hb.length} bytes)`);
    }
  }
  const journal = read('events.jsonl');
  if (journal !== null) {
    const complete = journal.slice(0, journal.lastIndexOf('\n') + 1);
    for (const text of complete.split('\n')) {
      if (text === '') continue;
      let seq: unknown;
      try {
        seq = (JSON.parse(text) as Line).seq;
      } catch {
        problems.push(`a complete journal line does not parse: ${text.slice(0, 80)}`);
        continue;
      }
      if (typeof seq === 'number' && !obs.lines.has(seq)) obs.lines.set(seq, text);
    }
  }
  return problems;
}

/** One engine run: spawned, polled, then SIGKILLed after `killAfterMs` (or SIGINTed after ready + CLEAN_RUN_MS). */
async function runEngine(index: number, dir: string, simSeed: number, seed: number, killAfterMs: number | null, obs: Observations): Promise<RunRecord> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [MAIN, ...engineArgs(dir, simSeed, seed)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let readyMs: number | null = null;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (readyMs === null && /"msg":"[^"]*: ready"/.test(out)) readyMs = performance.now() - t0;
  });
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let exited: RunRecord['exit'] | null = null;
  const exit = new Promise<RunRecord['exit']>((resolve) => child.on('exit', (code, signal) => resolve((exited = { code, signal }))));
  const problems: string[] = [];
  const poll = (): void => {
    for (const p of observe(dir, obs)) if (!problems.includes(p)) problems.push(p);
  };
  const timer = setInterval(poll, POLL_MS);
  try {
    if (killAfterMs !== null) {
      while (performance.now() - t0 < killAfterMs && !exited) await sleep(Math.min(POLL_MS, killAfterMs - (performance.now() - t0)));
      poll();
      if (!exited) child.kill('SIGKILL');
    } else {
      const end = performance.now() + EXIT_TIMEOUT_MS;
      while (readyMs === null && !exited && performance.now() < end) await sleep(POLL_MS);
      await sleep(CLEAN_RUN_MS);
      poll();
      if (!exited) child.kill('SIGINT');
    }
    let guard: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (guard = setTimeout(() => resolve(null), EXIT_TIMEOUT_MS)));
    if ((await Promise.race([exit, timeout])) === null) {
      problems.push(`did not exit within ${EXIT_TIMEOUT_MS} ms`);
      child.kill('SIGKILL');
    }
    clearTimeout(guard);
  } finally {
    clearInterval(timer);
  }
  const ended = await exit;
  poll();

  const logs = logLines(out);
  const expected = killAfterMs !== null ? ended.signal === 'SIGKILL' : ended.code === 0;
  if (!expected) {
    problems.push(`exited on its own with code ${ended.code} signal ${ended.signal}: ${(err || out).trim().slice(-1500)}`);
  }
  for (const l of logs) {
    if (l.level >= 50) problems.push(`logged an error: ${l.msg}`);
    else if (/quarantined|skipped/.test(l.msg)) problems.push(`load warning: ${l.msg}`);
  }
  const logged: RunRecord['logged'] = [];
  let durableSeq: number | null = null;
  for (const l of logs) {
    if (/^(FILL|EXIT) /.test(l.msg) && typeof l.orderId === 'string') {
      logged.push({ event: l.msg.startsWith('FILL') ? 'Fill' : 'Exit', orderId: l.orderId, seq: typeof l.seq === 'number' ? l.seq : null });
    }
    if (l.hb === true && typeof l.durableSeq === 'number') durableSeq = Math.max(durableSeq ?? 0, l.durableSeq);
  }
  if (killAfterMs === null && readyMs === null) problems.push('the clean run never became ready');
  return {
    index,
    simSeed,
    seed,
    killAfterMs,
    readyMs,
    exit: ended,
    logged,
    durableSeq,
    truncatedTail: logs.some((l) => l.msg === 'journal: torn last line truncated'),
    problems,
  };
}

/** All end-state checks; each violation is one line saying what and where. */
export function verifyStateDir(dir: string, obs: Observations, runs: RunRecord[]): string[] {
  const v: string[] = [];
  const text = readFileSync(path.join(dir, 'events.jsonl'), 'utf8');
  if (text.length > 0 && !text.endsWith('\n')) v.push('events.jsonl ends with an unterminated line after a clean stop');
  const entries: Line[] = [];
  const lineBySeq = new Map<number, string>();
  text.split('\n').forEach((l, i) => {
    if (l === '') return;
    try {
      const e = JSON.parse(l) as Line;
      entries.push(e);
      lineBySeq.set(e.seq, l);
    } catch {
      v.push(`events.jsonl line ${i + 1} does not parse`);
    }
  });

  // seq: strictly increasing, no gaps (a gap is only allowed where a run truncated a torn tail)
  const truncatingRuns = runs.filter((r) => r.truncatedTail).length;
  let gaps = 0;
  for (let i = 1; i < entries.length; i++) {
    const [a, b] = [entries[i - 1]!, entries[i]!];
    if (b.seq <= a.seq) v.push(`seq ${b.seq} after ${a.seq}: not strictly increasing`);
    else if (b.seq !== a.seq + 1) {
      gaps++;
      if (b.event !== 'SessionStart' || gaps > truncatingRuns) v.push(`seq gap ${a.seq} → ${b.seq} (${b.event})`);
    }
  }

  // fills and exits: no fill twice, every exit closes a filled order, once
  const filled = new Set<string>();
  const exited = new Set<string>();
  for (const e of entries) {
    const id = String(e.orderId);
    if (e.event === 'Fill') {
      if (filled.has(id)) v.push(`Fill ${id} appears twice (seq ${e.seq})`);
      filled.add(id);
    } else if (e.event === 'Exit') {
      if (!filled.has(id)) v.push(`Exit ${id} (seq ${e.seq}) without a preceding Fill`);
      if (exited.has(id)) v.push(`Exit ${id} appears twice (seq ${e.seq})`);
      exited.add(id);
    }
  }

  // acknowledged = seen by the harness while an engine ran: a complete journal line, or a snapshot
  for (const [seq, line] of obs.lines) {
    const now = lineBySeq.get(seq);
    if (now === undefined) v.push(`journal line seq ${seq} was visible during a run and is missing now`);
    else if (now !== line) v.push(`journal line seq ${seq} changed since it was seen`);
  }
  const genesis = entries.find((e) => e.event === 'SessionStart');
  if (!genesis || typeof genesis.balance !== 'number' || typeof genesis.at !== 'number') {
    v.push('no SessionStart with balance and at in the journal');
    return v;
  }
  // The engine's own recovery fold, from nothing: what a start with no snapshot would restore.
  const fold = new JournalFold(null, genesis.balance);
  const snaps = [...obs.snapshots.values()].sort((a, b) => a.seq - b.seq);
  let si = 0;
  const checkSnapsUpTo = (seq: number): void => {
    for (; si < snaps.length && snaps[si]!.seq <= seq; si++) {
      if (!isDeepStrictEqual(brokerStateOf(snaps[si]!), fold.result))
        v.push(`snapshot seq ${snaps[si]!.seq} seen during a run differs from the journal fold up to it`);
    }
  };
  for (const e of entries) {
    checkSnapsUpTo(e.seq - 1);
    try {
      fold.add(e as unknown as JournalEntry);
    } catch (err) {
      v.push(`fold fails at seq ${e.seq}: ${(err as Error).message}`);
    }
  }
  checkSnapsUpTo(Number.POSITIVE_INFINITY);
  const state = fold.result;

  // the end state: state.json and final_report.json are exactly the fold
  const final = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as StateSnapshot;
  const invalid = validateSnapshot(final);
  if (invalid) v.push(`final state.json invalid: ${invalid}`);
  if (final.seq !== entries.at(-1)?.seq) v.push(`final state.json seq ${final.seq} ≠ last journal seq ${entries.at(-1)?.seq}`);
  const broker = brokerStateOf(final);
  for (const key of Object.keys({ ...state, ...broker }) as (keyof BrokerState)[]) {
    if (!isDeepStrictEqual(state[key], broker[key])) {
      v.push(`state.json ${key} ${JSON.stringify(broker[key])?.slice(0, 120)} ≠ journal fold ${JSON.stringify(state[key])?.slice(0, 120)}`);
    }
  }
  const reportFile = path.join(dir, 'final_report.json');
  if (!existsSync(reportFile)) v.push('final_report.json missing after the clean stop');
  else {
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as { equity: number; position: unknown; exitCode: number };
    if (report.equity !== Math.round(state.equity * 1e4) / 1e4) v.push(`final_report equity ${report.equity} ≠ journal fold ${state.equity}`);
    if (!isDeepStrictEqual(report.position, state.position)) v.push('final_report position ≠ journal fold');
    if (report.exitCode !== 0) v.push(`final_report exitCode ${report.exitCode}`);
  }

  // acknowledged by the engine's own logs: a Fill/Exit whose seq a heartbeat reported durable
  for (const r of runs) {
    if (r.durableSeq === null) continue;
    for (const l of r.logged) {
      if (l.seq !== null && l.seq <= r.durableSeq && lineBySeq.get(l.seq)?.includes(`"orderId":"${l.orderId}"`) !== true) {
        v.push(`run ${r.index}: ${l.event} ${l.orderId} seq ${l.seq} reported durable but not in the journal`);
      }
    }
  }
  for (const r of runs) for (const p of r.problems) v.push(`run ${r.index}: ${p}`);
  return v;
}

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

export async function runTorture(opts: TortureOptions): Promise<TortureResult> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} not found: run npm run build first`);
  const stateDir = opts.stateDir ?? path.join(mkdtempSync(path.join(tmpdir(), 'la-torture-')), 'BTCUSDT');
  const rng = createRng(opts.seed);
  const obs: Observations = { lines: new Map(), snapshots: new Map() };
  const runs: RunRecord[] = [];
  for (let i = 0; i <= opts.kills; i++) {
    const simSeed = rng.int(1, 1_000_000);
    const seed = rng.int(1, 1_000_000);
    const killAfterMs = i < opts.kills ? Math.round(rng.uniform(KILL_MIN_MS, KILL_MAX_MS)) : null;
    const r = await runEngine(i, stateDir, simSeed, seed, killAfterMs, obs);
    runs.push(r);
    opts.progress?.(
      `run ${i}: ${killAfterMs === null ? 'clean stop' : `kill -9 at ${killAfterMs} ms`}, ready ${r.readyMs === null ? '-' : `${r.readyMs.toFixed(0)} ms`}, ` +
        `fills ${r.logged.filter((l) => l.event === 'Fill').length}${r.truncatedTail ? ', torn tail truncated' : ''}${r.problems.length ? `, PROBLEMS: ${r.problems.join('; ')}` : ''}`,
    );
  }
  const violations = verifyStateDir(stateDir, obs, runs);
  const entries = readFileSync(path.join(stateDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Line);
  const journaled = new Set(entries.filter((e) => e.event === 'Fill' || e.event === 'Exit').map((e) => `${e.event}:${String(e.orderId)}`));
  // restarts only: run 0 starts fresh
  const ready = runs.slice(1).flatMap((r) => (r.readyMs === null ? [] : [r.readyMs]));
  return {
    stateDir,
    kills: opts.kills,
    seed: opts.seed,
    runs,
    observations: obs,
    violations,
    stats: {
      events: entries.length,
      fills: entries.filter((e) => e.event === 'Fill').length,
      exits: entries.filter((e) => e.event === 'Exit').length,
      truncations: runs.filter((r) => r.truncatedTail).length,
      killedBeforeReady: runs.filter((r) => r.killAfterMs !== null && r.readyMs === null).length,
      readyP50Ms: Math.round(percentile(ready, 50)),
      readyMaxMs: Math.round(Math.max(...ready)),
      loggedNotJournaled: runs.flatMap((r) => r.logged).filter((l) => !journaled.has(`${l.event}:${l.orderId}`)).length,
      ackCheckFromLogs: runs.some((r) => r.durableSeq !== null && r.logged.some((l) => l.seq !== null)),
    },
  };
}

export function summaryLine(r: TortureResult): string {
  const s = r.stats;
  return (
    `torture: kills=${r.kills} seed=${r.seed} events=${s.events} fills=${s.fills} exits=${s.exits} ` +
    `torn-tails-truncated=${s.truncations} killed-before-ready=${s.killedBeforeReady} ` +
    `restart-to-ready p50=${s.readyP50Ms}ms max=${s.readyMaxMs}ms logged-not-journaled=${s.loggedNotJournaled} ` +
    `ack-check-from-logs=${s.ackCheckFromLogs ? 'on' : 'off (engine logs no durableSeq)'} violations=${r.violations.length} dir=${r.stateDir}`
  );
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const args = process.argv.slice(2);
  const kills = Number(flag(args, '--kills') ?? 30);
  const seed = Number(flag(args, '--seed') ?? 1);
  if (!Number.isInteger(kills) || kills < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: node --import tsx scripts/torture.ts [--kills N] [--seed S] [--state-dir DIR]\n');
    process.exit(2);
  }
  const result = await runTorture({ kills, seed, stateDir: flag(args, '--state-dir'), progress: (l) => process.stdout.write(`${l}\n`) });
  for (const v of result.violations) process.stdout.write(`VIOLATION ${v}\n`);
  process.stdout.write(`${summaryLine(result)}\n`);
  process.exit(result.violations.length > 0 ? 1 : 0);
}
