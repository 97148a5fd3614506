// Execution worker (a piscina task): waits the order's simulated exchange latency off the main thread,
// then prices the fill from the ring's latest tick at that moment (no look-ahead). It returns a quote as
// data; the main thread decides whether the broker accepts it (a tick older than the order's time plus
// its latency is not). No top-level await (piscina loads it by require).
import { workerData } from 'piscina';
import { TickRing } from '../shared/tick-ring.js';
import type { FillQuote, Order } from '../shared/types.js';
import { answerMemoryCensus } from './memory-census.js';

answerMemoryCensus('execution');

export interface ExecutionTask {
  order: Order;
  /** Wall-clock wait standing for the order's latency (order.latencyMs is in market ms). */
  waitMs: number;
}

const ring = new TickRing((workerData as { ringBuffer: SharedArrayBuffer }).ringBuffer);
/** Half-spread used when the ring holds no tick yet: 1 bp around the order's reference price. */
const SYNTHETIC_HALF_SPREAD = 0.0001;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export default async function execute(task: ExecutionTask): Promise<FillQuote> {
  if (task.waitMs > 0) await sleep(task.waitMs);
  const latencyMs = task.order.latencyMs ?? 0;
  const t = ring.latest();
  if (t === null) {
    const p = task.order.refPrice;
    return {
      orderId: task.order.id,
      ts: task.order.createdAt + latencyMs,
      bid: p * (1 - SYNTHETIC_HALF_SPREAD),
      ask: p * (1 + SYNTHETIC_HALF_SPREAD),
      last: p,
      latencyMs,
      synthetic: true,
    };
  }
  return { orderId: task.order.id, ts: t.ts, bid: t.bid, ask: t.ask, last: t.last, latencyMs, synthetic: false };
}
