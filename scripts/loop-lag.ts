// Loop-lag benchmark: a steady stream of book frames goes through the real decode → ring →
// broker path while N orders wait their execution latency in the piscina pool. Reports event-loop lag
// (perf_hooks.monitorEventLoopDelay) and checks that every tick was processed and every order came back.
//   node --import tsx scripts/loop-lag.ts [--seconds 5] [--rate 5000] [--orders 50] [--latency 500]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { WorkerPoolExecutor } from '../src/main/trading/worker-pool-executor.js';
import { TradingCore } from '../src/main/trading/trading-core.js';
import { decodeFrame, encodeBook } from '../src/shared/bitunix/index.js';
import { PaperBroker } from '../src/shared/broker.js';
import { DEFAULT_BROKER_CONFIG } from '../src/shared/broker-config.js';
import { freshBrokerState } from '../src/shared/broker-state.js';
import { CandleBuilder } from '../src/shared/candle-builder.js';
import { createRng } from '../src/shared/rng.js';
import { TickRing } from '../src/shared/tick-ring.js';
import type { Order } from '../src/shared/types.js';
import { CORE_CONFIG, sinkWith } from '../tests/helpers/core-sink.js';

export interface LoopLagResult {
  seconds: number;
  rate: number;
  ticksSent: number;
  ticksProcessed: number;
  ordersSubmitted: number;
  ordersBack: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

const RESOLUTION_MS = 10;

export async function measureLoopLag(opts: { seconds: number; rate: number; orders: number; latencyMs: number }): Promise<LoopLagResult> {
  const t0 = Date.UTC(2026, 0, 5, 12, 0);
  const ring = TickRing.allocate(1024);
  const broker = new PaperBroker({ ...DEFAULT_BROKER_CONFIG, minTradeIntervalMs: 0 }, createRng(1), freshBrokerState(10_000, t0));
  let back = 0;
  const sink = sinkWith();
  const exec = new WorkerPoolExecutor({
    capacity: opts.orders,
    ring,
    onFailure: () => {
      back++;
    },
  });
  const core = new TradingCore(CORE_CONFIG, broker, new CandleBuilder(60_000), ring, { name: 'none', onCandle: () => null }, sink, exec);
  // Counted once per order: a quote that came back before its due tick is delivered again when the market reaches it.
  const quoted = new Set<string>();
  exec.deliverTo((o, q) => {
    if (!quoted.has(o.id)) {
      quoted.add(o.id);
      back++;
    }
    core.onQuote(o, q);
  });
  // an open position with a wide bracket, so every tick runs the stop/target/trailing checks
  core.onFrame(decodeFrame(encodeBook('BTCUSDT', t0, 100_000, 100_000.1, 1, 1)), t0);
  core.onQuote(
    { id: 'open', side: 'LONG', qty: 0.1, refPrice: 100_000, sl: 90_000, tp: 110_000, createdAt: t0 },
    { orderId: 'open', ts: t0, bid: 100_000, ask: 100_000.1, last: 100_000, latencyMs: 0, synthetic: false },
  );
  if (!broker.state.position) throw new Error('loop-lag: the position did not open');

  // warm the pool so thread start-up is not measured
  const warm: Order = { id: 'warm', side: 'LONG', qty: 0.1, refPrice: 100_000, sl: 99_000, tp: 101_000, createdAt: t0, latencyMs: opts.latencyMs };
  exec.submit(warm);
  while (back < 1) await new Promise((r) => setTimeout(r, 10));
  back = 0;

  const frames: string[] = [];
  for (let i = 0; i < 1000; i++) {
    const p = 100_000 + Math.sin(i / 50) * 200;
    frames.push(encodeBook('BTCUSDT', 0, Math.round(p * 10) / 10, Math.round(p * 10) / 10 + 0.1, 1, 1));
  }
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let sent = 0;
  let ts = t0;
  const total = Math.round(opts.rate * opts.seconds);
  const perMs = opts.rate / 1000;
  const start = performance.now();
  let submitted = 0;
  for (let i = 0; i < opts.orders; i++) {
    if (exec.submit({ ...warm, id: `o${i}` })) submitted++;
  }
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) * perMs));
      while (sent < due) {
        ts += 1;
        // the frame text carries ts 0; stamp it here so market time advances
        const f = decodeFrame(frames[sent % frames.length]!);
        if (f.type === 'book') f.ts = ts;
        core.onFrame(f, Date.now());
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(pump, 1);
    };
    pump();
  });
  while (back < submitted) await new Promise((r) => setTimeout(r, 10));
  h.disable();
  await exec.close(1000);
  const ms = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
  return {
    seconds: opts.seconds,
    rate: opts.rate,
    ticksSent: sent,
    ticksProcessed: core.ticks - 1,
    ordersSubmitted: submitted,
    ordersBack: back,
    lagP50Ms: ms(h.percentile(50)),
    lagP99Ms: ms(h.percentile(99)),
    lagMaxMs: ms(h.max),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, d: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const r = await measureLoopLag({ seconds: arg('seconds', 5), rate: arg('rate', 5000), orders: arg('orders', 50), latencyMs: arg('latency', 500) });
  console.log(JSON.stringify(r));
}
