#!/usr/bin/env node
// laptop-agents engine entry (dist/main.js): parse flags, load the strategy, open the state directory,
// run the session until a stop, exit with the code of docs/contracts.md (0 stop, 1 fatal, 2 bad arguments, 3 locked).
// What parses the flags and spawns a replay's encoder is imported here; the state store once the encoder is
// spawned (its thread boots meanwhile); the rest of the engine once the persistence worker is starting and a
// replay's file is being read (on the replay encoder's thread), so those overlap the loading of the code
// (and --version or --help loads none of it).
import { readFileSync } from 'node:fs';
import { ConfigError, parseCli } from './main/cli.js';
import { isFrameLog } from './main/frame-log-reader.js';
import { favourSmallHeaps } from './main/heap-mode.js';
import { readReplayAhead, stopReplayEncoders } from './main/replay-encoder.js';

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

function die(code: number, message: string): never {
  process.stderr.write(`laptop-agents: ${message}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const ver = version();
  let parsed: ReturnType<typeof parseCli>;
  try {
    parsed = parseCli(process.argv.slice(2), { cwd: process.cwd(), version: ver });
  } catch (err) {
    if (err instanceof ConfigError) die(2, err.message.includes('see --help') ? err.message : `${err.message} (see --help)`);
    throw err;
  }
  if (parsed.kind !== 'run') {
    process.stdout.write(`${parsed.text}\n`);
    process.exit(0);
  }
  const config = parsed.config;
  const smallHeaps = favourSmallHeaps(config.feed);
  // The replay encoder first: its boot and the file's parse are the longest start, done on its own thread.
  if (config.feed === 'replay' && !isFrameLog(config.replay!)) readReplayAhead(config);
  // The state store (and the persistence client's comlink) loads after the encoder is spawned, not before it.
  const { isLockedError, openStateStore } = await import('./main/state-store.js');
  const store = openStateStore(config.dryRun);
  const [{ createLogger }, { Session }, { loadStrategy }, { systemClock }] = await Promise.all([
    import('./main/logger.js'),
    import('./main/engine/session.js'),
    import('./main/strategy-loader.js'),
    import('./shared/clock.js'),
  ]);
  let strategy: Awaited<ReturnType<typeof loadStrategy>>;
  try {
    strategy = await loadStrategy(config.strategy, process.cwd());
  } catch (err) {
    await stopReplayEncoders();
    die(2, (err as Error).message.split('\n')[0]!);
  }

  const { log, flush } = createLogger({ level: config.logLevel, pretty: config.pretty, symbol: config.symbol });
  const session = new Session({
    config,
    strategy,
    store,
    log,
    clock: systemClock,
    version: ver,
    onReady: () => process.send?.('ready'),
  });

  const onSignal = (sig: NodeJS.Signals): void => {
    log.info({ signal: sig }, 'signal received: stopping (the position is kept for the next start)');
    void session.stop('signal', 0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('uncaughtException', (err) => {
    log.fatal({ err: err.stack ?? String(err) }, 'uncaught exception');
    session.fail(`uncaught exception: ${err.message}`);
    void session.stop('fatal', 1);
  });
  process.on('unhandledRejection', (reason) => {
    log.fatal({ err: (reason as Error)?.stack ?? String(reason) }, 'unhandled rejection');
    session.fail(`unhandled rejection: ${(reason as Error)?.message ?? String(reason)}`);
    void session.stop('fatal', 1);
  });

  log.info({ version: ver, feed: config.feed, stateDir: config.stateDir, dryRun: config.dryRun, seed: config.seed, smallHeaps }, 'laptop-agents starting');
  try {
    await session.start();
  } catch (err) {
    if (isLockedError(err)) {
      await store.terminate();
      await stopReplayEncoders();
      flush();
      die(3, `state directory ${config.stateDir} is locked by another running instance`);
    }
    log.fatal({ err: (err as Error).stack ?? String(err) }, `start failed: ${(err as Error).message}`);
    session.fail(`start failed: ${(err as Error).message}`);
    void session.stop('fatal', 1);
  }
  const code = await session.done;
  await stopReplayEncoders();
  flush();
  process.exit(code);
}

void main();
