// Start a worker from src/workers/<name>: `.ts` under tsx (tests, dev), `.js` from dist in production.
// Node 20 does not apply tsx's ESM hooks inside worker threads (tsx#354), so under tsx the worker
// registers them itself before importing its entry (docs/node-traps.md §8).
import { Worker, type WorkerOptions } from 'node:worker_threads';

const isTs = import.meta.url.endsWith('.ts');

/** URL of a worker entry file in src/workers (or dist/workers). */
export function workerUrl(name: string): URL {
  return new URL(`../workers/${name}${isTs ? '.ts' : '.js'}`, import.meta.url);
}

export function spawnWorker(name: string, opts: WorkerOptions = {}): Worker {
  const url = workerUrl(name);
  if (!isTs) return new Worker(url, opts);
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); ` + `return import(${JSON.stringify(url.href)}); })`;
  return new Worker(code, { ...opts, eval: true });
}
