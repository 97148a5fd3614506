// Frozen-loop watchdog: the main thread stamps a shared word every second; if the stamp stays unchanged
// for longer than the limit while this thread keeps running, the main loop is stuck (a busy loop, a sync
// call that never returns) and nothing in it can save the session, so this thread ends the process for pm2
// to restart it. When this thread's own check came far too late, the whole process was suspended (SIGSTOP,
// a laptop that slept): that is not a freeze, the count restarts (the main thread notices the suspension
// itself, from its own heartbeat, and treats it as a blind span).
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { startWatchdogState, watchdogStep } from '../shared/watchdog-verdict.js';
import { answerMemoryCensus } from './memory-census.js';

answerMemoryCensus('watchdog');

interface WatchdogData {
  beat: SharedArrayBuffer;
  limitMs: number;
  checkMs: number;
}

const { beat, limitMs, checkMs } = workerData as WatchdogData;
const stamp = new BigInt64Array(beat);
const limits = { limitMs, checkMs };
let state = startWatchdogState(Date.now(), Atomics.load(stamp, 0));

/** A pino-shaped line on stderr. A worker's process.stderr goes through the (maybe frozen) main thread: fd 2 directly. */
function say(level: number, time: number, msg: string): void {
  writeSync(2, `${JSON.stringify({ level, time, msg })}\n`);
}

// The wall clock, not a monotonic one: a laptop's sleep shows only there.
const timer = setInterval(() => {
  const now = Date.now();
  const step = watchdogStep(state, now, Atomics.load(stamp, 0), limits);
  state = step.state;
  const v = step.verdict;
  if (v.kind === 'woke') {
    say(40, now, `watchdog: process was suspended for about ${v.sleptMs} ms; not a frozen loop, count restarted`);
  } else if (v.kind === 'frozen') {
    say(60, now, `watchdog: main loop frozen for ${v.frozenMs} ms (limit ${limitMs} ms); killing the process`);
    process.kill(process.pid, 'SIGKILL');
  }
}, checkMs);

parentPort?.on('message', (m: unknown) => {
  if (m === 'stop') {
    clearInterval(timer);
    parentPort?.close();
  }
});
