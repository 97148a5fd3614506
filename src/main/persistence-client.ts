// The main thread's handle on the persistence worker. Every method returns a promise the session can
// leave running (nothing on the tick path awaits the disk). comlink alone leaves calls pending forever when
// the worker dies (docs/node-traps.md §2), so this wrapper tracks every call and rejects them all on
// the worker's 'error'/'exit'. Events: 'compromised' (message: string) when another process took the
// state lock — stop the session; 'error' (err: Error) when the worker died, emitted only if someone
// listens, so an unwatched crash cannot throw from EventEmitter.
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
// comlink's ES module build, as its node adapter's: its CommonJS main would be scanned for exports at start (docs/node-traps.md §11).
import * as Comlink from 'comlink/dist/esm/comlink.mjs';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { JournalEntry } from '../shared/events.js';
import type { StateSnapshot } from '../shared/types.js';
import {
  COMPROMISED_MESSAGE_TYPE,
  LOCKED_ERROR_NAME,
  type ControlFiles,
  type LoadResult,
  type OpenOptions,
  type PersistenceStatus,
  type PersistenceWorkerApi,
} from '../shared/persistence-api.js';
import { spawnWorker } from './spawn-worker.js';

export type { LoadResult, OpenOptions, PersistenceApi, PersistenceStatus } from '../shared/persistence-api.js';

/** True for the error `open` rejects with when a live engine holds the state dir (exit code 3). */
export function isLockedError(e: unknown): boolean {
  return e instanceof Error && e.name === LOCKED_ERROR_NAME;
}

export class PersistenceClient extends EventEmitter implements PersistenceWorkerApi {
  private readonly worker: Worker;
  /** Kept for the client's lifetime: a collected proxy strands its pending calls (comlink#692). */
  private readonly remote: Comlink.Remote<PersistenceWorkerApi>;
  private readonly inFlight = new Set<(e: Error) => void>();
  private dead: Error | null = null;
  private terminating = false;

  constructor() {
    super();
    this.worker = spawnWorker('persistence');
    this.remote = Comlink.wrap<PersistenceWorkerApi>(nodeEndpoint(this.worker));
    this.worker.on('message', (msg: unknown) => {
      const m = msg as { type?: unknown; message?: unknown } | null;
      if (m?.type === COMPROMISED_MESSAGE_TYPE) this.emit('compromised', String(m.message));
    });
    this.worker.on('error', (err: Error) => {
      this.die(new Error(`persistence worker crashed: ${err.message}`), err);
    });
    this.worker.on('exit', (code: number) => {
      this.die(new Error(this.terminating ? 'persistence worker was terminated' : `persistence worker exited with code ${code}`), null);
    });
  }

  private die(reason: Error, cause: Error | null): void {
    if (this.dead === null) {
      this.dead = reason;
      if (!this.terminating && this.listenerCount('error') > 0) this.emit('error', cause ?? reason);
    }
    for (const reject of this.inFlight) reject(this.dead);
    this.inFlight.clear();
  }

  /** Run a remote call, rejecting it if the worker dies before it answers. */
  private call<T>(invoke: () => Promise<T>): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      const onDeath = (e: Error): void => reject(e);
      this.inFlight.add(onDeath);
      invoke().then(
        (v) => {
          this.inFlight.delete(onDeath);
          resolve(v);
        },
        (e: unknown) => {
          this.inFlight.delete(onDeath);
          reject(e);
        },
      );
    });
  }

  open(opts: OpenOptions): Promise<LoadResult> {
    return this.call(() => this.remote.open(opts));
  }
  append(entries: JournalEntry[]): Promise<void> {
    return this.call(() => this.remote.append(entries));
  }
  snapshot(s: StateSnapshot): Promise<void> {
    return this.call(() => this.remote.snapshot(s));
  }
  writeFile(name: string, content: string | Uint8Array): Promise<void> {
    return this.call(() => this.remote.writeFile(name, content));
  }
  writeCandlesCsv(name: string, rows: Float64Array): Promise<void> {
    return this.call(() => this.remote.writeCandlesCsv(name, rows));
  }
  formatCandlesCsv(rows: Float64Array): Promise<void> {
    return this.call(() => this.remote.formatCandlesCsv(rows));
  }
  close(): Promise<void> {
    return this.call(() => this.remote.close());
  }
  controlFiles(killFile: string): Promise<ControlFiles> {
    return this.call(() => this.remote.controlFiles(killFile));
  }

  removeFile(name: string): Promise<void> {
    return this.call(() => this.remote.removeFile(name));
  }

  status(): Promise<PersistenceStatus> {
    return this.call(() => this.remote.status());
  }

  /** One callback for both faults: the lock was taken from us, or the worker died. */
  onFault(cb: (kind: 'compromised' | 'crashed', message: string) => void): void {
    this.on('compromised', (message: string) => cb('compromised', message));
    this.on('error', (err: Error) => cb('crashed', err.message));
  }

  /** Stop the worker at once (after close() on a clean shutdown); pending calls reject. */
  async terminate(): Promise<void> {
    if (this.dead) return;
    this.terminating = true;
    this.remote[Comlink.releaseProxy]();
    await this.worker.terminate();
  }
}
