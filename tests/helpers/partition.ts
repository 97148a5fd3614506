// A half-open partition made by the kernel: the simulator in one network namespace, the engine in another,
// joined by a veth pair. With a position open, a blackhole route on the simulator side drops every packet
// to the engine (no FIN, no RST: the engine's socket looks open until its idle timeout) while the price
// crosses the stop and comes back; then the route is removed. Shared by the end-to-end test and by
// scripts/partition-recovery.ts, which times the recovery.
import {
  against,
  assertStopCrossedInCandles,
  Cleanup,
  inject,
  marketNow,
  startEngine,
  startStandaloneSim,
  waitForPosition,
  type SimHandle,
} from './blind-span.js';
import type { EntryOf, Run } from './engine.js';
import { createNetnsPair, type NetnsPair } from './netns.js';
import path from 'node:path';

export interface PartitionOptions {
  /** How long the blackhole route stays (ms). */
  blackholeMs: number;
  /** How long the price stays past the stop, from the moment the route is added (ms). */
  excursionMs: number;
  seed: number;
  /** More engine flags (a flag given twice: the last one wins). */
  engineExtra?: string[];
  /** Progress lines (the script prints them). */
  log?: (line: string) => void;
}

export interface PartitionRun {
  pair: NetnsPair;
  sim: SimHandle;
  engine: Run;
  stateDir: string;
  fill: EntryOf<'Fill'>;
  /** Market time the price crossed the stop. */
  crossedAt: number;
  /** Wall time the route was removed. */
  restoredAt: number;
}

/** Set up, partition, heal, then run `body`; every process, namespace and directory is removed after it. */
export async function withPartition<T>(o: PartitionOptions, body: (p: PartitionRun) => Promise<T>): Promise<T> {
  const log = o.log ?? ((): void => {});
  const c = new Cleanup();
  const pair = await createNetnsPair();
  try {
    const sim = await startStandaloneSim(
      c,
      { host: pair.simIp, simPrefix: pair.exec(pair.simNs), fetchVia: (url, b) => pair.fetchIn(pair.simNs, url, b) },
      o.seed,
    );
    const stateDir = path.join(c.dir('la-partition-'), 'BTCUSDT');
    const engine = startEngine(c, { host: pair.simIp, enginePrefix: pair.exec(pair.engineNs) }, sim.port, stateDir, o.engineExtra);
    log(`simulator ${pair.simIp}:${sim.port} in ${pair.simNs}, engine in ${pair.engineNs}; waiting for a position`);
    const fill = await waitForPosition(stateDir, engine);
    log(`${fill.side} position at ${fill.price as number}, stop ${fill.sl as number}; blackhole for ${o.blackholeMs / 1000} s`);
    await pair.blackhole();
    const crossedAt = await marketNow(sim);
    await inject(sim, against(fill, 300, o.excursionMs));
    await new Promise((r) => setTimeout(r, o.blackholeMs));
    await pair.restore();
    const restoredAt = Date.now();
    log('route removed');
    await assertStopCrossedInCandles(sim, fill, crossedAt);
    return await body({ pair, sim, engine, stateDir, fill, crossedAt, restoredAt });
  } finally {
    // a route left by a failure goes with its namespace
    await c.all();
    pair.destroy();
  }
}
