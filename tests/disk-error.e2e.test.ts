// Disk errors (SPEC §5, issue 4) for real, with the built engine: the state dir is a tiny tmpfs filled to
// the last byte while a position is open (root ignores chmod, but not ENOSPC). No crash, no partial file:
// state.json stays the last good snapshot; new entries stop while the open position is still managed to
// its exit; the error is logged and summarised; once space is back the next start loads cleanly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { applyEvent, freshBrokerState } from '../src/shared/broker-state.js';
import { isBrokerEvent, type BrokerEvent } from '../src/shared/events.js';
import { validateSnapshot } from '../src/shared/state-schema.js';
import type { StateSnapshot } from '../src/shared/types.js';
import { fastArgs, logLines, MAIN, readEvents, run, tempDir, waitFor, waitReady, type LogLine, type Run } from './helpers/engine.js';
import { lacking } from './helpers/prerequisite.js';

const mounts: string[] = [];
after(() => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
});

/** A fresh tmpfs of `size` (mount(8) syntax); the reason when it cannot be mounted (not root, no mount). */
function tmpfs(size: string): { dir: string } | { skip: string } {
  const dir = tempDir('la-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return { skip: `cannot mount a tmpfs to fill (${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}); needs root` };
  mounts.push(dir);
  return { dir };
}

/** Write zeros into `file` until the filesystem refuses a single byte more. */
function fillDisk(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const chunk of [65536, 4096, 512, 1]) {
      const buf = Buffer.alloc(chunk);
      for (;;) {
        try {
          writeSync(fd, buf);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw e;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

const args = (stateDir: string, extra: string[]): string[] => fastArgs(stateDir, extra);
const readSnapshot = (dir: string): StateSnapshot | null => {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as StateSnapshot;
  } catch {
    return null;
  }
};
const faultIndex = (logs: LogLine[]): number => logs.findIndex((l) => l.level >= 50 && l.msg.startsWith('state could not be saved'));

async function stop(r: Run): Promise<number | null> {
  r.child.kill('SIGINT');
  const { code } = await r.exit;
  return code;
}

test('disk full mid-run: no crash, no partial file, no new positions, the open position still exits', async (t) => {
  const fs = tmpfs('2m');
  if ('skip' in fs) return lacking(t, fs.skip);
  const dir = path.join(fs.dir, 'BTCUSDT');
  // A stop 20 bps away: positions last seconds, long enough to fill the disk while one is open.
  const r = run(MAIN, args(dir, ['--stop-bps', '20', '--tp-r', '1', '--latency-ms', '0-50']));
  let before: StateSnapshot;
  try {
    await waitReady(r);
    before = await waitFor(
      'a snapshot with an open position',
      () => {
        const s = readSnapshot(dir);
        return s?.position ? s : null;
      },
      30_000,
      20,
    );
    fillDisk(path.join(fs.dir, 'filler'));

    const fault = await waitFor(
      'the disk error to be reported',
      () => {
        const logs = logLines(r.stdout());
        const i = faultIndex(logs);
        return i >= 0 ? { i, line: logs[i]! } : null;
      },
      10_000,
      50,
    );
    assert.match(fault.line.msg, /ENOSPC: no space left on device/);
    assert.match(fault.line.msg, /no new positions until it can/);
    // The position open at the fault is still managed: its exit is decided on ticks after the fault.
    const exit = await waitFor(
      'the open position to exit after the fault',
      () =>
        logLines(r.stdout())
          .slice(fault.i)
          .find((l) => l.msg.startsWith('EXIT ') && l.orderId === before.position!.orderId),
      30_000,
      50,
    );
    assert.equal(exit.source, 'tick');
    // Four more candles close (one every 0.5 s at --sim-speed 120) and the plugin asks to enter on each: refused.
    await new Promise((res) => setTimeout(res, 2500));
    assert.equal(r.child.exitCode, null, 'still running: a full disk is not a crash');
    assert.equal(await stop(r), 0, r.stderr());
  } finally {
    r.child.kill('SIGKILL');
  }

  const logs = logLines(r.stdout());
  const sinceFault = logs.slice(faultIndex(logs));
  assert.deepEqual(
    sinceFault.filter((l) => l.msg.startsWith('FILL ')).map((l) => l.orderId),
    [],
    'no position opened after the fault',
  );
  assert.equal(logs.filter((l) => l.level >= 60).length, 0, 'nothing fatal');
  // Summary on stdout (final_report.json cannot be written on a full disk).
  assert.match(r.stdout(), /status {5}error \(exit 0, reason: signal\)/);
  assert.match(r.stdout(), /errors {5}1 \(last: state could not be saved: .*ENOSPC/);
  // No partial file: state.json is the last good snapshot, byte for byte valid; no temp file is left.
  const now = readSnapshot(dir);
  assert.ok(now, 'state.json still parses');
  assert.equal(validateSnapshot(now), null);
  assert.ok(now.seq >= before.seq);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [],
  );
  const journal = readFileSync(path.join(dir, 'events.jsonl'), 'utf8');
  assert.ok(journal.endsWith('\n'), 'no half-written journal line');
  for (const l of journal.split('\n').filter(Boolean)) JSON.parse(l);

  // Space is back: the next start loads the last good state and the journal folds to what it saves.
  rmSync(path.join(fs.dir, 'filler'));
  const again = run(MAIN, args(dir, ['--stop-bps', '20', '--tp-r', '1', '--latency-ms', '0-50']));
  try {
    await waitReady(again);
    assert.equal(await stop(again), 0, again.stderr());
  } finally {
    again.child.kill('SIGKILL');
  }
  const events = readEvents(dir);
  assert.equal(events.filter((e) => e.event === 'StateLoaded').at(-1)!.source, 'primary');
  const genesis = events.find((e) => e.event === 'SessionStart') as unknown as { balance: number; at: number };
  const folded = events
    .filter((e) => isBrokerEvent(e))
    .reduce((s, e) => applyEvent(s, e as unknown as BrokerEvent), freshBrokerState(genesis.balance, genesis.at));
  const final = readSnapshot(dir)!;
  assert.equal(validateSnapshot(final), null);
  assert.equal(final.equity, folded.equity);
  assert.deepEqual(final.position, folded.position);
  assert.deepEqual(final.processedOrderIds, folded.processedOrderIds);
});

test('disk full while an order waits out its latency: the late fill does not open a position', {}, async (t) => {
  const fs = tmpfs('2m');
  if ('skip' in fs) return lacking(t, fs.skip);
  const dir = path.join(fs.dir, 'BTCUSDT');
  // 1.5 s of latency: the heartbeat (every 1 s) hits the full disk before the quote comes back.
  const r = run(MAIN, args(dir, ['--stop-bps', '5', '--tp-r', '1', '--latency-ms', '1500']));
  try {
    await waitReady(r);
    const queued = await waitFor('an order in flight', () => readEvents(dir).find((e) => e.event === 'OrderQueued'), 20_000, 10);
    fillDisk(path.join(fs.dir, 'filler'));
    await waitFor('the disk error to be reported', () => faultIndex(logLines(r.stdout())) >= 0, 10_000, 50);
    await new Promise((res) => setTimeout(res, 2000)); // the quote returns meanwhile
    assert.equal(await stop(r), 0, r.stderr());
    const logs = logLines(r.stdout());
    const fills = logs.slice(faultIndex(logs)).filter((l) => l.msg.startsWith('FILL '));
    assert.deepEqual(
      fills.map((l) => l.orderId),
      [],
      `order ${String(queued.orderId)} filled after the fault`,
    );
  } finally {
    r.child.kill('SIGKILL');
  }
});
