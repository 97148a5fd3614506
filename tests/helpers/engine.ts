// Helpers for end-to-end tests: run the built engine (dist/main.js) or simulator (dist/sim.js) as real
// child processes and read the files they leave in the state directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EngineEventName, JournalEntry } from '../../src/shared/events.js';
import type { SimStatus } from '../../src/workers/exchange-sim/types.js';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'main.js');
export const SIM = path.join(ROOT, 'dist', 'sim.js');
export const FIXTURES = path.join(ROOT, 'tests', 'fixtures');

export function tempDir(prefix = 'la-e2e-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `prefix` runs node under another command that execs it, e.g. `ip netns exec NS` (the child is node itself). */
export function run(script: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; prefix?: string[] } = {}): Run {
  const argv = [...(opts.prefix ?? []), process.execPath, script, ...args];
  const child = spawn(argv[0]!, argv.slice(1), {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exit };
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** A journal line as read back: narrow on `event` (e.g. `filter((e) => e.event === 'Exit')`) to read its fields. */
export type Entry = JournalEntry;
/** A journal line of one kind. */
export type EntryOf<K extends EngineEventName> = Extract<JournalEntry, { event: K }>;

export function readEvents(dir: string): Entry[] {
  const file = path.join(dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Entry];
      } catch {
        return []; // a line being written right now
      }
    });
}

export async function waitFor<T>(
  what: string,
  fn: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  timeoutMs: number,
  everyMs = 200,
  explain?: () => string,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${explain ? `\n${explain()}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A replay of `file` at --speed max with seed 3, the breaker's day limits out of the way (as the reports' tests want). */
export const replayArgs = (file: string, stateDir: string, extra: string[] = []): string[] =>
  // biome-ignore format: flag and value pairs
  ['--feed', 'replay', '--replay', file, '--speed', 'max', '--state-dir', stateDir, '--seed', '3', '--max-drawdown-pct', '100', '--max-losses', '1000', ...extra];

/** An engine on the embedded simulator at 60x with the flip strategy (tests/fixtures) and a stop and target too wide to hit. */
export const flipArgs = (stateDir: string, extra: string[] = []): string[] =>
  // biome-ignore format: flag and value pairs
  ['--feed', 'sim', '--sim-speed', '60', '--state-dir', stateDir, '--strategy', path.join(FIXTURES, 'flip-strategy.mjs'), '--stop-bps', '3000', '--tp-r', '3', '--latency-ms', '50-100', ...extra];

/** An engine on the embedded simulator at 120x with the fast strategy (an entry on every candle close), the breaker out of the way. */
export const fastArgs = (stateDir: string, extra: string[] = []): string[] =>
  // biome-ignore format: flag and value pairs
  ['--feed', 'sim', '--sim-speed', '120', '--sim-seed', '7', '--seed', '3', '--state-dir', stateDir, '--strategy', path.join(FIXTURES, 'fast-strategy.mjs'),
   '--min-trade-interval', '0', '--risk-pct', '0.01', '--max-losses', '100000', '--max-drawdown-pct', '100', ...extra];

/** GET /sim/status of a simulator (standalone or embedded) on 127.0.0.1. */
export async function simStatus(port: number): Promise<SimStatus> {
  return (await (await fetch(`http://127.0.0.1:${port}/sim/status`)).json()) as SimStatus;
}

/** Start dist/sim.js on an ephemeral port and return it with the port it printed. */
export async function startSim(args: string[] = [], opts: { prefix?: string[] } = {}): Promise<{ run: Run; port: number }> {
  const r = run(SIM, ['--port', '0', ...args], opts);
  const port = await waitFor(
    'the simulator to listen',
    () => {
      const m = /"port":(\d+)/.exec(r.stdout());
      return m ? Number(m[1]) : null;
    },
    15_000,
    50,
  );
  return { run: r, port };
}

// ── appended for the lock and disk-error e2e tests ─────────────────────────────

export type LogLine = { level: number; msg: string; [k: string]: unknown };

/** The pino JSON lines of an engine's stdout (the printed summary and partial lines are skipped). */
export function logLines(stdout: string): LogLine[] {
  return stdout.split('\n').flatMap((l) => {
    if (!l.startsWith('{')) return [];
    try {
      return [JSON.parse(l) as LogLine];
    } catch {
      return [];
    }
  });
}

/** Resolves once the engine logs "market data flowing: ready"; rejects if it exits first or times out. */
export async function waitReady(r: Run, timeoutMs = 20_000): Promise<void> {
  let exited = false;
  void r.exit.then(() => (exited = true));
  await waitFor(
    'the engine to be ready',
    () => {
      if (exited) throw new Error(`engine exited before ready\n${r.stderr()}\n${r.stdout().slice(-2000)}`);
      return logLines(r.stdout()).some((l) => l.msg.endsWith(': ready'));
    },
    timeoutMs,
    25,
  );
}

/** Wait until state.json on disk holds the position opened by `orderId` (the snapshot after its Fill). */
export async function waitForSnapshotPosition(stateDir: string, orderId: unknown, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    'a snapshot with the position',
    () => {
      try {
        return readJson<{ position: { orderId: string } | null }>(path.join(stateDir, 'state.json')).position?.orderId === orderId;
      } catch {
        return false; // not written yet, or being replaced
      }
    },
    timeoutMs,
  );
}

// ── the embedded simulator of an engine run with --feed sim ───────────────────────

/** The port of the embedded simulator an engine (--feed sim) logged when it started. */
export async function embeddedSimPort(r: Run, timeoutMs = 20_000): Promise<number> {
  return waitFor(
    'the embedded simulator port',
    () => {
      const m = /"port":(\d+)[^\n]*embedded simulator listening/.exec(r.stdout());
      return m ? Number(m[1]) : null;
    },
    timeoutMs,
    50,
  );
}

/** POST a fault to a simulator's control endpoint; throws unless it was accepted. */
export async function postSimFault(port: number, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/sim/fault`, { method: 'POST', body: JSON.stringify(fault) });
  if (res.status !== 200) throw new Error(`fault ${JSON.stringify(fault).slice(0, 200)} refused: ${res.status} ${await res.text()}`);
}
