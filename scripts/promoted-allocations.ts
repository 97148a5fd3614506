// Where the garbage that reaches V8's old generation is allocated: samples allocations for N seconds through a
// running engine's inspector, leaving out objects a young collection freed, and lists the allocating functions by
// bytes. Old-generation garbage is what makes a steady process's RSS saw up between major collections (V8 lets the
// old generation grow by at least 8 MB past what survived the last one), so this names what to allocate less of.
//
//   LOAD_TEST_ENGINE_NODE_ARGS=--inspect=127.0.0.1:9339 npm run load-test -- --rates 10000 --seconds 2 --soak 4 &
//   node --import tsx scripts/promoted-allocations.ts --port 9339 --seconds 120 [--top 25] [--out FILE.heapprofile]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: ProfileNode[];
}

export interface SamplingProfile {
  head: ProfileNode;
}

/** Bytes by allocating function (`name file:line`), largest first. */
export function bytesBySite(profile: SamplingProfile): { site: string; bytes: number }[] {
  const by = new Map<string, number>();
  const walk = (n: ProfileNode): void => {
    const f = n.callFrame;
    const site = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    if (n.selfSize > 0) by.set(site, (by.get(site) ?? 0) + n.selfSize);
    for (const c of n.children ?? []) walk(c);
  };
  walk(profile.head);
  return [...by].map(([site, bytes]) => ({ site, bytes })).sort((a, b) => b.bytes - a.bytes);
}

async function sample(port: number, seconds: number): Promise<SamplingProfile> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  let id = 0;
  const waiting = new Map<number, { resolve: (r: unknown) => void; reject: (e: Error) => void }>();
  ws.on('message', (raw) => {
    const m = JSON.parse(String(raw)) as { id?: number; result?: unknown; error?: unknown };
    const w = m.id === undefined ? undefined : waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id!);
    if (m.error) w.reject(new Error(JSON.stringify(m.error)));
    else w.resolve(m.result);
  });
  const call = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      waiting.set(++id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  await call('HeapProfiler.enable');
  // objects a major collection freed are kept in the profile: they are the old generation's garbage
  await call('HeapProfiler.startSampling', { samplingInterval: 2048, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: false });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const { profile } = (await call('HeapProfiler.stopSampling')) as { profile: SamplingProfile };
  ws.close();
  return profile;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, seconds: { type: 'string', default: '60' }, top: { type: 'string', default: '25' }, out: { type: 'string' } },
  });
  if (!values.port) throw new Error('--port PORT (the engine started with --inspect=127.0.0.1:PORT)');
  const seconds = Number(values.seconds);
  const profile = await sample(Number(values.port), seconds);
  if (values.out) writeFileSync(values.out, JSON.stringify(profile));
  const sites = bytesBySite(profile);
  const total = sites.reduce((a, s) => a + s.bytes, 0);
  process.stdout.write(`${(total / 1024).toFixed(0)} KB outlived a young collection in ${seconds} s (${(total / 1024 / seconds).toFixed(1)} KB/s)\n`);
  for (const s of sites.slice(0, Number(values.top))) process.stdout.write(`${(s.bytes / 1024).toFixed(0).padStart(7)} KB  ${s.site}\n`);
}
