// Standalone exchange simulator (docs/simulator.md): `node dist/sim.js --port P` serves the simulated Bitunix
// WebSocket and REST endpoints in this process, for the load test and for trying the engine by hand.
// It can replay a real candle CSV (--replay) and run a fault schedule (--fault-at); faults can also be
// injected at run time with POST /sim/fault. Prints JSON lines on stdout: {"event":"listening","port":P}
// when ready, {"event":"fault",...} for each scheduled fault, {"event":"replay-done","candles":n} when a
// replay ends. Stops cleanly on SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { FUNDING_RATE_PATH, KLINE_PATH, PUBLIC_WS_PATH } from './shared/bitunix/index.js';
import { parseCandleCsv } from './shared/candle-csv.js';
import { MAX_TICKS_PER_CANDLE, MIN_TICKS_PER_CANDLE } from './shared/tick-synth.js';
import { ExchangeSim, parseFaultAt, type ScheduledFault, type SimOptions } from './workers/exchange-sim/index.js';

const HELP = `Usage: node dist/sim.js --port P [options]

Simulated Bitunix futures exchange: WebSocket on ws://HOST:P${PUBLIC_WS_PATH}, REST on http://HOST:P${KLINE_PATH} and ${FUNDING_RATE_PATH}
Control: POST http://HOST:P/sim/fault with a JSON fault, e.g. {"kind":"drop"}; GET http://HOST:P/sim/status.
A flood fault may also give "symbol", "base" and "swing" (its price pattern); GET http://HOST:P/sim/flood[?since=ID]
reports the book/trade frames sent per symbol and each recent flood, enough to recompute every frame.
{"kind":"inject","frames":["...",...]} sends those raw text frames to every client (hostile frames);
{"kind":"skipKlines","minutes":M,"restLow":P} also has REST serve the skipped candles with a low of P.

Options:
  --port P                 TCP port to listen on (0 = ephemeral; required)
  --host H                 address to bind (default 127.0.0.1)
  --symbol S               symbol, or a comma-separated list (default BTCUSDT; one symbol with --replay)
  --seed N                 price-process seed, a non-negative integer (default random)
  --speed N                market clock multiplier of the price process, > 0 (default 1)
  --replay FILE.csv        replay a 1-minute candle CSV (open_time, datetime or close_datetime layout)
                           instead of the price process; the first 200 candles are REST history, the
                           stream starts when a client subscribes
  --replay-speed N|max     replay market ms per wall ms, or max = as fast as clients read (default 1)
  --ticks-per-candle N     ticks synthesised inside each replayed candle, ${MIN_TICKS_PER_CANDLE}-${MAX_TICKS_PER_CANDLE} (default 12)
  --fault-at SEC:FAULT     inject FAULT SEC seconds after start (repeatable). FAULT is one of
                           drop | refuse=SEC | silence=SEC | garbage=N | oversized |
                           skip-klines=MINUTES | flood=RATExSEC (frames/s per client for SEC seconds) |
                           jump=BPS (the price gaps by BPS basis points, e.g. jump=-150) |
                           excursion=BPSxSEC (it gaps by BPS and comes back SEC seconds later)
                           e.g. --fault-at 10:drop --fault-at 20:refuse=20 --fault-at 60:flood=50000x5
  --help                   print this help
`;

function fail(message: string): never {
  process.stderr.write(`sim: ${message} (see --help)\n`);
  process.exit(2);
}

function parse(argv: string[]): { opts: SimOptions; faults: ScheduledFault[] } | null {
  let values: Record<string, string | boolean | string[] | undefined>;
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
        replay: { type: 'string' },
        'replay-speed': { type: 'string' },
        'ticks-per-candle': { type: 'string' },
        'fault-at': { type: 'string', multiple: true },
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

  const file = str('replay');
  const replaySpeed = str('replay-speed');
  const tpcText = str('ticks-per-candle');
  if (file === undefined) {
    if (replaySpeed !== undefined || tpcText !== undefined) fail('--replay-speed and --ticks-per-candle need --replay FILE.csv');
  } else {
    if (speed !== undefined) fail('--speed drives the price process; with --replay use --replay-speed');
    if ((opts.symbols?.length ?? 1) !== 1) fail('--replay serves exactly one --symbol');
    let rs: number | 'max' = 1;
    if (replaySpeed !== undefined) {
      rs = replaySpeed === 'max' ? 'max' : Number(replaySpeed);
      if (rs !== 'max' && !(Number.isFinite(rs) && rs > 0)) fail(`--replay-speed must be a number > 0 or 'max', got '${replaySpeed}'`);
    }
    let ticksPerCandle = 12;
    if (tpcText !== undefined) {
      ticksPerCandle = Number(tpcText);
      if (!Number.isInteger(ticksPerCandle) || ticksPerCandle < MIN_TICKS_PER_CANDLE || ticksPerCandle > MAX_TICKS_PER_CANDLE) {
        fail(`--ticks-per-candle must be an integer ${MIN_TICKS_PER_CANDLE}-${MAX_TICKS_PER_CANDLE}, got '${tpcText}'`);
      }
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      fail(`--replay: cannot read '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    try {
      opts.replay = { candles: parseCandleCsv(text, file), speed: rs, ticksPerCandle };
    } catch (e) {
      fail(`--replay: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const faults: ScheduledFault[] = [];
  for (const spec of (values['fault-at'] as string[] | undefined) ?? []) {
    try {
      faults.push(parseFaultAt(spec));
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
    }
  }
  return { opts, faults };
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function main(): Promise<void> {
  const parsed = parse(process.argv.slice(2));
  if (parsed === null) {
    process.stdout.write(HELP);
    return;
  }
  const { opts, faults } = parsed;
  let sim: ExchangeSim;
  try {
    sim = new ExchangeSim(opts);
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  sim.onReplayDone((candles) => emit({ event: 'replay-done', candles }));
  let port: number;
  try {
    port = await sim.start();
  } catch (e) {
    process.stderr.write(`sim: cannot listen on ${opts.host}:${opts.port}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  }
  emit({ event: 'listening', port });
  const timers = faults.map(({ atSec, fault }) =>
    setTimeout(() => {
      sim.inject(fault);
      emit({ event: 'fault', atSec, fault });
    }, atSec * 1000),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const t of timers) clearTimeout(t);
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
