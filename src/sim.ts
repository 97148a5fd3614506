// Standalone exchange simulator (SPEC §7): `node dist/sim.js --port P` serves the simulated Bitunix
// WebSocket and REST endpoints in this process, for the load test and for trying the engine by hand.
// Prints one JSON line {"event":"listening","port":P} when ready; stops cleanly on SIGINT/SIGTERM.
import { parseArgs } from 'node:util';
import { ExchangeSim, type SimOptions } from './workers/exchange-sim.js';

const HELP = `Usage: node dist/sim.js --port P [options]

Simulated Bitunix futures exchange: WebSocket on ws://HOST:P/public/, REST on http://HOST:P/api/v1/futures/market/...

Options:
  --port P        TCP port to listen on (0 = ephemeral; required)
  --host H        address to bind (default 127.0.0.1)
  --symbol S      symbol, or a comma-separated list (default BTCUSDT)
  --seed N        price-process seed, a non-negative integer (default random)
  --speed N       market clock multiplier, > 0 (default 1)
  --help          print this help
`;

function fail(message: string): never {
  process.stderr.write(`sim: ${message} (see --help)\n`);
  process.exit(2);
}

function parse(argv: string[]): SimOptions | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        symbol: { type: 'string' },
        seed: { type: 'string' },
        speed: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    fail(e instanceof Error ? e.message.split('\n')[0]! : String(e));
  }
  if (values.help === true) return null;
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const portText = str('port');
  if (portText === undefined) fail('--port is required');
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be an integer 0-65535, got '${portText}'`);
  const opts: SimOptions = { port, host: str('host') ?? '127.0.0.1' };
  const symbol = str('symbol');
  if (symbol !== undefined) {
    const symbols = symbol.split(',').map((s) => s.trim().toUpperCase());
    for (const s of symbols) if (!/^[A-Z0-9]{2,30}$/.test(s)) fail(`--symbol '${s}' is not a symbol like BTCUSDT`);
    opts.symbols = symbols;
  }
  const seed = str('seed');
  if (seed !== undefined) {
    const n = Number(seed);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) fail(`--seed must be a non-negative integer, got '${seed}'`);
    opts.seed = n;
  }
  const speed = str('speed');
  if (speed !== undefined) {
    const n = Number(speed);
    if (!Number.isFinite(n) || n <= 0) fail(`--speed must be a number > 0, got '${speed}'`);
    opts.speed = n;
  }
  return opts;
}

async function main(): Promise<void> {
  const opts = parse(process.argv.slice(2));
  if (opts === null) {
    process.stdout.write(HELP);
    return;
  }
  const sim = new ExchangeSim(opts);
  let port: number;
  try {
    port = await sim.start();
  } catch (e) {
    process.stderr.write(`sim: cannot listen on ${opts.host}:${opts.port}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify({ event: 'listening', port })}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
