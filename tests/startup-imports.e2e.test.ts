// A replay's start imports no CommonJS package as an ES module, on any thread: such an import makes Node scan the
// package's source for its exports before it runs, on the start's critical path (docs/node-traps.md §11). The
// engine requires them instead. Checked with loader hooks that log every CommonJS file the ES module loader loads.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { candleFile, privetRows } from './helpers/candle-file.js';
import { FIXTURES, MAIN, replayArgs, run, tempDir } from './helpers/engine.js';

test('a replay at --speed max imports no CommonJS package as an ES module, on the main thread or a worker', async () => {
  const work = tempDir('la-startup-imports-');
  const log = path.join(work, 'cjs-imports.log');
  const probe = path.join(work, 'probe.log');
  const env = { NODE_OPTIONS: `--import=${path.join(FIXTURES, 'cjs-import-log.mjs')}`, CJS_IMPORTS_LOG: log };
  // The hooks see what they must: a CommonJS package imported as an ES module is logged.
  const check = run(path.join(FIXTURES, 'import-pino.mjs'), [], { env: { ...env, CJS_IMPORTS_LOG: probe } });
  assert.equal((await check.exit).code, 0, check.stderr());
  assert.match(readFileSync(probe, 'utf8'), /node_modules\/pino\/pino\.js/);

  const r = run(MAIN, replayArgs(candleFile(privetRows(400)), path.join(work, 'state'), ['--speed', 'max']), { env });
  const { code } = await r.exit;
  assert.equal(code, 0, r.stderr() + r.stdout().slice(-2000));
  const imported = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  assert.deepEqual(imported, [], 'CommonJS files imported as ES modules');
});
