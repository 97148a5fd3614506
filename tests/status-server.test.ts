// The status endpoint a supervisor and a trader use: /health follows the snapshot (200 only while running
// with fresh data), /metrics is valid Prometheus text with exact values, /events streams published samples
// (replaying the ones before the page connected), unknown paths are 404, and nothing listens off loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import pino from 'pino';
import type { Logger } from '../src/main/logger.js';
import { prometheusText } from '../src/main/metrics-text.js';
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
): Promise<void> {
  const server = await startStatusServer({
    port: 0,
    getStatus: () => current.snap,
    getMetricsText: () => prometheusText(current.snap),
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
      const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
      assert.ok(raw === 'NaN' || !Number.isNaN(value), `non-numeric value in: ${line}`);
      assert.ok(help.has(m[1]!) && type.has(m[1]!), `${m[1]} sampled before its HELP and TYPE`);
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
    for (const k of ['ts', 'pid', 'status', 'symbol', 'price', 'position', 'equity', 'unrealized', 'ticks', 'badFrames', 'reconnects', 'wsState', 'queueDepth', 'loopLagP99Ms', 'rssMb', 'errors', 'lastError']) {
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

test('GET /metrics is Prometheus text: HELP and TYPE for every metric, exact values, symbol label', async () => {
  const current = { snap: snapshot() };
  await withServer(current, async (port) => {
    const res = await get(port, '/metrics');
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const { type, samples } = parseProm(res.body);
    const values = Object.fromEntries(samples.map((s) => [s.name, s.value]));
    assert.deepEqual(values, {
      la_ticks_total: 1234,
      la_bad_frames_total: 3,
      la_reconnects_total: 2,
      la_orders_total: 7,
      la_fills_total: 6,
      la_exits_total: 5,
      la_errors_total: 0,
      la_equity: 10_012.75,
      la_unrealized: 21.875,
      la_loop_lag_p99_ms: 0.75,
      la_rss_mb: 88.4,
      la_stop_decision_p99_us: 42,
      la_queue_depth: 1,
      la_position_qty: -0.25, // short
    });
    for (const s of samples) {
      assert.deepEqual(s.labels, { symbol: 'BTCUSDT' });
      assert.equal(type.get(s.name), s.name.endsWith('_total') ? 'counter' : 'gauge', s.name);
    }
  });
});

test('metrics: flat is qty 0, and a hostile symbol is escaped in the label and parses back intact', () => {
  const symbol = 'BAD"SYM\\\nX';
  const { samples } = parseProm(prometheusText(snapshot({ symbol, position: null, equity: Number.NaN })));
  assert.equal(samples.length, 14);
  for (const s of samples) assert.equal(s.labels.symbol, symbol);
  assert.equal(samples.find((s) => s.name === 'la_position_qty')?.value, 0);
  assert.ok(Number.isNaN(samples.find((s) => s.name === 'la_equity')?.value));
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
