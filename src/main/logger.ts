// pino JSON logs to stdout, every line tagged with the symbol; pretty with --pretty (pino-pretty in a
// worker thread). Flushed synchronously at shutdown so the last lines are not lost (docs/node-traps.md §5).
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type pinoModule from 'pino';
import type { LogLevel } from './config.js';

// Required, not imported: an import of a CommonJS package scans its source for exports at start (docs/node-traps.md §11).
const pino = createRequire(import.meta.url)('pino') as typeof pinoModule;

export type { Logger };

export interface LoggerHandle {
  log: Logger;
  flush(): void;
}

export function createLogger(opts: { level: LogLevel; pretty: boolean; symbol: string }): LoggerHandle {
  if (opts.pretty) {
    const transport = pino.transport({
      target: 'pino-pretty',
      options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    });
    const log = pino({ level: opts.level, base: { symbol: opts.symbol } }, transport);
    return { log, flush: () => log.flush() };
  }
  const dest = pino.destination({ dest: 1, sync: false });
  const log = pino({ level: opts.level, base: { symbol: opts.symbol } }, dest);
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
