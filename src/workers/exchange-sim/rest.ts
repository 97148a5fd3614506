// The simulator's HTTP side: the exchange's REST kline and funding endpoints, and the control endpoints
// (POST /sim/fault, GET /sim/status, GET /sim/flood).
import type http from 'node:http';
import {
  encodeFundingRate,
  encodeRestKlines,
  encodeRestParamError,
  FUNDING_RATE_PATH,
  KLINE_PATH,
  parseKlineQuery,
  querySymbol,
  restIntervalMs,
} from '../../shared/bitunix/index.js';
import type { Candle } from '../../shared/types.js';
import { parseSimFault, type SimFault } from './faults.js';
import { FUNDING_PERIOD_MS, type SymbolMarket } from './market.js';
import type { SimFloodReport, SimStatus } from './types.js';

const MAX_CONTROL_BODY = 64 * 1024;

/** What the HTTP side needs of the simulator. */
export interface RestHost {
  status(): SimStatus;
  floodReport(since: number): SimFloodReport;
  inject(f: SimFault): void;
  market(symbol: string): SymbolMarket | undefined;
  /** Step every market's price to market time now. */
  advanceAll(): void;
  /** The REST kline selection, with the still-forming candle and the skipKlines corruption as configured. */
  restCandles(m: SymbolMarket, intervalMs: number, limit: number, startTime: number | null, endTime: number | null): Candle[];
}

export function handleRest(sim: RestHost, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://sim');
  const reply = (status: number, body: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  };
  const paramError = (msg: string): void => reply(200, encodeRestParamError(msg));
  if (url.pathname === '/sim/fault' && req.method === 'POST') return handleFaultPost(sim, req, reply);
  if (url.pathname === '/sim/status' && req.method === 'GET') return reply(200, JSON.stringify(sim.status()));
  if (url.pathname === '/sim/flood' && req.method === 'GET')
    return reply(200, JSON.stringify(sim.floodReport(Number(url.searchParams.get('since') ?? 0) || 0)));
  if (req.method !== 'GET') return reply(405, '{"code":405,"msg":"Method Not Allowed"}');
  const market = sim.market(querySymbol(url.searchParams).toUpperCase());
  if (url.pathname === KLINE_PATH) {
    if (market === undefined) return paramError('Parameter error: symbol');
    const q = parseKlineQuery(url.searchParams);
    const intervalMs = restIntervalMs(q.interval);
    if (intervalMs === undefined) return paramError('Parameter error: interval');
    const limit = q.limit ?? 100;
    const { startTime, endTime } = q;
    if (Number.isNaN(limit) || Number.isNaN(startTime) || Number.isNaN(endTime) || limit <= 0) {
      return paramError('Parameter error');
    }
    sim.advanceAll();
    return reply(200, encodeRestKlines(sim.restCandles(market, intervalMs, Math.min(limit, 200), startTime, endTime)));
  }
  if (url.pathname === FUNDING_RATE_PATH) {
    if (market === undefined) return paramError('Parameter error: symbol');
    sim.advanceAll();
    const k = Math.floor(market.tick.ts / FUNDING_PERIOD_MS);
    return reply(
      200,
      encodeFundingRate(market.symbol, {
        rate: market.fundingEstimate(k),
        nextFundingTime: (k + 1) * FUNDING_PERIOD_MS,
        intervalHours: FUNDING_PERIOD_MS / 3_600_000,
        markPrice: market.markPrice(),
        lastPrice: market.tick.last,
      }),
    );
  }
  reply(404, '{"code":404,"msg":"Not Found"}');
}

/** POST /sim/fault with a SimFault as JSON → 200 {"ok":true}, or 400 {"ok":false,"error":...}. */
function handleFaultPost(sim: RestHost, req: http.IncomingMessage, reply: (status: number, body: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (d: Buffer) => {
    size += d.length;
    if (size <= MAX_CONTROL_BODY) chunks.push(d);
  });
  req.on('error', () => {});
  req.on('end', () => {
    let fault: SimFault;
    try {
      if (size > MAX_CONTROL_BODY) throw new Error(`body over ${MAX_CONTROL_BODY} bytes`);
      fault = parseSimFault(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch (e) {
      return reply(400, JSON.stringify({ ok: false, error: e instanceof Error ? e.message : String(e) }));
    }
    sim.inject(fault);
    reply(200, '{"ok":true}');
  });
}
