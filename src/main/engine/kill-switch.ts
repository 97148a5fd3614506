// The kill switch: the kill file (checked through the persistence worker; the main thread touches no state file)
// flattens, persists HALTED(kill_switch) as halt.json and stops; a later start stays halted until --resume or
// until halt.json is deleted.
import type { Clock } from '../../shared/clock.js';
import { HALT_FILE, type HaltRecord } from '../../shared/persistence-api.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../state-store.js';

export interface KillSwitchDeps {
  store: StateStore;
  log: Logger;
  clock: Clock;
  killFile: string;
  resume: boolean;
  dryRun: boolean;
  /** True once the session stops: the poll stands down. */
  stopping(): boolean;
  /** The halt began or was lifted: recompute the trading state. */
  changed(): void;
  /** The kill file was seen: stop (flattening). */
  killed(): void;
  persistError(err: Error): void;
}

export class KillSwitch {
  /** HALTED(kill_switch): set by the kill file (persisted as halt.json), cleared by --resume or deleting halt.json. */
  private halted = false;
  private polling: Promise<void> | null = null;

  constructor(private readonly deps: KillSwitchDeps) {}

  get active(): boolean {
    return this.halted;
  }

  /** One look at the kill file and halt.json (skipped while the previous look is still out). */
  poll(): void {
    const d = this.deps;
    if (this.polling || d.stopping()) return;
    this.polling = d.store
      .controlFiles(d.killFile)
      .then((c) => {
        if (d.stopping()) return;
        if (c.kill) {
          if (c.killError) d.log.warn({ file: d.killFile, err: c.killError }, 'kill file seen but could not be removed');
          this.trip();
        } else if (this.halted && !c.halted && !d.dryRun) {
          this.halted = false;
          d.log.warn(`${HALT_FILE} was deleted: trading resumes`);
          d.changed();
        }
      })
      .catch((err: unknown) => d.log.warn({ err: (err as Error).message }, 'kill switch: the control files could not be checked'))
      .finally(() => (this.polling = null));
  }

  /** Flatten, persist HALTED(kill_switch) and stop: a later start stays halted until resumed. */
  private trip(): void {
    const d = this.deps;
    d.log.warn({ file: d.killFile }, `kill switch: flattening, halting (${HALT_FILE}) and stopping`);
    this.halted = true;
    d.changed();
    const halt: HaltRecord = { reason: 'kill_switch', at: d.clock.now(), pid: process.pid };
    d.store.writeFile(HALT_FILE, `${JSON.stringify(halt)}\n`).catch((err: unknown) => d.persistError(err as Error));
    d.killed();
  }

  /** A halt persisted by an earlier run: lifted by --resume, otherwise kept (market data and status still run). */
  async restore(halt: HaltRecord): Promise<void> {
    const d = this.deps;
    const since = halt.at > 0 ? new Date(halt.at).toISOString() : 'an earlier run';
    if (d.resume) {
      await d.store.removeFile(HALT_FILE);
      d.log.warn({ haltedAt: since }, `--resume: the kill switch's halt is lifted (${HALT_FILE} removed); trading resumes`);
      return;
    }
    this.halted = true;
    d.log.warn(
      { haltedAt: since },
      `HALTED by the kill switch since ${since}: market data and status run, no order is placed; start with --resume or delete ${HALT_FILE} to trade`,
    );
  }
}
