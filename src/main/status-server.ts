// The status endpoint (`--http-port`, off by default): `GET /health` for supervisors, `GET /metrics` for
// Prometheus, and `GET /` a live page (price, position, equity curve) fed by server-sent events from
// `GET /events`. node:http only, bound to 127.0.0.1: it exposes the account, so never the network.
// Requests read a snapshot the session builds on demand; `publish` is called once per heartbeat, so
// nothing here runs on the tick path.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Position } from '../shared/types.js';
import { LiveHistory, liveEvent, type LiveSample } from './live-history.js';
import type { Logger } from './logger.js';
import type { MetricCounters, TradingStateName } from './prom-metrics.js';
import { escapeHtml, inlineScript, loadChartLib } from './report-html.js';

/** The heartbeat fields (docs/contracts.md) plus what /health and /metrics need. */
export interface StatusSnapshot extends MetricCounters {
  ts: number;
  pid: number;
  status: 'starting' | 'running' | 'stale' | 'stopping';
  symbol: string;
  price: number | null;
  position: Position | null;
  equity: number;
  unrealized: number;
  wsState: string;
  lastError: string | null;
  /** Wall ms since the last tick; null before the first one. */
  lastTickAgeMs: number | null;
  /** Data older than this is stale (--stale-timeout). */
  staleAfterMs: number;
  /** ACTIVE | REDUCING | HALTED and why (docs/contracts.md). */
  tradingState?: { state: TradingStateName; reason: string | null };
  /** Blind spans journaled this run. */
  blindSpans?: number;
}

export type { LiveSample };

export interface StatusServer {
  port: number;
  publish(sample: LiveSample): void;
  close(): Promise<void>;
}

export interface Health {
  healthy: boolean;
  reason: string;
}

/** Healthy = trading with fresh data: status running and a tick within the stale timeout. */
export function healthOf(s: Pick<StatusSnapshot, 'status' | 'lastTickAgeMs' | 'staleAfterMs'>): Health {
  if (s.status !== 'running') return { healthy: false, reason: `status is ${s.status}` };
  if (s.lastTickAgeMs === null) return { healthy: false, reason: 'no tick received yet' };
  if (s.lastTickAgeMs > s.staleAfterMs) {
    return { healthy: false, reason: `no tick for ${(s.lastTickAgeMs / 1000).toFixed(1)} s (stale after ${s.staleAfterMs / 1000} s)` };
  }
  return { healthy: true, reason: 'ok' };
}

/** Samples replayed to a page that connects mid-session (an hour at 1 Hz). */
const HISTORY = 3600;
/** A client this far behind is dropped rather than buffered without bound. */
const MAX_CLIENT_BACKLOG = 1 << 20;

const LIVE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'self'";

const LIVE_SCRIPT = `
(function () {
  var $ = function (id) { return document.getElementById(id); };
  var LC = window.LightweightCharts;
  var series = null, lastTime = -Infinity, count = 0;
  if (LC) {
    var chart = LC.createChart($('equity-chart'), {
      autoSize: true,
      layout: { background: { type: 'solid', color: '#ffffff' }, textColor: '#333333' },
      grid: { vertLines: { color: '#f0f2f5' }, horzLines: { color: '#f0f2f5' } },
      timeScale: { timeVisible: true, secondsVisible: true },
    });
    series = chart.addSeries(LC.LineSeries, { color: '#2962ff', lineWidth: 2 });
  } else $('equity-chart').textContent = 'charting library missing';
  function money(x) { return typeof x === 'number' && isFinite(x) ? x.toFixed(2) : '\\u2014'; }
  function show(s) {
    var mark = s.equity + s.unrealized;
    $('status').textContent = s.status;
    $('status').className = 'badge ' + (s.status === 'running' ? 'ok' : 'bad');
    $('price').textContent = s.price === null ? '\\u2014' : String(s.price);
    $('position').textContent = s.position ? s.position.side + ' ' + s.position.qty + ' @ ' + s.position.entry : 'flat';
    $('equity').textContent = money(mark);
    $('unrealized').textContent = (s.unrealized > 0 ? '+' : '') + money(s.unrealized);
    $('updated').textContent = new Date(s.ts).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
    $('samples').textContent = String(++count);
    var t = Math.floor(s.ts / 1000);
    if (series && isFinite(mark) && t >= lastTime) { series.update({ time: t, value: mark }); lastTime = t; }
  }
  var es = new EventSource('/events');
  es.onopen = function () { $('conn').textContent = 'live'; };
  es.onerror = function () { $('conn').textContent = 'reconnecting\\u2026'; };
  es.onmessage = function (m) { show(JSON.parse(m.data)); };
})();
`;

function livePage(symbol: string, chartLib: string): string {
  const sym = escapeHtml(symbol);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${sym} · laptop-agents live</title>
<style>
:root { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d2330; background: #f5f6f8; }
body { margin: 0 auto; max-width: 1100px; padding: 16px 20px; }
h1 { font-size: 20px; margin: 8px 0; }
dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 6px 20px; margin: 0 0 12px; }
dt { font-size: 12px; color: #6b7280; } dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }
.badge { padding: 1px 8px; border-radius: 10px; } .ok { background: #d7f5ec; } .bad { background: #fde2e4; }
#equity-chart { height: 380px; background: #fff; border: 1px solid #e1e4ea; border-radius: 6px; }
</style>
</head>
<body>
<h1>${sym} <span id="status" class="badge">connecting</span></h1>
<dl>
<div><dt>Price</dt><dd id="price">—</dd></div>
<div><dt>Position</dt><dd id="position">—</dd></div>
<div><dt>Equity (mark)</dt><dd id="equity">—</dd></div>
<div><dt>Unrealized</dt><dd id="unrealized">—</dd></div>
<div><dt>Updated</dt><dd id="updated">—</dd></div>
<div><dt>Feed</dt><dd><span id="conn">connecting</span>, <span id="samples">0</span> samples</dd></div>
</dl>
<div id="equity-chart"></div>
<script>${inlineScript(chartLib)}</script>
<script>${LIVE_SCRIPT}</script>
</body>
</html>
`;
}

export async function startStatusServer(opts: {
  port: number;
  host?: '127.0.0.1';
  getStatus(): StatusSnapshot;
  /** Prometheus exposition text (`PromMetrics.text`), read per scrape. */
  getMetricsText(): string | Promise<string>;
  log: Logger;
}): Promise<StatusServer> {
  const host = '127.0.0.1';
  // Read once here: the page is static apart from the symbol; the data comes over /events.
  const page = livePage(opts.getStatus().symbol, await loadChartLib());
  const history = new LiveHistory(HISTORY);
  const clients = new Set<http.ServerResponse>();

  const send = (res: http.ServerResponse, status: number, type: string, body: string, extra: http.OutgoingHttpHeaders = {}): void => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...extra,
    });
    res.end(body);
  };

  const openEvents = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 2000\n\n${history.text()}`);
    clients.add(res);
    req.on('close', () => clients.delete(res));
  };

  const server = http.createServer((req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { allow: 'GET, HEAD' });
        return;
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      switch (url.pathname) {
        case '/health': {
          const s = opts.getStatus();
          const h = healthOf(s);
          send(res, h.healthy ? 200 : 503, 'application/json; charset=utf-8', `${JSON.stringify({ ...s, ...h })}\n`);
          return;
        }
        case '/metrics':
          Promise.resolve(opts.getMetricsText()).then(
            (text) => send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', text),
            (err: unknown) => {
              opts.log.error({ err: (err as Error).message }, 'status endpoint: /metrics failed');
              send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
            },
          );
          return;
        case '/':
          send(res, 200, 'text/html; charset=utf-8', page, { 'content-security-policy': LIVE_CSP });
          return;
        case '/events':
          openEvents(req, res);
          return;
        default:
          send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      }
    } catch (err) {
      opts.log.error({ err: (err as Error).message, url: req.url }, 'status endpoint: request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => opts.log.error({ err: err.message }, 'status endpoint error'));
  const port = (server.address() as AddressInfo).port;
  opts.log.info({ url: `http://${host}:${port}/` }, 'status endpoint listening');

  return {
    port,
    publish(sample: LiveSample): void {
      const msg = liveEvent(sample);
      history.push(sample);
      for (const res of clients) {
        if (res.writableLength > MAX_CLIENT_BACKLOG) {
          clients.delete(res);
          res.destroy();
        } else res.write(msg);
      }
    },
    close(): Promise<void> {
      for (const res of clients) res.end();
      clients.clear();
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
