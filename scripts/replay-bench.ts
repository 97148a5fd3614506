// Replay benchmark: a month of 1-minute candles at --speed max, this tree against the first edition (commit
// b796c7a, built here in a temporary git worktree), run alternately in one session so both see the same
// machine. Per run: wall time of the whole process (start to exit), ticks processed (final_report.json),
// ticks per second of wall time, peak RSS (the process's VmHWM, Linux), and CPU time (user + system) of all its
// threads and of its main thread alone (from /proc, sampled with the RSS: on two cores the wall time of a run
// that keeps both busy follows its total CPU). Journals of this tree's runs
// are compared after normalisation (each line's ts, SessionStart's pid and at) to show they are identical.
//
//   npm run replay-bench -- [--file CSV] [--runs N] [--baseline COMMIT] [--run-timeout SEC] [--json FILE] [--keep]
//
// A run that has not ended after --run-timeout seconds (the first edition's replay sometimes never ends) is
// stopped, counted as hung and run again, up to 3 attempts. Every child is waited for; the temporary
// worktree is removed at the end unless --keep.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { journalNormalForm } from '../src/shared/journal-normal-form.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MONTH = path.resolve(ROOT, '..', 'shared', 'data', 'binance_spot_BTCUSDT_1m_2024-12_privet1x.csv');
const FIRST_EDITION = 'b796c7a';
const SEED = '7';
const RSS_POLL_MS = 10;
/** USER_HZ of /proc's times (100 on Linux). */
const CLOCK_TICKS_PER_SEC = 100;
const ATTEMPTS = 3;

interface RunResult {
  build: string;
  run: number;
  wallSec: number;
  ticks: number;
  ticksPerSec: number;
  peakRssMb: number;
  /** CPU seconds of all threads, and of the main thread (the last sample before exit). */
  cpuSec: number;
  mainCpuSec: number;
  exitCode: number | null;
  /** Attempts before this one that never ended. */
  hung: number;
  journal: string;
}

const { values: args } = parseArgs({
  options: {
    file: { type: 'string', default: MONTH },
    runs: { type: 'string', default: '3' },
    baseline: { type: 'string', default: FIRST_EDITION },
    'run-timeout': { type: 'string', default: '60' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

/** Peak resident set of a live process (kB → MB), or 0 once it is gone. */
function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0; // exited between two polls: the last reading stands
  }
}

/** CPU seconds (user + system) in a /proc stat file, or NaN once the process is gone. */
function cpuSecOf(statPath: string): number {
  try {
    const st = readFileSync(statPath, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SEC;
  } catch {
    return Number.NaN;
  }
}

function normalisedJournal(stateDir: string): string {
  return journalNormalForm(readFileSync(path.join(stateDir, 'events.jsonl'), 'utf8'));
}

/** One run, or null when it had not ended after the timeout (it is stopped). */
async function replayOnce(build: string, dist: string, file: string, stateDir: string, n: number): Promise<Omit<RunResult, 'hung'> | null> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      path.join(dist, 'main.js'),
      '--feed',
      'replay',
      '--replay',
      file,
      '--speed',
      'max',
      '--seed',
      SEED,
      '--state-dir',
      stateDir,
      '--max-drawdown-pct',
      '100',
      '--max-losses',
      '1000000',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let peak = 0;
  let cpu = 0;
  let mainCpu = 0;
  const poll = setInterval(() => {
    peak = Math.max(peak, peakRssMb(child.pid!));
    const all = cpuSecOf(`/proc/${child.pid}/stat`);
    const main = cpuSecOf(`/proc/${child.pid}/task/${child.pid}/stat`);
    if (!Number.isNaN(all)) cpu = all;
    if (!Number.isNaN(main)) mainCpu = main;
  }, RSS_POLL_MS);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, Number(args['run-timeout']) * 1000);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(poll);
  clearTimeout(timer);
  if (timedOut) return null;
  const wallSec = (performance.now() - started) / 1000;
  if (exitCode !== 0) throw new Error(`${build} run ${n} exited ${exitCode}: ${stderr.slice(-2000)}`);
  const report = JSON.parse(readFileSync(path.join(stateDir, 'final_report.json'), 'utf8')) as { ticks: number };
  return {
    build,
    run: n,
    wallSec: Math.round(wallSec * 100) / 100,
    ticks: report.ticks,
    ticksPerSec: Math.round(report.ticks / wallSec),
    peakRssMb: Math.round(peak * 10) / 10,
    cpuSec: Math.round(cpu * 100) / 100,
    mainCpuSec: Math.round(mainCpu * 100) / 100,
    exitCode,
    journal: normalisedJournal(stateDir),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const file = path.resolve(args.file!);
  if (!existsSync(file)) throw new Error(`no candle file at ${file}`);
  const runs = Number(args.runs);
  const work = mkdtempSync(path.join(tmpdir(), 'la-replay-bench-'));
  const baseTree = path.join(work, args.baseline!);
  try {
    // The first edition, built from its own commit in a worktree that borrows this tree's node_modules.
    execFileSync('git', ['worktree', 'add', '--detach', baseTree, args.baseline!], { cwd: ROOT, stdio: 'ignore' });
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(baseTree, 'node_modules'));
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: baseTree, stdio: 'inherit' });
    const builds: [string, string][] = [
      [args.baseline!, path.join(baseTree, 'dist')],
      ['this tree', path.join(ROOT, 'dist')],
    ];
    const results: RunResult[] = [];
    /** Builds of runs left out because every attempt hung, one entry per run. */
    const hungOut: string[] = [];
    for (let n = 1; n <= runs; n++) {
      for (const [name, dist] of n % 2 ? builds : [...builds].reverse()) {
        let hung = 0;
        let r: Omit<RunResult, 'hung'> | null = null;
        while (r === null && hung < ATTEMPTS) {
          r = await replayOnce(name, dist, file, path.join(work, `${name.replace(/\W/g, '_')}-${n}-${hung}`), n);
          if (r === null) {
            hung++;
            console.log(`${name.padEnd(10)} run ${n}: had not ended after ${args['run-timeout']} s: stopped, run again`);
          }
        }
        if (r === null) {
          // The first edition's replay hangs now and then; one run that never ends does not void the others.
          hungOut.push(name);
          console.log(`${name.padEnd(10)} run ${n}: ${ATTEMPTS} attempts never ended: left out of the medians`);
          continue;
        }
        results.push({ ...r, hung });
        console.log(
          `${name.padEnd(10)} run ${n}: ${r.wallSec.toFixed(2)} s, ${r.ticks} ticks, ${r.ticksPerSec} ticks/s, peak RSS ${r.peakRssMb} MB, CPU ${r.cpuSec.toFixed(2)} s (main thread ${r.mainCpuSec.toFixed(2)} s)`,
        );
      }
    }
    const summary = builds.map(([name]) => {
      const mine = results.filter((r) => r.build === name);
      if (mine.length === 0) throw new Error(`${name}: no run ended (${runs} runs, ${ATTEMPTS} attempts each)`);
      const leftOut = hungOut.filter((b) => b === name).length;
      return {
        build: name,
        hungRuns: mine.reduce((a, r) => a + r.hung, 0) + leftOut * ATTEMPTS,
        runsLeftOut: leftOut,
        medianWallSec: median(mine.map((r) => r.wallSec)),
        medianTicksPerSec: median(mine.map((r) => r.ticksPerSec)),
        maxPeakRssMb: Math.max(...mine.map((r) => r.peakRssMb)),
        medianCpuSec: median(mine.map((r) => r.cpuSec)),
        medianMainCpuSec: median(mine.map((r) => r.mainCpuSec)),
      };
    });
    const [base, self] = summary as [(typeof summary)[0], (typeof summary)[0]];
    const speedup = Math.round((base.medianWallSec / self.medianWallSec) * 100) / 100;
    const ours = results.filter((r) => r.build === 'this tree');
    const identical = ours.every((r) => r.journal === ours[0]!.journal);
    console.log('');
    console.log('| build | median wall s | median ticks/s | max peak RSS MB | median CPU s (main thread) | attempts that never ended (runs left out) |');
    console.log('|---|---|---|---|---|---|');
    for (const s of summary) {
      console.log(
        `| ${s.build} | ${s.medianWallSec} | ${s.medianTicksPerSec} | ${s.maxPeakRssMb} | ${s.medianCpuSec} (${s.medianMainCpuSec}) | ${s.hungRuns} (${s.runsLeftOut}) |`,
      );
    }
    console.log('');
    console.log(`speed-up (median wall time): ${speedup}x; this tree's ${ours.length} journals identical: ${identical}`);
    if (args.json) {
      const out = {
        file: path.basename(file),
        runs,
        seed: SEED,
        summary,
        speedup,
        journalsIdentical: identical,
        results: results.map(({ journal: _j, ...r }) => r),
      };
      writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
    }
  } finally {
    if (!args.keep) {
      try {
        execFileSync('git', ['worktree', 'remove', '--force', baseTree], { cwd: ROOT, stdio: 'ignore' });
      } catch (err) {
        console.error(`could not remove the worktree ${baseTree}: ${(err as Error).message}`);
      }
      rmSync(work, { recursive: true, force: true });
    } else console.log(`kept ${work}`);
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
