// pino JSON logs to stdout, every line tagged with the symbol; pretty-printed with --pretty. Flushed synchronously
// at shutdown so the last lines are not lost (docs/node-traps.md §5).
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type pinoModule from 'pino';
import type prettyModule from 'pino-pretty';
import type { LogLevel } from './config.js';

// Required, not imported: an import of a CommonJS package scans its source for exports at start (docs/node-traps.md §11).
const require = createRequire(import.meta.url);
const pino = require('pino') as typeof pinoModule;

export type { Logger };

export interface LoggerHandle {
  log: Logger;
  flush(): void;
}

export function createLogger(opts: { level: LogLevel; pretty: boolean; symbol: string }): LoggerHandle {
  const dest = pino.destination({ dest: 1, sync: false });
  // --pretty formats each line here, before the same destination: the lines are few, and pino-pretty's transport
  // worker, once stdout was a closed pipe, stopped draining and hung the exit (docs/node-traps.md §5).
  const stream = opts.pretty ? prettyLines(dest) : dest;
  const log = pino({ level: opts.level, base: { symbol: opts.symbol } }, stream);
  return {
    log,
    flush: () => {
      try {
        dest.flushSync();
      } catch {
        // flushSync throws while the fd is not ready or stdout is gone; nothing left to save then.
      }
    },
  };
}

/** A pino destination that writes each line pretty-printed into `dest`. */
function prettyLines(dest: { write(s: string): boolean }): { write(line: string): void } {
  const { prettyFactory } = require('pino-pretty') as typeof prettyModule;
  const prettify = prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return { write: (line) => void dest.write(prettify(line)) };
}
