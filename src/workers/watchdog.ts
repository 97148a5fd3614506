// Frozen-loop watchdog: the main thread stamps a shared word every second; if the stamp stays unchanged
// for longer than the limit while this thread keeps running, the main loop is stuck (a busy loop, a sync
// call that never returns) and nothing in it can save the session, so this thread ends the process for pm2
// to restart it. When this thread's own check came far too late, the whole process was suspended (SIGSTOP,
// a laptop that slept): that is not a freeze, the count restarts and the main thread is told.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { startWatchdogState, watchdogStep, type WatchdogWokeMessage } from '../shared/watchdog-verdict.js';

interface WatchdogData {
  beat: SharedArrayBuffer;
  limitMs: number;
  checkMs: number;
}

const { beat, limitMs, checkMs } = workerData as WatchdogData;
const stamp = new BigInt64Array(beat);
const limits = { limitMs, checkMs };
let state = startWatchdogState(Date.now(), Atomics.load(stamp, 0));

// The wall clock, not a monotonic one: a laptop's sleep shows only there.
const timer = setInterval(() => {
  const now = Date.now();
  const before = state.checkedAt;
  const step = watchdogStep(state, now, Atomics.load(stamp, 0), limits);
  state = step.state;
  const v = step.verdict;
  if (v.kind === 'woke') {
    const woke: WatchdogWokeMessage = { type: 'woke', fromTs: before, toTs: now };
    parentPort?.postMessage(woke);
  } else if (v.kind === 'frozen') {
    // A worker's process.stderr goes through the (frozen) main thread: write to fd 2 directly.
    writeSync(
      2,
      `${JSON.stringify({ level: 60, time: now, msg: `watchdog: main loop frozen for ${v.frozenMs} ms (limit ${limitMs} ms); killing the process` })}\n`,
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
