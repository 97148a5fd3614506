// The command line: every flag (docs/contracts.md), parsed and validated once into an EngineConfig.
// One table (FLAGS) drives parsing, defaults and --help, so the help text cannot drift from what is
// accepted. A bad flag or value throws ConfigError with one line saying what and why; main exits 2 on it.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { BITUNIX_REST_URL, BITUNIX_WS_URL } from '../shared/bitunix/urls.js';
import { INTERVAL_MS, type EngineConfig, type FeedKind, type Interval, type LogLevel } from './config.js';
import { FRAME_LOG_SUFFIX } from '../shared/frame-log.js';
import { randomSeed } from '../shared/rng.js';
import { isFrameLog } from './frame-log-reader.js';

/** A bad flag or value. The message is one line naming the flag: what is wrong and why. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type CliResult = { kind: 'run'; config: EngineConfig } | { kind: 'help'; text: string } | { kind: 'version'; text: string };

type Group = 'Market data' | 'Strategy & sizing' | 'Costs' | 'Execution' | 'Risk' | 'Network' | 'State & lifecycle' | 'Misc';

/** Numeric bounds; `minOpen` makes the lower bound exclusive. */
interface NumRule {
  int?: boolean;
  min: number;
  minOpen?: boolean;
  max?: number;
}

interface Flag {
  name: string;
  group: Group;
  /** Placeholder for the value in --help; absent = a boolean flag that takes no value. */
  arg?: string;
  /** The default as shown in --help (and, for numeric flags, parsed exactly as if given). */
  def: string;
  help: string;
  num?: NumRule;
  /** Accepted values, in words, when `num` does not say it. */
  rule?: string;
  /** May be given more than once; every value is kept, in order. */
  repeatable?: true;
}

const INTERVALS = Object.keys(INTERVAL_MS) as Interval[];
const FEEDS: FeedKind[] = ['bitunix', 'sim', 'replay'];
const LOG_LEVELS: LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
const MAX_SEED = 0xffffffff; // createRng keeps 32 bits; a larger seed would silently alias a smaller one
// Timers above 2^31-1 ms fire immediately in Node, so wall-clock durations stay well below it.
const MAX_TIMEOUT_S = 86_400;
const MAX_DURATION_MIN = 34_560; // 24 days

const SEED_RULE = `an integer in 0..${MAX_SEED}`;

// biome-ignore format: one flag per line keeps the table readable as a table
const FLAGS: readonly Flag[] = [
  // Market data
  { name: 'symbol', group: 'Market data', arg: 'SYM', def: 'BTCUSDT', help: 'contract; BTCUSD-style symbols are inverse', rule: "2-20 letters/digits after upper-casing and removing '/' and '-'" },
  { name: 'interval', group: 'Market data', arg: 'I', def: '1m', help: 'candle interval', rule: `one of ${INTERVALS.join(' ')}` },
  { name: 'feed', group: 'Market data', arg: 'KIND', def: 'bitunix', help: 'bitunix (live), sim (embedded simulator), replay (needs --replay)', rule: `one of ${FEEDS.join(' ')}` },
  { name: 'ws-url', group: 'Market data', arg: 'URL', def: BITUNIX_WS_URL, help: 'WebSocket the bitunix feed connects to (point at dist/sim.js to test)', rule: 'a ws:// or wss:// URL' },
  { name: 'rest-url', group: 'Market data', arg: 'URL', def: BITUNIX_REST_URL, help: 'REST base for kline history and funding', rule: 'an http:// or https:// URL' },
  { name: 'replay', group: 'Market data', arg: 'FILE|DIR', def: '—', help: 'candle CSV, or a frame log written by --record (its directory or one file)', rule: 'an existing file, or a directory holding a frame log; only with --feed replay' },
  { name: 'speed', group: 'Market data', arg: 'N|max', def: '1', help: 'replay speed multiplier', rule: "a number > 0 or 'max'" },
  { name: 'record', group: 'Market data', arg: 'DIR', def: 'off', help: 'write a frame log of every frame and REST reply the feed received (gzip, hourly files)', rule: 'a directory path (created if missing), relative to the cwd' },
  { name: 'sim-speed', group: 'Market data', arg: 'N', def: '1', help: 'simulator clock multiplier', num: { min: 0, minOpen: true, max: 10_000 } },
  { name: 'sim-seed', group: 'Market data', arg: 'N', def: 'random', help: 'simulator price-path seed', rule: SEED_RULE },
  // Strategy & sizing
  { name: 'strategy', group: 'Strategy & sizing', arg: 'NAME|PATH', def: 'default', help: 'built-in name or path to a plugin module (relative to the cwd)', rule: "'default' or an existing file path containing '/'" },
  { name: 'balance', group: 'Strategy & sizing', arg: 'USDT', def: '10000', help: 'starting equity (USDT) of a fresh state', num: { min: 0, minOpen: true } },
  { name: 'risk-pct', group: 'Strategy & sizing', arg: 'PCT', def: '1', help: 'percent of equity risked per trade', num: { min: 0, minOpen: true, max: 10 } },
  { name: 'stop-bps', group: 'Strategy & sizing', arg: 'BPS', def: '30', help: 'default stop distance from entry', num: { min: 0, minOpen: true, max: 5000 } },
  { name: 'tp-r', group: 'Strategy & sizing', arg: 'R', def: '1.5', help: 'default target as a multiple of the stop distance', num: { min: 0, minOpen: true, max: 100 } },
  // Costs
  { name: 'maker-bps', group: 'Costs', arg: 'BPS', def: '2', help: 'maker fee', num: { min: 0, max: 1000 } },
  { name: 'taker-bps', group: 'Costs', arg: 'BPS', def: '6', help: 'taker fee', num: { min: 0, max: 1000 } },
  { name: 'slip-bps', group: 'Costs', arg: 'BPS', def: '0.5', help: 'adverse slippage', num: { min: 0, max: 1000 } },
  // Execution
  { name: 'latency-ms', group: 'Execution', arg: 'A-B', def: '50-500', help: 'simulated execution latency range (--dry-run: 0-0 unless given)', rule: "'A-B' or 'A', integers, 0 ≤ A ≤ B ≤ 60000" },
  { name: 'exec-queue', group: 'Execution', arg: 'N', def: '50', help: 'execution queue capacity (queued + in flight)', num: { int: true, min: 1, max: 10_000 } },
  { name: 'seed', group: 'Execution', arg: 'N', def: 'random', help: 'RNG seed for latency and slippage', rule: SEED_RULE },
  // Risk
  { name: 'min-trade-interval', group: 'Risk', arg: 'SEC', def: '60', help: 'seconds between entries', num: { min: 0 } },
  { name: 'max-drawdown-pct', group: 'Risk', arg: 'PCT', def: '5', help: 'circuit breaker: daily drawdown incl. unrealized PnL', num: { min: 0, minOpen: true, max: 100 } },
  { name: 'max-losses', group: 'Risk', arg: 'N', def: '5', help: 'circuit breaker: consecutive losing exits', num: { int: true, min: 1 } },
  // Network
  { name: 'idle-timeout', group: 'Network', arg: 'SEC', def: '10', help: 'seconds without any frame before reconnecting', num: { min: 0, minOpen: true, max: MAX_TIMEOUT_S } },
  { name: 'stale-timeout', group: 'Network', arg: 'SEC', def: '30', help: 'seconds without a tick before data is stale', num: { min: 0, minOpen: true, max: MAX_TIMEOUT_S } },
  { name: 'backoff-base', group: 'Network', arg: 'SEC', def: '5', help: 'first reconnect backoff, doubled per failure', num: { min: 0, minOpen: true, max: MAX_TIMEOUT_S } },
  { name: 'backoff-max', group: 'Network', arg: 'SEC', def: '60', help: 'reconnect backoff cap', num: { min: 0, minOpen: true, max: MAX_TIMEOUT_S }, rule: `a number in [--backoff-base, ${MAX_TIMEOUT_S}]` },
  { name: 'max-ws-errors', group: 'Network', arg: 'N', def: '10', help: 'consecutive connection failures before giving up (exit 1)', num: { int: true, min: 1 } },
  // State & lifecycle
  { name: 'state-dir', group: 'State & lifecycle', arg: 'DIR', def: './state/<SYMBOL>', help: 'state directory, locked for the run (one per symbol)', rule: 'a non-empty path, relative to the cwd' },
  { name: 'backups', group: 'State & lifecycle', arg: 'N', def: '3', help: 'snapshot generations kept', num: { int: true, min: 0, max: 20 } },
  { name: 'duration', group: 'State & lifecycle', arg: 'MIN', def: 'until stopped', help: 'minutes to run (fractions allowed)', num: { min: 0, minOpen: true, max: MAX_DURATION_MIN } },
  { name: 'kill-file', group: 'State & lifecycle', arg: 'FILE', def: '<state-dir>/kill.txt', help: 'kill switch: the session stops when this file appears', rule: 'a non-empty path, relative to the cwd' },
  { name: 'max-rss-mb', group: 'State & lifecycle', arg: 'MB', def: '1024', help: 'memory cap: graceful stop above this RSS', num: { min: 64 } },
  { name: 'dry-run', group: 'State & lifecycle', def: 'off', help: 'no latency, no state files (logs and heartbeat only)' },
  { name: 'resume', group: 'State & lifecycle', def: 'off', help: 'lift a kill-switch halt (halt.json) and trade again' },
  // Misc
  { name: 'http-port', group: 'Misc', arg: 'PORT', def: 'off', help: 'status endpoint on 127.0.0.1 (0 = any free port)', num: { int: true, min: 0, max: 65_535 } },
  { name: 'webhook', group: 'Misc', arg: 'URL', def: 'off', help: 'POST a JSON notification per fill, exit, trading state change, breaker trip, fatal stop and session end; repeatable', rule: 'an http:// or https:// URL', repeatable: true },
  { name: 'log-level', group: 'Misc', arg: 'LEVEL', def: 'info', help: 'log verbosity', rule: `one of ${LOG_LEVELS.join(' ')}` },
  { name: 'pretty', group: 'Misc', def: 'off', help: 'human-readable logs instead of JSON' },
  { name: 'help', group: 'Misc', def: '', help: 'print this help and exit (also -h)' },
  { name: 'version', group: 'Misc', def: '', help: 'print the version and exit' },
];

const BY_NAME = new Map(FLAGS.map((f) => [f.name, f]));

/** The value of an echoed argument, on one line and short enough to read. */
function show(raw: string, max = 60): string {
  const s = JSON.stringify(raw).slice(1, -1).replace(/\\"/g, '"');
  return `'${s.length > max ? `${s.slice(0, max - 3)}...` : s}'`;
}

function bad(name: string, rule: string, raw: string): ConfigError {
  return new ConfigError(`--${name}: must be ${rule}, got ${show(raw)}`);
}

function numRule(r: NumRule): string {
  const kind = r.int ? 'an integer' : 'a number';
  if (r.max === undefined) return `${kind} ${r.minOpen ? '>' : '≥'} ${r.min}`;
  if (r.int) return `${kind} in ${r.min}..${r.max}`;
  return `${kind} in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}]`;
}

function ruleOf(f: Flag): string {
  return f.rule ?? (f.num ? numRule(f.num) : '');
}

// Plain decimal only: no hex, no 'Infinity', no blanks (Number() would accept all three).
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

function parseNum(name: string, raw: string): number {
  const f = BY_NAME.get(name)!;
  const r = f.num!;
  const n = Number(raw) + 0; // + 0 turns '-0' into 0
  const ok =
    (r.int ? INTEGER.test(raw) && Number.isSafeInteger(n) : DECIMAL.test(raw) && Number.isFinite(n)) &&
    (r.minOpen ? n > r.min : n >= r.min) &&
    (r.max === undefined || n <= r.max);
  if (!ok) throw bad(name, numRule(r), raw);
  return n;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function unknownFlag(token: string): ConfigError {
  const name = token.replace(/^-+/, '').split('=')[0]!;
  let best: string | null = null;
  let bestDist = 3; // suggest only within edit distance 2
  for (const f of FLAGS) {
    const d = levenshtein(name, f.name);
    if (d < bestDist) [best, bestDist] = [f.name, d];
  }
  const hint = best ? ` (did you mean --${best}?)` : '; see --help';
  return new ConfigError(`unknown flag ${show(token.split('=')[0]!)}${hint}`);
}

/** Values of the repeatable flags, in the order given. */
type Repeated = Map<string, string[]>;

/**
 * Splits argv into flag → raw value (true for boolean flags). A flag given twice: the last one wins,
 * except a repeatable one, whose values are all collected in `repeated`.
 */
function tokenize(argv: string[], repeated: Repeated = new Map()): Map<string, string | true> {
  const given = new Map<string, string | true>();
  const set = (name: string, value: string): void => {
    given.set(name, value);
    if (BY_NAME.get(name)?.repeatable) repeated.set(name, [...(repeated.get(name) ?? []), value]);
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '-h') {
      given.set('help', true);
      continue;
    }
    // A lone '-', '--' or a negative number is not a flag; it can only be a stray positional argument.
    if (!/^--?[^-\d]/.test(token)) {
      throw new ConfigError(`unexpected argument ${show(token)}: no positional arguments; flags are --name value or --name=value`);
    }
    if (!token.startsWith('--')) throw unknownFlag(token);
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const flag = BY_NAME.get(name);
    if (!flag) throw unknownFlag(token);
    if (!flag.arg) {
      if (eq >= 0) throw new ConfigError(`--${name}: takes no value, got ${show(token.slice(eq + 1))}`);
      given.set(name, true);
      continue;
    }
    if (eq >= 0) {
      set(name, token.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) {
      throw new ConfigError(`--${name}: requires a value (--${name} ${flag.arg} or --${name}=${flag.arg})`);
    }
    set(name, next);
    i++;
  }
  return given;
}

function parseSeed(name: string, raw: string | undefined): number {
  if (raw === undefined) return randomSeed();
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > MAX_SEED) throw bad(name, SEED_RULE, raw);
  return n;
}

function parseUrl(name: string, raw: string, protocols: string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(name, ruleOf(BY_NAME.get(name)!), raw);
  }
  if (!protocols.includes(url.protocol)) throw bad(name, ruleOf(BY_NAME.get(name)!), raw);
  return raw;
}

function parseLatency(raw: string): { min: number; max: number } {
  const m = /^(\d+)(?:-(\d+))?$/.exec(raw);
  const min = m ? Number(m[1]) : NaN;
  const max = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(min >= 0 && min <= max && max <= 60_000)) throw bad('latency-ms', ruleOf(BY_NAME.get('latency-ms')!), raw);
  return { min, max };
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function oneOf<T extends string>(name: string, raw: string, values: readonly T[]): T {
  if (!(values as readonly string[]).includes(raw)) throw bad(name, `one of ${values.join(' ')}`, raw);
  return raw as T;
}

function nonEmptyPath(name: string, raw: string, cwd: string): string {
  if (raw.trim() === '') throw bad(name, ruleOf(BY_NAME.get(name)!), raw);
  return path.resolve(cwd, raw);
}

export function parseCli(argv: string[], env: { cwd: string; version: string }): CliResult {
  const repeated: Repeated = new Map();
  const given = tokenize(argv, repeated);
  if (given.has('help')) return { kind: 'help', text: helpText() };
  if (given.has('version')) return { kind: 'version', text: `laptop-agents ${env.version}` };

  const str = (name: string): string | undefined => given.get(name) as string | undefined;
  const num = (name: string): number => parseNum(name, str(name) ?? BY_NAME.get(name)!.def);
  const optNum = (name: string): number | null => (str(name) === undefined ? null : parseNum(name, str(name)!));

  const rawSymbol = str('symbol') ?? 'BTCUSDT';
  const symbol = rawSymbol.toUpperCase().replace(/[/-]/g, '');
  if (!/^[A-Z0-9]{2,20}$/.test(symbol)) throw bad('symbol', ruleOf(BY_NAME.get('symbol')!), rawSymbol);

  const interval = oneOf('interval', str('interval') ?? '1m', INTERVALS);
  const feed = oneOf('feed', str('feed') ?? 'bitunix', FEEDS);

  let replay: string | null = null;
  const rawReplay = str('replay');
  if (feed === 'replay') {
    if (rawReplay === undefined) throw new ConfigError('--feed replay: requires --replay FILE');
    replay = path.resolve(env.cwd, rawReplay);
    if (isDir(replay)) {
      if (!isFrameLog(replay)) throw new ConfigError(`--replay: the directory holds no frame log (*${FRAME_LOG_SUFFIX}): ${show(rawReplay)}`);
    } else if (!isFile(replay))
      throw new ConfigError(`--replay: not an existing file or directory: ${show(rawReplay)} (resolved to ${show(replay, Infinity)})`);
  } else if (rawReplay !== undefined) {
    throw new ConfigError(`--replay: only valid with --feed replay (got --feed ${feed})`);
  }

  const rawSpeed = str('speed') ?? '1';
  let speed: number | 'max' = 'max';
  if (rawSpeed !== 'max') {
    speed = Number(rawSpeed);
    if (!DECIMAL.test(rawSpeed) || !(speed > 0) || !Number.isFinite(speed)) throw bad('speed', ruleOf(BY_NAME.get('speed')!), rawSpeed);
  }

  const rawStrategy = str('strategy') ?? 'default';
  let strategy = 'default';
  if (rawStrategy !== 'default') {
    if (!/[/\\]/.test(rawStrategy)) {
      throw new ConfigError(`--strategy: unknown built-in ${show(rawStrategy)} (built-ins: default; a plugin path must contain '/', e.g. ./my-strategy.js)`);
    }
    strategy = path.resolve(env.cwd, rawStrategy);
    if (!isFile(strategy))
      throw new ConfigError(`--strategy: plugin module is not an existing file: ${show(rawStrategy)} (resolved to ${show(strategy, Infinity)})`);
  }

  const backoffBase = num('backoff-base');
  const backoffMax = num('backoff-max');
  if (backoffMax < backoffBase) {
    // Blame the flag the user actually gave: the default cap is only "wrong" if they moved the base above it.
    throw str('backoff-max') === undefined
      ? new ConfigError(`--backoff-base: must be ≤ --backoff-max (${backoffMax}), got ${show(str('backoff-base')!)}`)
      : new ConfigError(`--backoff-max: must be ≥ --backoff-base (${backoffBase}), got ${show(str('backoff-max')!)}`);
  }

  const dryRun = given.has('dry-run');
  const rawLatency = str('latency-ms');
  // docs/session-lifecycle.md §3: a dry run has no latency, unless one is asked for explicitly.
  const latencyMs = rawLatency !== undefined ? parseLatency(rawLatency) : dryRun ? { min: 0, max: 0 } : parseLatency('50-500');

  const stateDir = str('state-dir') === undefined ? path.resolve(env.cwd, 'state', symbol) : nonEmptyPath('state-dir', str('state-dir')!, env.cwd);
  const killFile = str('kill-file') === undefined ? path.join(stateDir, 'kill.txt') : nonEmptyPath('kill-file', str('kill-file')!, env.cwd);

  let record: string | null = null;
  if (str('record') !== undefined) {
    record = nonEmptyPath('record', str('record')!, env.cwd);
    if (!isDir(record) && existsSync(record)) throw new ConfigError(`--record: exists and is not a directory: ${show(str('record')!)}`);
  }

  const config: EngineConfig = {
    symbol,
    interval,
    intervalMs: INTERVAL_MS[interval],
    feed,
    wsUrl: parseUrl('ws-url', str('ws-url') ?? BITUNIX_WS_URL, ['ws:', 'wss:']),
    restUrl: parseUrl('rest-url', str('rest-url') ?? BITUNIX_REST_URL, ['http:', 'https:']),
    replay,
    speed,
    record,
    simSpeed: num('sim-speed'),
    simSeed: parseSeed('sim-seed', str('sim-seed')),
    strategy,
    balance: num('balance'),
    riskPct: num('risk-pct'),
    stopBps: num('stop-bps'),
    tpR: num('tp-r'),
    makerBps: num('maker-bps'),
    takerBps: num('taker-bps'),
    slipBps: num('slip-bps'),
    latencyMs,
    execQueue: num('exec-queue'),
    minTradeInterval: num('min-trade-interval'),
    maxDrawdownPct: num('max-drawdown-pct'),
    maxLosses: num('max-losses'),
    idleTimeout: num('idle-timeout'),
    staleTimeout: num('stale-timeout'),
    backoffBase,
    backoffMax,
    maxWsErrors: num('max-ws-errors'),
    stateDir,
    backups: num('backups'),
    duration: optNum('duration'),
    killFile,
    maxRssMb: num('max-rss-mb'),
    httpPort: optNum('http-port'),
    webhooks: (repeated.get('webhook') ?? []).map((u) => parseUrl('webhook', u, ['http:', 'https:'])),
    seed: parseSeed('seed', str('seed')),
    dryRun,
    logLevel: oneOf('log-level', str('log-level') ?? 'info', LOG_LEVELS),
    pretty: given.has('pretty'),
    resume: given.has('resume'),
  };
  return { kind: 'run', config };
}

export function helpText(): string {
  const groups: Group[] = ['Market data', 'Strategy & sizing', 'Costs', 'Execution', 'Risk', 'Network', 'State & lifecycle', 'Misc'];
  const lines = [
    'Usage: laptop-agents [--flag value | --flag=value]...',
    '  e.g. node dist/main.js --symbol BTCUSDT',
    '',
    'Paper-trading engine for crypto perpetual futures on Bitunix market data.',
    'Columns: flag, default, meaning; accepted values. A flag given twice: the last one wins (--webhook: all are kept).',
  ];
  for (const group of groups) {
    lines.push('', `${group}:`);
    for (const f of FLAGS.filter((x) => x.group === group)) {
      const rule = ruleOf(f);
      lines.push(`  ${`--${f.name}${f.arg ? ` ${f.arg}` : ''}`.padEnd(27)} ${f.def.padEnd(31)} ${f.help}${rule ? `; ${rule}` : ''}`);
    }
  }
  lines.push(
    '',
    'Exit codes:',
    '  0  normal stop (signal, kill file, duration, circuit breaker)',
    '  1  fatal error (e.g. WebSocket gave up after --max-ws-errors, error budget spent)',
    '  2  bad arguments or config',
    '  3  state directory locked by another instance',
  );
  return lines.join('\n');
}
