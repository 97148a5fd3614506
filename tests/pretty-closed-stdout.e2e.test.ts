// --pretty with stdout a pipe its reader closed (`laptop-agents --pretty | head`, or a pager quit early): the run
// still ends by itself with its exit code, as it does with JSON logs. pino's transport worker, which wrote the
// pretty lines, stopped draining on the broken pipe and its exit hook then waited in flushSync for 10 s and threw,
// again at every exit the uncaught error led to: the process never exited (docs/node-traps.md §5).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { candleFile, privetRows } from './helpers/candle-file.js';
import { MAIN, replayArgs, tempDir } from './helpers/engine.js';

/** Far longer than the run takes (about a second); the fault never ended. */
const EXIT_WITHIN_MS = 30_000;

test('a replay with --pretty whose stdout reader goes away after the first line still exits 0 and writes its report', async () => {
  const dir = path.join(tempDir('la-pretty-'), 'state');
  const child = spawn(process.execPath, [MAIN, ...replayArgs(candleFile(privetRows(400)), dir, ['--speed', 'max', '--pretty'])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let first = '';
  child.stdout.once('data', (d: Buffer) => {
    first = d.toString();
    child.stdout.destroy(); // the reader is gone: every later write is EPIPE
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), EXIT_WITHIN_MS)));
  const outcome = await Promise.race([exited, hung]);
  clearTimeout(timer);
  if (outcome === 'hung') child.kill('SIGKILL');
  assert.notEqual(outcome, 'hung', `still running ${EXIT_WITHIN_MS / 1000} s after its stdout closed:\n${stderr.slice(-2000)}`);
  assert.equal(outcome, 0, stderr.slice(-2000));
  assert.match(first, /laptop-agents starting/, 'the first line was pretty-printed');
  assert.ok(existsSync(path.join(dir, 'final_report.json')), 'the run wrote its report');
});
