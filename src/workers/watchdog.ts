// Frozen-loop watchdog (SPEC §6): the main thread stamps a shared word every second; if the stamp is older
// than the limit, the main loop is stuck (a busy loop, a sync call that never returns) and nothing in it
// can save the session, so this thread ends the process for pm2 to restart it.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';

interface WatchdogData {
  beat: SharedArrayBuffer;
  limitMs: number;
  checkMs: number;
}

const { beat, limitMs, checkMs } = workerData as WatchdogData;
const stamp = new BigInt64Array(beat);

const timer = setInterval(() => {
  const last = Number(Atomics.load(stamp, 0));
  if (last > 0 && Date.now() - last > limitMs) {
    // A worker's process.stderr goes through the (frozen) main thread: write to fd 2 directly.
    writeSync(
      2,
      `${JSON.stringify({ level: 60, time: Date.now(), msg: `watchdog: main loop frozen for ${Date.now() - last} ms (limit ${limitMs} ms); killing the process` })}\n`,
    );
    process.kill(process.pid, 'SIGKILL');
  }
}, checkMs);

parentPort?.on('message', (m: unknown) => {
  if (m === 'stop') {
    clearInterval(timer);
    parentPort?.close();
  }
});
