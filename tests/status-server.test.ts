// The status endpoint a supervisor and a trader use: /health follows the snapshot (200 only while running
// with fresh data), /metrics is valid Prometheus text by the naming conventions (laptop_agents_ prefix,
// base units, _total counters, histograms, process_*/nodejs_*) with exact values, /events streams published samples
// (replaying the ones before the page connected), unknown paths are 404, and nothing listens off loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import pino from 'pino';
import type { Logger } from '../src/main/logger.js';
import { CumulativeBuckets } from '../src/shared/cumulative-buckets.js';
import { PromMetrics, type MetricSources } from '../src/main/prom-metrics.js';
import { healthOf, startStatusServer, type LiveSample, type StatusSnapshot } from '../src/main/status-server.js';

const T0 = Date.UTC(2024, 5, 1, 12, 0, 0);
const silent = pino({ enabled: false }) as unknown as Logger;

function snapshot(over: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    ts: T0,
    pid: 4242,
    status: 'running',
    symbol: 'BTCUSDT',
    price: 50_012.5,
    position: {
      orderId: 'BTCUSDT-1-SHORT',
      side: 'SHORT',
      entry: 50_100,
      qty: 0.25,
      sl: 50_600,
      tp: 49_100,
      openedAt: T0 - 60_000,
      entryFee: 6.2625,
      riskDistance: 500,
      best: 50_000,
      trailActive: false,
    },
    equity: 10_012.75,
    unrealized: 21.875,
    ticks: 1234,
    badFrames: 3,
    reconnects: 2,
    wsState: 'open',
    queueDepth: 1,
    stopDecisionP99Us: 42,
    loopLagP99Ms: 0.75,
    rssMb: 88.4,
    errors: 0,
    lastError: null,
    orders: 7,
    fills: 6,
    exits: 5,
    lastTickAgeMs: 400,
    staleAfterMs: 30_000,
    ...over,
  };
}

async function withServer(
  current: { snap: StatusSnapshot },
  fn: (port: number, server: Awaited<ReturnType<typeof startStatusServer>>) => Promise<void>,
  sources: Omit<MetricSources, 'snapshot'> = {},
): Promise<void> {
  const prom = new PromMetrics({ snapshot: () => current.snap, ...sources });
  const server = await startStatusServer({
    port: 0,
    getStatus: () => current.snap,
    getMetricsText: () => prom.text(),
    log: silent,
  });
  try {
    await fn(server.port, server);
  } finally {
    await server.close();
  }
}

function get(port: number, path: string, method = 'GET', host = '127.0.0.1'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

// ── a small Prometheus text parser ─────────────────────────────────────────

interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';

function parseLabels(s: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
  let at = 0;
  while (at < s.length) {
    re.lastIndex = at;
    const m = re.exec(s);
    assert.ok(m, `bad label set at ${at}: ${s}`);
    labels[m[1]!] = m[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    at = re.lastIndex;
  }
  return labels;
}

function parseProm(text: string): { help: Map<string, string>; type: Map<string, string>; samples: PromSample[] } {
  assert.ok(text.endsWith('\n'), 'exposition ends with a newline');
  const help = new Map<string, string>();
  const type = new Map<string, string>();
  const samples: PromSample[] = [];
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if (line === '') continue; // the format allows blank lines; prom-client separates metrics with one
    if ((m = new RegExp(`^# HELP (${NAME}) (.+)$`).exec(line))) {
      assert.ok(!help.has(m[1]!), `duplicate HELP for ${m[1]}`);
      help.set(m[1]!, m[2]!);
    } else if ((m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line))) {
      assert.ok(!type.has(m[1]!), `duplicate TYPE for ${m[1]}`);
      type.set(m[1]!, m[2]!);
    } else if (line.startsWith('#')) {
      // a plain comment
    } else if ((m = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`).exec(line))) {
      const raw = m[3]!;
      // Prometheus parses values with Go's ParseFloat: NaN in any case (prom-client writes 'Nan')
      const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw.toLowerCase() === 'nan' ? NaN : Number(raw);
      assert.ok(raw.toLowerCase() === 'nan' || !Number.isNaN(value), `non-numeric value in: ${line}`);
      const family = type.get(m[1]!.replace(/_(bucket|sum|count)$/, '')) === 'histogram' ? m[1]!.replace(/_(bucket|sum|count)$/, '') : m[1]!;
      assert.ok(help.has(family) && type.has(family), `${m[1]} sampled before its HELP and TYPE`);
      samples.push({ name: m[1]!, labels: parseLabels(m[2] ?? ''), value });
    } else {
      assert.fail(`not a comment or a sample: ${JSON.stringify(line)}`);
    }
  }
  for (const name of type.keys()) assert.ok(help.has(name), `${name} has TYPE but no HELP`);
  return { help, type, samples };
}

// ── tests ──────────────────────────────────────────────────────────────────

test('health: 200 only while running with a tick within the stale timeout', () => {
  assert.deepEqual(healthOf(snapshot()), { healthy: true, reason: 'ok' });
  assert.deepEqual(healthOf(snapshot({ status: 'stale' })), { healthy: false, reason: 'status is stale' });
  assert.deepEqual(healthOf(snapshot({ status: 'starting', lastTickAgeMs: null })), { healthy: false, reason: 'status is starting' });
  assert.deepEqual(healthOf(snapshot({ lastTickAgeMs: null })), { healthy: false, reason: 'no tick received yet' });
  assert.deepEqual(healthOf(snapshot({ lastTickAgeMs: 30_000 })), { healthy: true, reason: 'ok' });
  assert.deepEqual(healthOf(snapshot({ lastTickAgeMs: 31_500 })), {
    healthy: false,
    reason: 'no tick for 31.5 s (stale after 30 s)',
  });
});

test('GET /health answers 200 or 503 from the current snapshot, with the heartbeat fields', async () => {
  const current = { snap: snapshot() };
  await withServer(current, async (port) => {
    const ok = await get(port, '/health');
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['content-type']), /^application\/json/);
    const body = JSON.parse(ok.body) as Record<string, unknown>;
    assert.equal(body.healthy, true);
    assert.equal(body.reason, 'ok');
    for (const k of [
      'ts',
      'pid',
      'status',
      'symbol',
      'price',
      'position',
      'equity',
      'unrealized',
      'ticks',
      'badFrames',
      'reconnects',
      'wsState',
      'queueDepth',
      'loopLagP99Ms',
      'rssMb',
      'errors',
      'lastError',
    ]) {
      assert.ok(k in body, `missing heartbeat field ${k}`);
    }
    assert.equal(body.ticks, 1234);

    current.snap = snapshot({ status: 'stale', lastTickAgeMs: 45_000 });
    const stale = await get(port, '/health');
    assert.equal(stale.status, 503);
    assert.deepEqual(
      { healthy: (JSON.parse(stale.body) as Record<string, unknown>).healthy, reason: (JSON.parse(stale.body) as Record<string, unknown>).reason },
      { healthy: false, reason: 'status is stale' },
    );

    current.snap = snapshot({ lastTickAgeMs: 200 });
    assert.equal((await get(port, '/health')).status, 200, 'recovers once ticks flow again');
  });
});

// The names changed from la_* to the conventions: `la_loop_lag_p99_ms`, `la_rss_mb` and
// `la_stop_decision_p99_us` (per-second p99 gauges with abbreviated units, which cannot be aggregated)
// became the histograms laptop_agents_event_loop_lag_seconds and laptop_agents_stop_decision_seconds and
// prom-client's process_resident_memory_bytes; `la_unrealized` and `la_position_qty` say what they are
// (unrealized_pnl, position_size); every name has the laptop_agents_ prefix.
test('GET /metrics is Prometheus text by the conventions: exact values, symbol label, no abbreviated units', async () => {
  const current = { snap: snapshot() };
  await withServer(current, async (port) => {
    const res = await get(port, '/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const { type, samples } = parseProm(res.body);
    const ours = samples.filter((s) => s.name.startsWith('laptop_agents_') && !s.labels.state);
    const values = Object.fromEntries(ours.map((s) => [s.name, s.value]));
    assert.deepEqual(values, {
      laptop_agents_ticks_total: 1234,
      laptop_agents_bad_frames_total: 3,
      laptop_agents_reconnects_total: 2,
      laptop_agents_orders_total: 7,
      laptop_agents_fills_total: 6,
      laptop_agents_exits_total: 5,
      laptop_agents_errors_total: 0,
      laptop_agents_equity: 10_012.75,
      laptop_agents_unrealized_pnl: 21.875,
      laptop_agents_position_size: -0.25, // short
      laptop_agents_execution_queue_depth: 1,
      laptop_agents_last_tick_age_seconds: 0.4,
    });
    for (const s of ours) {
      assert.deepEqual(s.labels, { symbol: 'BTCUSDT' });
      assert.equal(type.get(s.name), s.name.endsWith('_total') ? 'counter' : 'gauge', s.name);
    }
    const ws = samples.filter((s) => s.name === 'laptop_agents_websocket_state');
    assert.deepEqual(
      ws.filter((s) => s.value === 1).map((s) => s.labels),
      [{ symbol: 'BTCUSDT', state: 'open' }],
    );
    assert.ok(ws.length >= 5, 'every websocket state is a series (0 or 1)');
    // prom-client's default collectors
    assert.ok(
      samples.some((s) => s.name === 'process_resident_memory_bytes' && s.value > 1e6),
      'process_resident_memory_bytes',
    );
    assert.ok(
      samples.some((s) => s.name.startsWith('nodejs_')),
      'nodejs_* metrics',
    );
    for (const name of [...type.keys()].filter((n) => n.startsWith('laptop_agents_'))) {
      assert.doesNotMatch(name, /(^|_)(ms|us|mb|kb|p99)(_|$)/, `${name}: base units only, no percentile gauges`);
      if (type.get(name) === 'counter') assert.match(name, /_total$/, `${name}: a counter ends in _total`);
    }
    assert.ok(!samples.some((s) => s.name === 'laptop_agents_trading_state'), 'no trading state before the session keeps one');
  });
});

test('/metrics: trading state is one labelled gauge with the reason on the current state; blind spans a counter', async () => {
  const current = { snap: snapshot({ tradingState: { state: 'HALTED', reason: 'kill_switch' }, blindSpans: 2 }) };
  await withServer(current, async (port) => {
    const { type, samples } = parseProm((await get(port, '/metrics')).body);
    assert.equal(type.get('laptop_agents_trading_state'), 'gauge');
    const states = samples.filter((s) => s.name === 'laptop_agents_trading_state').map((s) => [s.labels.state, s.labels.reason, s.value]);
    assert.deepEqual(states, [
      ['ACTIVE', '', 0],
      ['REDUCING', '', 0],
      ['HALTED', 'kill_switch', 1],
    ]);
    assert.equal(type.get('laptop_agents_blind_spans_total'), 'counter');
    assert.equal(samples.find((s) => s.name === 'laptop_agents_blind_spans_total')?.value, 2);
  });
});

test('/metrics: latency histograms export the folded buckets as cumulative _bucket, _sum and _count in seconds', async () => {
  const stop = new CumulativeBuckets();
  stop.add(0.00002, 90); // 20 µs
  stop.add(0.0003, 9); // 300 µs
  stop.add(0.004, 1); // 4 ms
  await withServer(
    { snap: snapshot() },
    async (port) => {
      const { type, samples } = parseProm((await get(port, '/metrics')).body);
      assert.equal(type.get('laptop_agents_stop_decision_seconds'), 'histogram');
      const bucket = (le: string): number | undefined =>
        samples.find((s) => s.name === 'laptop_agents_stop_decision_seconds_bucket' && s.labels.le === le)?.value;
      assert.equal(bucket('0.00001'), 0);
      assert.equal(bucket('0.000025'), 90);
      assert.equal(bucket('0.00025'), 90);
      assert.equal(bucket('0.0005'), 99);
      assert.equal(bucket('0.005'), 100);
      assert.equal(bucket('+Inf'), 100);
      assert.equal(samples.find((s) => s.name === 'laptop_agents_stop_decision_seconds_count')?.value, 100);
      const sum = samples.find((s) => s.name === 'laptop_agents_stop_decision_seconds_sum')?.value ?? NaN;
      assert.ok(Math.abs(sum - (90 * 0.00002 + 9 * 0.0003 + 0.004)) < 1e-12, `sum ${sum}`);
      for (const s of samples.filter((x) => x.name.endsWith('_bucket'))) assert.equal(s.labels.symbol ?? 'BTCUSDT', 'BTCUSDT');
    },
    { stopDecision: stop, tickAge: new CumulativeBuckets(), loopLag: new CumulativeBuckets() },
  );
});

test('metrics: flat is size 0, and a hostile symbol is escaped in the label and parses back intact', async () => {
  const symbol = 'BAD"SYM\\\nX';
  const text = await new PromMetrics({ snapshot: () => snapshot({ symbol, position: null, equity: Number.NaN }) }).text();
  const { samples } = parseProm(text);
  const ours = samples.filter((s) => s.name.startsWith('laptop_agents_'));
  assert.ok(ours.length >= 12);
  for (const s of ours) assert.equal(s.labels.symbol, symbol);
  assert.equal(ours.find((s) => s.name === 'laptop_agents_position_size')?.value, 0);
  assert.ok(Number.isNaN(ours.find((s) => s.name === 'laptop_agents_equity')?.value));
});

/** A minimal EventSource: collects the `data:` payloads of the stream. */
function sse(port: number): Promise<{ contentType: string; messages: unknown[]; waitFor(n: number): Promise<void>; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/events' }, (res) => {
      const messages: unknown[] = [];
      const waiters: { n: number; done: () => void }[] = [];
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6));
          if (data.length > 0) messages.push(JSON.parse(data.join('\n')));
        }
        for (const w of waiters.filter((x) => messages.length >= x.n)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.done();
        }
      });
      resolve({
        contentType: String(res.headers['content-type']),
        messages,
        waitFor: (n) => (messages.length >= n ? Promise.resolve() : new Promise((done) => waiters.push({ n, done }))),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

const sample = (i: number): LiveSample => ({
  ts: T0 + i * 1000,
  status: 'running',
  price: 50_000 + i,
  position: i % 2 ? { side: 'LONG', qty: 0.1, entry: 49_990 } : null,
  equity: 10_000,
  unrealized: i * 0.5,
});

test('GET /events streams published samples, replaying the earlier ones to a page that connects late', async () => {
  await withServer({ snap: snapshot() }, async (port, server) => {
    server.publish(sample(0));
    server.publish(sample(1));
    const a = await sse(port);
    assert.match(a.contentType, /^text\/event-stream/);
    await a.waitFor(2);
    server.publish(sample(2));
    await a.waitFor(3);
    const b = await sse(port);
    await b.waitFor(3);
    server.publish(sample(3));
    await Promise.all([a.waitFor(4), b.waitFor(4)]);
    assert.deepEqual(a.messages, [sample(0), sample(1), sample(2), sample(3)]);
    assert.deepEqual(b.messages, a.messages);
    a.close();
    b.close();
  });
});

test('GET / is the self-contained live page; unknown paths 404; other methods 405', async () => {
  await withServer({ snap: snapshot({ symbol: '<img src=x onerror=alert(1)>' }) }, async (port) => {
    const page = await get(port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.ok(page.body.includes('window.LightweightCharts='), 'chart library inlined');
    assert.ok(page.body.includes("new EventSource('/events')"));
    assert.ok(!page.body.includes('<img src=x'), 'symbol is escaped');
    assert.ok(page.body.includes('&#60;img src=x onerror=alert(1)&#62;'));
    assert.doesNotMatch(page.body, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resources');

    assert.equal((await get(port, '/nope')).status, 404);
    assert.equal((await get(port, '/health/x')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
  });
});

test('listens on 127.0.0.1 only', async (t) => {
  await withServer({ snap: snapshot() }, async (port) => {
    assert.equal((await get(port, '/health')).status, 200);
    const external = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    if (!external) {
      t.diagnostic('no non-loopback IPv4 interface on this machine: only loopback checked');
      return;
    }
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
      const s = net.connect({ host: external, port }, () => {
        s.destroy();
        resolve(null);
      });
      s.on('error', (e) => resolve(e));
    });
    assert.equal(err?.code, 'ECONNREFUSED', `reachable on ${external}`);
  });
});
