// Measures the time from the end of a half-open partition (the blackhole route removed) to the recovered
// exit of a stop crossed during it: the simulator and the engine in two network namespaces joined by a
// veth pair, a position open, `ip route add blackhole` on the simulator side while the price crosses the
// stop and comes back. Needs root and `ip netns` (Linux). Takes about 2 minutes per run.
//   npm run build && node --import tsx scripts/partition-recovery.ts [--seconds 45] [--runs 1] [--backoff 1,4]
// --backoff BASE,MAX sets the engine's reconnect backoff in seconds (default 1,4 as in the test; 5,60 is the
// engine's own default).
import { parseArgs } from 'node:util';
import { readEvents, type EntryOf } from '../tests/helpers/engine.js';
import { stopEngine, waitForExit } from '../tests/helpers/blind-span.js';
import { netnsUnavailable } from '../tests/helpers/netns.js';
import { withPartition } from '../tests/helpers/partition.js';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '45' }, runs: { type: 'string', default: '1' }, backoff: { type: 'string', default: '1,4' } },
});
const seconds = Number(values.seconds);
const runs = Number(values.runs);
const [backoffBase, backoffMax] = values.backoff.split(',').map(Number) as [number, number];
if (!(seconds >= 15 && seconds <= 600) || !(Number.isInteger(runs) && runs >= 1 && runs <= 20) || !(backoffBase > 0 && backoffMax >= backoffBase)) {
  process.stderr.write('partition-recovery: --seconds must be 15-600, --runs an integer 1-20, --backoff BASE,MAX seconds with 0 < BASE <= MAX\n');
  process.exit(2);
}
const why = netnsUnavailable();
if (why !== null) {
  process.stderr.write(`partition-recovery: ${why}\n`);
  process.exit(2);
}

const rows: string[] = [];
let failed = false;
for (let i = 0; i < runs; i++) {
  await withPartition(
    {
      blackholeMs: seconds * 1000,
      excursionMs: Math.min(15_000, seconds * 500),
      seed: 100 + i,
      engineExtra: ['--backoff-base', String(backoffBase), '--backoff-max', String(backoffMax)],
      log: (l) => process.stderr.write(`run ${i + 1}: ${l}\n`),
    },
    async ({ engine, stateDir, fill, restoredAt }) => {
      let exit: EntryOf<'Exit'>;
      try {
        exit = await waitForExit(stateDir, fill.orderId, 90_000);
      } catch (e) {
        failed = true;
        rows.push(`| ${i + 1} | ${seconds} s | no exit within 90 s | - | - |`);
        process.stderr.write(`run ${i + 1}: ${(e as Error).message}\n`);
        await stopEngine(engine, stateDir);
        return;
      }
      const resumed = readEvents(stateDir).find((e) => e.event === 'WsConnected' && e.ts >= restoredAt);
      const toData = resumed === undefined ? '-' : `${((resumed.ts - restoredAt) / 1000).toFixed(2)} s`;
      const toExit = ((exit.ts - restoredAt) / 1000).toFixed(2);
      rows.push(`| ${i + 1} | ${seconds} s | ${toExit} s | ${toData} | ${exit.recovered === true ? 'yes' : 'NO'} |`);
      process.stderr.write(`run ${i + 1}: route removed → exit ${toExit} s (data back after ${toData}, recovered: ${String(exit.recovered === true)})\n`);
      if (exit.recovered !== true) failed = true;
      await stopEngine(engine, stateDir);
    },
  );
}
console.log(`backoff ${backoffBase} s doubling to ${backoffMax} s`);
console.log(['| run | partition | route removed → recovered exit | route removed → data | recovered |', '|---|---|---|---|---|', ...rows].join('\n'));
process.exit(failed ? 1 : 0);
