// The command line honours SPEC §9: every default, every flag in both spellings, every validation rule
// as one line naming the flag, and a --help that lists the whole table.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, helpText, parseCli } from '../src/main/cli.js';
import type { EngineConfig } from '../src/main/config.js';

const cwd = realpathSync(mkdtempSync(path.join(tmpdir(), 'cli-test-')));
writeFileSync(path.join(cwd, 'btc.csv'), 'ts,open,high,low,close,volume\n');
writeFileSync(path.join(cwd, 'my-strategy.js'), 'export default { name: "x", onCandle: () => null };\n');
const env = { cwd, version: '9.8.7' };
after(() => rmSync(cwd, { recursive: true, force: true }));

function run(argv: string[]): EngineConfig {
  const r = parseCli(argv, env);
  assert.equal(r.kind, 'run');
  return (r as { kind: 'run'; config: EngineConfig }).config;
}

/** Asserts argv is rejected with a one-line ConfigError that names `flag`; returns the message. */
function rejects(argv: string[], flag: string): string {
  let err: unknown;
  try {
    parseCli(argv, env);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ConfigError, `${argv.join(' ')} should throw ConfigError, got ${String(err)}`);
  assert.ok(err.message.includes(flag), `message for ${argv.join(' ')} should name ${flag}: ${err.message}`);
  assert.ok(!err.message.includes('\n'), `message must be one line: ${JSON.stringify(err.message)}`);
  return err.message;
}

// The flags of the SPEC §9 table, copied by hand (not derived from cli.ts).
const SPEC_FLAGS = [
  '--symbol',
  '--interval',
  '--feed',
  '--ws-url',
  '--rest-url',
  '--replay',
  '--speed',
  '--sim-speed',
  '--sim-seed',
  '--strategy',
  '--balance',
  '--risk-pct',
  '--stop-bps',
  '--tp-r',
  '--maker-bps',
  '--taker-bps',
  '--slip-bps',
  '--latency-ms',
  '--exec-queue',
  '--min-trade-interval',
  '--max-drawdown-pct',
  '--max-losses',
  '--idle-timeout',
  '--stale-timeout',
  '--backoff-base',
  '--backoff-max',
  '--max-ws-errors',
  '--state-dir',
  '--backups',
  '--duration',
  '--kill-file',
  '--max-rss-mb',
  '--http-port',
  '--seed',
  '--webhook',
  '--dry-run',
  '--resume',
  '--record',
  '--log-level',
  '--pretty',
  '--help',
  '--version',
];

test('no flags: every default is the one in SPEC §9', () => {
  const { seed, simSeed, ...rest } = run([]);
  assert.deepEqual(rest, {
    symbol: 'BTCUSDT',
    interval: '1m',
    intervalMs: 60_000,
    feed: 'bitunix',
    wsUrl: 'wss://fapi.bitunix.com/public/',
    restUrl: 'https://fapi.bitunix.com',
    replay: null,
    speed: 1,
    record: null,
    simSpeed: 1,
    strategy: 'default',
    balance: 10_000,
    riskPct: 1,
    stopBps: 30,
    tpR: 1.5,
    makerBps: 2,
    takerBps: 6,
    slipBps: 0.5,
    latencyMs: { min: 50, max: 500 },
    execQueue: 50,
    minTradeInterval: 60,
    maxDrawdownPct: 5,
    maxLosses: 5,
    idleTimeout: 10,
    staleTimeout: 30,
    backoffBase: 5,
    backoffMax: 60,
    maxWsErrors: 10,
    stateDir: path.join(cwd, 'state', 'BTCUSDT'),
    backups: 3,
    duration: null,
    killFile: path.join(cwd, 'state', 'BTCUSDT', 'kill.txt'),
    maxRssMb: 1024,
    httpPort: null,
    webhooks: [],
    dryRun: false,
    logLevel: 'info',
    pretty: false,
    resume: false,
  });
  for (const s of [seed, simSeed]) assert.ok(Number.isInteger(s) && s >= 0 && s <= 0xffffffff, `seed ${s}`);
});

test('default seeds are random: two runs do not share them', () => {
  const a = run([]);
  const b = run([]);
  // Two independent 31-bit draws coincide with probability ~5e-10.
  assert.notEqual(a.seed, b.seed);
  assert.notEqual(a.simSeed, b.simSeed);
});

// [flag, value, field, expected, extra args the flag needs]
const CASES: [string, string, keyof EngineConfig, unknown, string[]?][] = [
  ['symbol', 'eth/usdt', 'symbol', 'ETHUSDT'],
  ['interval', '15m', 'interval', '15m'],
  ['feed', 'sim', 'feed', 'sim'],
  ['ws-url', 'ws://127.0.0.1:8787/public/', 'wsUrl', 'ws://127.0.0.1:8787/public/'],
  ['rest-url', 'http://127.0.0.1:8787', 'restUrl', 'http://127.0.0.1:8787'],
  ['replay', 'btc.csv', 'replay', path.join(cwd, 'btc.csv'), ['--feed', 'replay']],
  ['record', 'rec', 'record', path.join(cwd, 'rec')],
  ['speed', '20', 'speed', 20],
  ['speed', 'max', 'speed', 'max'],
  ['sim-speed', '30', 'simSpeed', 30],
  ['sim-seed', '42', 'simSeed', 42],
  ['strategy', './my-strategy.js', 'strategy', path.join(cwd, 'my-strategy.js')],
  ['strategy', 'default', 'strategy', 'default'],
  ['balance', '2500.5', 'balance', 2500.5],
  ['risk-pct', '0.25', 'riskPct', 0.25],
  ['stop-bps', '45', 'stopBps', 45],
  ['tp-r', '2', 'tpR', 2],
  ['maker-bps', '0', 'makerBps', 0],
  ['taker-bps', '7.5', 'takerBps', 7.5],
  ['slip-bps', '1', 'slipBps', 1],
  ['latency-ms', '10-20', 'latencyMs', { min: 10, max: 20 }],
  ['latency-ms', '100', 'latencyMs', { min: 100, max: 100 }],
  ['exec-queue', '7', 'execQueue', 7],
  ['min-trade-interval', '0', 'minTradeInterval', 0],
  ['max-drawdown-pct', '2.5', 'maxDrawdownPct', 2.5],
  ['max-losses', '3', 'maxLosses', 3],
  ['idle-timeout', '2', 'idleTimeout', 2],
  ['stale-timeout', '4.5', 'staleTimeout', 4.5],
  ['backoff-base', '0.1', 'backoffBase', 0.1],
  ['backoff-max', '5', 'backoffMax', 5],
  ['max-ws-errors', '1', 'maxWsErrors', 1],
  ['state-dir', 'data/eth', 'stateDir', path.join(cwd, 'data', 'eth')],
  ['backups', '0', 'backups', 0],
  ['duration', '0.5', 'duration', 0.5],
  ['kill-file', '/tmp/stop-now', 'killFile', '/tmp/stop-now'],
  ['max-rss-mb', '256', 'maxRssMb', 256],
  ['http-port', '8080', 'httpPort', 8080],
  ['webhook', 'http://127.0.0.1:9/hook', 'webhooks', ['http://127.0.0.1:9/hook']],
  ['seed', '0', 'seed', 0],
  ['seed', '4294967295', 'seed', 4294967295],
  ['log-level', 'debug', 'logLevel', 'debug'],
];

test('every value flag is parsed as --flag value and as --flag=value', () => {
  for (const [flag, value, field, expected, extra = []] of CASES) {
    assert.deepEqual(run([...extra, `--${flag}`, value])[field], expected, `--${flag} ${value}`);
    assert.deepEqual(run([...extra, `--${flag}=${value}`])[field], expected, `--${flag}=${value}`);
  }
  const tested = new Set(CASES.map((c) => `--${c[0]}`));
  const booleans = ['--dry-run', '--resume', '--pretty', '--help', '--version'];
  assert.deepEqual(
    SPEC_FLAGS.filter((f) => !tested.has(f) && !booleans.includes(f)),
    [],
    'every value flag has a case',
  );
});

test('boolean flags take no value', () => {
  assert.equal(run(['--dry-run']).dryRun, true);
  assert.equal(run(['--pretty']).pretty, true);
  rejects(['--dry-run=yes'], '--dry-run');
  rejects(['--pretty=true'], '--pretty');
});

test('every interval maps to its length in ms', () => {
  const expected = { '1m': 60_000, '3m': 180_000, '5m': 300_000, '15m': 900_000, '30m': 1_800_000, '1h': 3_600_000 };
  for (const [interval, ms] of Object.entries(expected)) assert.equal(run(['--interval', interval]).intervalMs, ms);
});

test('symbols are upper-cased with / and - removed', () => {
  assert.equal(run(['--symbol', 'btc-usd']).symbol, 'BTCUSD');
  assert.equal(run(['--symbol=Sol/Usdt']).symbol, 'SOLUSDT');
});

// [argv, flag the message must name]
const INVALID: [string[], string][] = [
  [['--symbol', 'B'], '--symbol'],
  [['--symbol', 'BTC_USDT'], '--symbol'],
  [['--symbol', 'A'.repeat(21)], '--symbol'],
  [['--symbol', 'btc\nusdt'], '--symbol'],
  [['--interval', '2m'], '--interval'],
  [['--interval', '1H'], '--interval'],
  [['--feed', 'binance'], '--feed'],
  [['--feed', 'replay'], '--replay'],
  [['--feed', 'replay', '--replay', 'missing.csv'], '--replay'],
  [['--feed', 'replay', '--replay', '.'], '--replay'],
  [['--record', 'btc.csv'], '--record'],
  [['--record', ''], '--record'],
  [['--replay', 'btc.csv'], '--replay'],
  [['--feed', 'sim', '--replay', 'btc.csv'], '--replay'],
  [['--speed', '0'], '--speed'],
  [['--speed', '-2'], '--speed'],
  [['--speed', 'fast'], '--speed'],
  [['--speed', 'Infinity'], '--speed'],
  [['--ws-url', 'https://fapi.bitunix.com/public/'], '--ws-url'],
  [['--ws-url', 'not a url'], '--ws-url'],
  [['--rest-url', 'wss://fapi.bitunix.com'], '--rest-url'],
  [['--rest-url', 'fapi.bitunix.com'], '--rest-url'],
  [['--sim-speed', '0'], '--sim-speed'],
  [['--sim-speed', '10001'], '--sim-speed'],
  [['--sim-seed', '-1'], '--sim-seed'],
  [['--sim-seed', '1.5'], '--sim-seed'],
  [['--seed', '4294967296'], '--seed'],
  [['--seed', 'abc'], '--seed'],
  [['--strategy', 'momentum'], '--strategy'],
  [['--strategy', './nope.js'], '--strategy'],
  [['--balance', '0'], '--balance'],
  [['--balance', '0x10'], '--balance'],
  [['--risk-pct', '0'], '--risk-pct'],
  [['--risk-pct', '10.01'], '--risk-pct'],
  [['--risk-pct', 'abc'], '--risk-pct'],
  [['--risk-pct', ''], '--risk-pct'],
  [['--stop-bps', '0'], '--stop-bps'],
  [['--stop-bps', '5001'], '--stop-bps'],
  [['--tp-r', '0'], '--tp-r'],
  [['--maker-bps', '-1'], '--maker-bps'],
  [['--taker-bps', '1000.5'], '--taker-bps'],
  [['--slip-bps', 'NaN'], '--slip-bps'],
  [['--latency-ms', '500-50'], '--latency-ms'],
  [['--latency-ms', '0-60001'], '--latency-ms'],
  [['--latency-ms', '-5'], '--latency-ms'],
  [['--latency-ms', '5-'], '--latency-ms'],
  [['--latency-ms', 'fast'], '--latency-ms'],
  [['--exec-queue', '0'], '--exec-queue'],
  [['--exec-queue', '10001'], '--exec-queue'],
  [['--exec-queue', '2.5'], '--exec-queue'],
  [['--min-trade-interval', '-1'], '--min-trade-interval'],
  [['--max-drawdown-pct', '0'], '--max-drawdown-pct'],
  [['--max-drawdown-pct', '100.1'], '--max-drawdown-pct'],
  [['--max-losses', '0'], '--max-losses'],
  [['--max-losses', '1.5'], '--max-losses'],
  [['--idle-timeout', '0'], '--idle-timeout'],
  [['--stale-timeout', '-3'], '--stale-timeout'],
  [['--backoff-base', '0'], '--backoff-base'],
  [['--backoff-base', '100'], '--backoff-base'],
  [['--backoff-base', '10', '--backoff-max', '9'], '--backoff-max'],
  [['--max-ws-errors', '0'], '--max-ws-errors'],
  [['--state-dir', ''], '--state-dir'],
  [['--backups', '-1'], '--backups'],
  [['--backups', '21'], '--backups'],
  [['--duration', '0'], '--duration'],
  [['--duration', '-1'], '--duration'],
  [['--duration', '40000'], '--duration'],
  [['--kill-file', ' '], '--kill-file'],
  [['--max-rss-mb', '63'], '--max-rss-mb'],
  [['--http-port', '65536'], '--http-port'],
  [['--http-port', '-1'], '--http-port'],
  [['--http-port', '80.5'], '--http-port'],
  [['--log-level', 'verbose'], '--log-level'],
  [['--symbol'], '--symbol'],
  [['--risk-pct', '--stop-bps', '30'], '--risk-pct'],
];

test('every validation rule rejects with one line naming the flag', () => {
  for (const [argv, flag] of INVALID) rejects(argv, flag);
  // The message says why, with the offending value.
  assert.equal(rejects(['--risk-pct', 'abc'], '--risk-pct'), "--risk-pct: must be a number in (0, 10], got 'abc'");
  assert.equal(rejects(['--backoff-base', '10', '--backoff-max', '9'], '--backoff-max'), "--backoff-max: must be ≥ --backoff-base (10), got '9'");
});

test('an unknown flag is named, with the closest known flag when one is near', () => {
  assert.match(rejects(['--risk-pc', '1'], '--risk-pc'), /did you mean --risk-pct\?/);
  assert.match(rejects(['--symbl=ETHUSDT'], '--symbl'), /did you mean --symbol\?/);
  assert.match(rejects(['--dryrun'], '--dryrun'), /did you mean --dry-run\?/);
  assert.match(rejects(['-symbol', 'X'], '-symbol'), /did you mean --symbol\?/);
  const far = rejects(['--leverage', '10'], '--leverage');
  assert.doesNotMatch(far, /did you mean/);
});

test('positional arguments are rejected, naming the argument', () => {
  assert.match(rejects(['BTCUSDT'], 'BTCUSDT'), /unexpected argument/);
  assert.match(rejects(['--symbol', 'BTCUSDT', 'extra'], 'extra'), /unexpected argument/);
  assert.match(rejects(['--'], '--'), /unexpected argument/);
});

test('a flag given twice: the last one wins', () => {
  assert.equal(run(['--duration', '1.5', '--duration=5']).duration, 5);
});

test('--webhook is repeatable: every URL is kept in order; off by default; a non-http URL is rejected', () => {
  assert.deepEqual(run([]).webhooks, []);
  assert.deepEqual(run(['--webhook', 'http://127.0.0.1:9000/a', '--webhook=https://hooks.example/b']).webhooks, [
    'http://127.0.0.1:9000/a',
    'https://hooks.example/b',
  ]);
  assert.match(rejects(['--webhook', 'ftp://x/y'], '--webhook'), /http:\/\/ or https:\/\/ URL/);
  assert.match(rejects(['--webhook', 'not a url'], '--webhook'), /must be/);
});

test('state dir and kill file default to absolute per-symbol paths', () => {
  const eth = run(['--symbol', 'ETHUSDT']);
  assert.equal(eth.stateDir, path.join(cwd, 'state', 'ETHUSDT'));
  assert.equal(eth.killFile, path.join(cwd, 'state', 'ETHUSDT', 'kill.txt'));
  assert.ok(path.isAbsolute(eth.stateDir) && path.isAbsolute(eth.killFile));
  assert.notEqual(run(['--symbol', 'SOLUSDT']).stateDir, eth.stateDir);
  // The kill file follows a given state dir; a relative kill file is resolved against the cwd.
  const custom = run(['--state-dir', './state/demo']);
  assert.equal(custom.killFile, path.join(cwd, 'state', 'demo', 'kill.txt'));
  assert.equal(run(['--kill-file', 'stop.txt']).killFile, path.join(cwd, 'stop.txt'));
});

test('--dry-run has no latency unless a latency is given', () => {
  assert.deepEqual(run(['--dry-run']).latencyMs, { min: 0, max: 0 });
  assert.deepEqual(run(['--dry-run', '--latency-ms', '5-10']).latencyMs, { min: 5, max: 10 });
  assert.deepEqual(run([]).latencyMs, { min: 50, max: 500 });
});

test('--help lists every flag of the SPEC §9 table, the groups and the exit codes', () => {
  for (const argv of [['--help'], ['-h'], ['--symbol', 'ETHUSDT', '--help']]) {
    const r = parseCli(argv, env);
    assert.equal(r.kind, 'help');
    assert.equal((r as { text: string }).text, helpText());
  }
  const text = helpText();
  assert.match(text, /^Usage: /);
  for (const flag of SPEC_FLAGS) {
    assert.match(text, new RegExp(`^  ${flag}( |$)`, 'm'), `--help lists ${flag} on its own line`);
  }
  // One line per flag, with its default.
  assert.match(text, /^ {2}--risk-pct PCT +1 +percent of equity/m);
  assert.match(text, /^ {2}--latency-ms A-B +50-500 /m);
  assert.match(text, /^ {2}--state-dir DIR +\.\/state\/<SYMBOL> /m);
  for (const group of ['Market data', 'Strategy & sizing', 'Costs', 'Execution', 'Risk', 'Network', 'State & lifecycle', 'Misc']) {
    assert.match(text, new RegExp(`^${group}:$`, 'm'));
  }
  for (const code of ['0', '1', '2', '3']) assert.match(text, new RegExp(`^ {2}${code} {2}\\S`, 'm'));
});

test('--version prints the version it was given', () => {
  assert.deepEqual(parseCli(['--version'], env), { kind: 'version', text: 'laptop-agents 9.8.7' });
});
