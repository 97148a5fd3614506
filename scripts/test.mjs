// Runs every tests/**/*.test.ts through node:test under tsx. Node 20's --test does not expand globs,
// so the list is built here; an empty list is an error, never a silent pass. Files run one at a time: many
// are end-to-end runs with timing (reconnects, replays, floods) that a 2-core machine should not share.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
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
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', '--test-timeout=300000', ...files];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
