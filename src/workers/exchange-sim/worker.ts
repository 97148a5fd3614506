// The simulator as a worker thread: started with workerData {kind:'exchange-sim', options}, it listens,
// answers fault and stop messages, and reports listening, errors, the replay's end and its stop.
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ExchangeSim } from './exchange-sim.js';
import type { SimOptions, SimParentMessage, SimWorkerMessage } from './types.js';

function runAsWorker(port: MessagePort, options: SimOptions): void {
  const sim = new ExchangeSim(options);
  const post = (m: SimWorkerMessage): void => port.postMessage(m);
  sim.onReplayDone((candles) => post({ type: 'replay-done', candles }));
  port.on('message', (m: SimParentMessage) => {
    if (m.type === 'fault') sim.inject(m.fault);
    else if (m.type === 'stop') {
      void sim.stop().then(() => {
        post({ type: 'stopped' });
        port.close(); // nothing else keeps the thread alive: it exits
      });
    }
  });
  sim.start().then(
    (p) => post({ type: 'listening', port: p }),
    (e: unknown) => {
      post({ type: 'error', message: e instanceof Error ? e.message : String(e) });
      port.close();
    },
  );
}

const wd = workerData as { kind?: string; options?: SimOptions } | null | undefined;
if (!isMainThread && parentPort !== null && wd?.kind === 'exchange-sim') runAsWorker(parentPort, wd.options ?? {});
