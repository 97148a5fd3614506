// Resolves `--strategy`: the built-in name `default`, or a path to an ES module plugin whose default export is
// `{name, onCandle}` (docs/strategies.md). Errors are one line naming the absolute path; the CLI turns them into exit 2.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createDefaultStrategy } from '../shared/strategies/default.js';
import { validateStrategy, type Strategy } from '../shared/strategy.js';

function firstLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n')[0];
}

export async function loadStrategy(spec: string, cwd: string): Promise<Strategy> {
  if (spec === 'default') return createDefaultStrategy();
  const abs = path.resolve(cwd, spec);
  let mod: { default?: unknown };
  try {
    const st = await stat(abs);
    if (!st.isFile()) throw new Error('not a file');
    mod = (await import(pathToFileURL(abs).href)) as { default?: unknown };
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : firstLine(e);
    throw new Error(`strategy: cannot load ${abs}: ${reason}`);
  }
  try {
    return validateStrategy(mod.default);
  } catch {
    throw new Error(`strategy: ${abs}: default export must be {name, onCandle}`);
  }
}
