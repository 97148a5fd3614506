// What grew between two V8 heap snapshots (.heapsnapshot files, e.g. from --heapsnapshot-signal): nodes are
// grouped as the DevTools summary groups them (objects by constructor name, everything else by its node type,
// closures by function name), and the groups whose total self size or count grew most are listed.
//
//   node --import tsx scripts/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot [--top N]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The parts of a .heapsnapshot this reads. */
export interface HeapSnapshot {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } };
  nodes: number[];
  strings: string[];
}

export interface HeapGroup {
  key: string;
  count: number;
  selfSize: number;
}

export interface HeapGroupDiff {
  key: string;
  countBefore: number;
  countAfter: number;
  sizeBefore: number;
  sizeAfter: number;
  countDelta: number;
  sizeDelta: number;
}

export interface HeapDiff {
  totalBefore: { count: number; selfSize: number };
  totalAfter: { count: number; selfSize: number };
  /** Groups by self-size growth (largest first), then by count growth; only groups that grew. */
  bySize: HeapGroupDiff[];
  byCount: HeapGroupDiff[];
}

/** Count and total self size per group of one snapshot. */
export function heapGroups(s: HeapSnapshot): Map<string, HeapGroup> {
  const fields = s.snapshot.meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0) throw new Error('heap snapshot: node_fields lacks type, name or self_size');
  const types = s.snapshot.meta.node_types[typeAt];
  if (!Array.isArray(types)) throw new Error('heap snapshot: node_types has no type list');
  if (s.nodes.length % width !== 0) throw new Error(`heap snapshot: ${s.nodes.length} node values is not a multiple of ${width} fields`);
  const groups = new Map<string, HeapGroup>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = String(types[s.nodes[i + typeAt]!]);
    const name = s.strings[s.nodes[i + nameAt]!] ?? '';
    const key = type === 'object' || type === 'native' ? name : type === 'closure' ? `(closure) ${name || '(anonymous)'}` : `(${type})`;
    const g = groups.get(key) ?? { key, count: 0, selfSize: 0 };
    g.count++;
    g.selfSize += s.nodes[i + sizeAt]!;
    groups.set(key, g);
  }
  return groups;
}

export function diffHeaps(before: HeapSnapshot, after: HeapSnapshot, top = 15): HeapDiff {
  const a = heapGroups(before);
  const b = heapGroups(after);
  const total = (m: Map<string, HeapGroup>): { count: number; selfSize: number } =>
    [...m.values()].reduce((t, g) => ({ count: t.count + g.count, selfSize: t.selfSize + g.selfSize }), { count: 0, selfSize: 0 });
  const rows: HeapGroupDiff[] = [...new Set([...a.keys(), ...b.keys()])].map((key) => {
    const x = a.get(key);
    const y = b.get(key);
    const countBefore = x?.count ?? 0;
    const countAfter = y?.count ?? 0;
    const sizeBefore = x?.selfSize ?? 0;
    const sizeAfter = y?.selfSize ?? 0;
    return { key, countBefore, countAfter, sizeBefore, sizeAfter, countDelta: countAfter - countBefore, sizeDelta: sizeAfter - sizeBefore };
  });
  return {
    totalBefore: total(a),
    totalAfter: total(b),
    bySize: rows
      .filter((r) => r.sizeDelta > 0)
      .sort((p, q) => q.sizeDelta - p.sizeDelta || p.key.localeCompare(q.key))
      .slice(0, top),
    byCount: rows
      .filter((r) => r.countDelta > 0)
      .sort((p, q) => q.countDelta - p.countDelta || p.key.localeCompare(q.key))
      .slice(0, top),
  };
}

const kb = (n: number): string =>
  Math.abs(n) < 10_240 ? `${n} B` : Math.abs(n) < 10 * 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1048576).toFixed(1)} MB`;

export function formatHeapDiff(d: HeapDiff): string {
  const row = (r: HeapGroupDiff): string =>
    `  ${(r.sizeDelta >= 0 ? '+' : '') + kb(r.sizeDelta)}`.padEnd(16) +
    `${(r.countDelta >= 0 ? '+' : '') + r.countDelta}`.padStart(9) +
    `  ${r.key.slice(0, 80)}  (${r.countBefore} → ${r.countAfter}, ${kb(r.sizeBefore)} → ${kb(r.sizeAfter)})`;
  return [
    `heap: ${d.totalBefore.count} nodes ${kb(d.totalBefore.selfSize)} → ${d.totalAfter.count} nodes ${kb(d.totalAfter.selfSize)} ` +
      `(${d.totalAfter.selfSize - d.totalBefore.selfSize >= 0 ? '+' : ''}${kb(d.totalAfter.selfSize - d.totalBefore.selfSize)})`,
    'grew most by self size (self size, count, group):',
    ...(d.bySize.length ? d.bySize.map(row) : ['  (nothing grew)']),
    'grew most by count:',
    ...(d.byCount.length ? d.byCount.map(row) : ['  (nothing grew)']),
  ].join('\n');
}

export function readHeapSnapshot(file: string): HeapSnapshot {
  return JSON.parse(readFileSync(file, 'utf8')) as HeapSnapshot;
}

function cli(): void {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' } } });
  if (positionals.length !== 2) {
    process.stderr.write('heap-diff: usage: heap-diff BEFORE.heapsnapshot AFTER.heapsnapshot [--top N]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatHeapDiff(diffHeaps(readHeapSnapshot(positionals[0]!), readHeapSnapshot(positionals[1]!), Number(values.top)))}\n`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) cli();
