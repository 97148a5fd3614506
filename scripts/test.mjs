// Runs every tests/**/*.test.ts through node:test under tsx, in two passes:
//   1. unit files, several at once (--test-concurrency = cores, or TEST_CONCURRENCY): pure logic, mocked clocks,
//      in-process servers; nothing in them depends on how fast the machine is;
//   2. end-to-end files (*.e2e.test.ts), one at a time: real engine processes, accelerated market clocks,
//      reconnects, floods and load figures, which a 2-core machine should not share;
//   beside both, the few end-to-end files that mostly wait out real outages (WAITING), one at a time.
// Node 20's --test does not expand globs, so the lists are built here; an empty list is an error, never a
// silent pass. `node scripts/test.mjs SUBSTRING...` runs only the files whose path contains one of them.
// Each pass prints its own summary; the last lines are one combined summary in node:test's form
// (`ℹ tests N`, `ℹ fail N`, `ℹ skipped N`), which .ci/run reads.
import { readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const only = process.argv.slice(2);
let files = readdirSync(path.join(root, 'tests'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .map((f) => path.join('tests', f))
  .sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('test: no test files found under tests/');
  process.exit(1);
}
const isE2e = (f) => f.endsWith('.e2e.test.ts');
const concurrency = Number(process.env.TEST_CONCURRENCY ?? os.availableParallelism());
if (!Number.isInteger(concurrency) || concurrency < 1) {
  console.error(`test: TEST_CONCURRENCY must be a whole number ≥ 1, got ${process.env.TEST_CONCURRENCY}`);
  process.exit(1);
}
// End-to-end files that spend their time waiting out real outages (a 75 s suspension, 20 s of refusals, a 45 s
// partition) with one idle engine: they run beside the other passes instead of after them.
const WAITING = ['tests/blind-spans.e2e.test.ts', 'tests/partition.e2e.test.ts'];
const passes = [
  { name: `unit, ${concurrency} at a time`, concurrency, files: files.filter((f) => !isE2e(f)) },
  { name: 'end to end, one at a time', concurrency: 1, files: files.filter((f) => isE2e(f) && !WAITING.includes(f)) },
].filter((p) => p.files.length > 0);
const beside = { name: 'end to end waiting on outages, beside the others', concurrency: 1, files: files.filter((f) => WAITING.includes(f)) };

const FIELDS = ['tests', 'suites', 'pass', 'fail', 'cancelled', 'skipped', 'todo'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: it strips the ANSI colour codes of the runner's output
const ANSI = /\x1b\[[0-9;]*m/g;

/** Run one pass with its output streamed through (or kept and printed at its end); resolve with its exit status and summary figures. */
function runPass(pass, { buffered = false } = {}) {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${pass.concurrency}`, '--test-timeout=300000', ...pass.files];
  // stdout is piped (to read the summary), so the reporter prints no colours; FORCE_COLOR is not set for it
  // because the tests' own child processes would inherit it and colour the output they are matched on.
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
  let tail = '';
  const kept = [];
  child.stdout.on('data', (d) => {
    if (buffered) kept.push(d);
    else process.stdout.write(d);
    tail = (tail + d.toString()).slice(-4096); // the summary is the last lines
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (buffered) process.stdout.write(`\n=== ${pass.name}: ${pass.files.length} files\n${Buffer.concat(kept).toString()}`);
      const figures = {};
      for (const line of tail.replace(ANSI, '').split('\n')) {
        const m = /^ℹ (\w+) (\d+(?:\.\d+)?)$/.exec(line.trim());
        if (m && (FIELDS.includes(m[1]) || m[1] === 'duration_ms')) figures[m[1]] = Number(m[2]);
      }
      resolve({ status: code ?? (signal ? 1 : 0), figures });
    });
  });
}

const started = Date.now();
const results = [];
const besideRun = beside.files.length > 0 ? runPass(beside, { buffered: passes.length > 0 }) : null;
for (const pass of passes) {
  console.log(`\n=== ${pass.name}: ${pass.files.length} files`);
  results.push({ ...pass, ...(await runPass(pass)) });
}
if (besideRun) results.push({ ...beside, ...(await besideRun) });
for (const r of results) if (r.figures.tests === undefined) console.error(`test: the ${r.name} pass printed no summary (exit ${r.status})`);
console.log(`\n=== all passes (${results.map((r) => `${r.name}: ${r.figures.tests ?? '?'} tests`).join('; ')})`);
for (const f of FIELDS) console.log(`ℹ ${f} ${results.reduce((n, r) => n + (r.figures[f] ?? 0), 0)}`);
console.log(`ℹ duration_ms ${Date.now() - started}`);
const failed = results.some((r) => r.status !== 0 || r.figures.tests === undefined);
process.exit(failed ? 1 : 0);
