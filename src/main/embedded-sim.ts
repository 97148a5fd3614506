// --feed sim: the exchange simulator in a worker thread on 127.0.0.1 (ephemeral port), speaking the
// same WebSocket and REST protocol as Bitunix, so the engine's feed code is the one used live.
import type { Worker } from 'node:worker_threads';
import { publicWsUrl } from '../shared/bitunix/index.js';
import type { SimFault, SimOptions } from '../workers/exchange-sim/index.js';
import { spawnWorker } from './spawn-worker.js';

export interface EmbeddedSim {
  port: number;
  wsUrl: string;
  restUrl: string;
  inject(fault: SimFault): void;
  /** A replay sent its last frame (`candles` live candles in all). */
  onReplayDone(cb: (candles: number) => void): void;
  stop(): Promise<void>;
}

export async function startEmbeddedSim(options: SimOptions, timeoutMs = 15_000): Promise<EmbeddedSim> {
  const worker: Worker = spawnWorker('exchange-sim/worker', { workerData: { kind: 'exchange-sim', options } });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start within ${timeoutMs} ms`)), timeoutMs);
    worker.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`simulator failed to start: ${err.message}`));
    });
    worker.on('message', (m: { type?: string; port?: number }) => {
      if (m?.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        resolve(m.port);
      }
    });
  });
  let stopped: Promise<void> | null = null;
  const replayDone: Array<(candles: number) => void> = [];
  worker.on('message', (m: { type?: string; candles?: number }) => {
    if (m?.type === 'replay-done') for (const cb of replayDone) cb(m.candles ?? 0);
  });
  return {
    port,
    wsUrl: publicWsUrl(`ws://127.0.0.1:${port}`),
    restUrl: `http://127.0.0.1:${port}`,
    inject: (fault) => worker.postMessage({ type: 'fault', fault }),
    onReplayDone: (cb) => void replayDone.push(cb),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => void worker.terminate().then(() => resolve()), 2000);
        worker.on('message', (m: { type?: string }) => {
          if (m?.type === 'stopped') {
            clearTimeout(force);
            void worker.terminate().then(() => resolve());
          }
        });
        worker.postMessage({ type: 'stop' });
      });
      return stopped;
    },
  };
}
