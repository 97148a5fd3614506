// The operator's files under docs/ stay in step with the engine: every laptop_agents_* series the Grafana
// dashboard and the alert rules query is one /metrics exports (a renamed metric breaks this test, not
// a dashboard), the dashboard is valid JSON templated by symbol, and promtool accepts the scrape
// configuration and the rules (where promtool is installed; CI installs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CumulativeBuckets } from '../src/shared/cumulative-buckets.js';
import { PromMetrics, type MetricCounters } from '../src/main/prom-metrics.js';
import { ROOT } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';

const DOCS = path.join(ROOT, 'docs');
const SNAP: MetricCounters = {
  symbol: 'BTCUSDT',
  ticks: 1,
  badFrames: 0,
  reconnects: 0,
  orders: 0,
  fills: 0,
  exits: 0,
  errors: 0,
  equity: 1,
  unrealized: 0,
  loopLagP99Ms: 0,
  rssMb: 0,
  queueDepth: 0,
  stopDecisionP99Us: 0,
  position: null,
  wsState: 'open',
  lastTickAgeMs: 1,
  tradingState: { state: 'ACTIVE', reason: null },
  blindSpans: 0,
};

async function exportedFamilies(): Promise<Set<string>> {
  const text = await new PromMetrics({
    snapshot: () => SNAP,
    stopDecision: new CumulativeBuckets(),
    tickAge: new CumulativeBuckets(),
    loopLag: new CumulativeBuckets(),
    notifier: () => ({ sent: 0, failed: 0, dropped: 0, queued: 0 }),
  }).text();
  return new Set(
    [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) => (m[2] === 'histogram' ? [m[1]!, `${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!])),
  );
}

const queried = (text: string): string[] => [...new Set([...text.matchAll(/\b(laptop_agents_[a-z_]+|process_[a-z_]+)\b/g)].map((m) => m[1]!))];

test('the Grafana dashboard queries only exported metrics and is templated by symbol', async () => {
  const raw = readFileSync(path.join(DOCS, 'grafana', 'laptop-agents-dashboard.json'), 'utf8');
  const dash = JSON.parse(raw) as { templating: { list: { name: string; multi?: boolean }[] }; panels: { targets: { expr: string }[] }[] };
  const families = await exportedFamilies();
  const names = queried(raw);
  assert.ok(names.length >= 15, `the dashboard uses the metrics (${names.length} names)`);
  for (const n of names) assert.ok(families.has(n), `dashboard queries ${n}, which /metrics does not export`);
  assert.ok(
    dash.templating.list.some((v) => v.name === 'symbol' && v.multi),
    'a multi-value symbol variable',
  );
  for (const p of dash.panels) for (const t of p.targets) assert.ok(/\$symbol/.test(t.expr), `every query filters by $symbol: ${t.expr}`);
  for (const h of ['stop_decision', 'event_loop_lag', 'tick_age'])
    assert.match(raw, new RegExp(`histogram_quantile\\(0\\.99, sum by \\(symbol, le\\) \\(rate\\(laptop_agents_${h}_seconds_bucket`));
});

test('the alert rules query only exported metrics; promtool accepts the scrape config and the rules', async (t) => {
  const rules = readFileSync(path.join(DOCS, 'alerts.yml'), 'utf8');
  const families = await exportedFamilies();
  for (const n of queried(rules)) assert.ok(families.has(n), `alerts.yml queries ${n}, which /metrics does not export`);
  const config = spawnSync('promtool', ['check', 'config', path.join(DOCS, 'prometheus.yml')], { encoding: 'utf8' });
  if (config.error) {
    lacking(t, `promtool not installed (${config.error.message}): syntax not checked`);
    return;
  }
  assert.equal(config.status, 0, config.stdout + config.stderr);
  assert.match(config.stdout, /SUCCESS: 1 rule files found/);
});
