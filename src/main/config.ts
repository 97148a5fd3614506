// The engine's configuration: every flag (docs/contracts.md), parsed and validated once by cli.ts.
import type { FeedKind } from '../shared/events.js';

export type { FeedKind };
export type Interval = '1m' | '3m' | '5m' | '15m' | '30m' | '1h';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface EngineConfig {
  symbol: string;
  interval: Interval;
  intervalMs: number;
  feed: FeedKind;
  wsUrl: string;
  restUrl: string;
  /** A candle CSV, or a frame log (a directory of them or one file). Absolute path. */
  replay: string | null;
  /** --record: directory of the frame log (absolute), or null. */
  record: string | null;
  /** Replay speed multiplier, or 'max'. */
  speed: number | 'max';
  simSpeed: number;
  simSeed: number;
  /** 'default' or a path (resolved against the cwd) to a plugin module. */
  strategy: string;
  balance: number;
  riskPct: number;
  stopBps: number;
  tpR: number;
  makerBps: number;
  takerBps: number;
  slipBps: number;
  latencyMs: { min: number; max: number };
  execQueue: number;
  /** Seconds. */
  minTradeInterval: number;
  maxDrawdownPct: number;
  maxLosses: number;
  /** Seconds. */
  idleTimeout: number;
  staleTimeout: number;
  backoffBase: number;
  backoffMax: number;
  maxWsErrors: number;
  /** Absolute path. */
  stateDir: string;
  backups: number;
  /** Minutes; null = until stopped. */
  duration: number | null;
  /** Absolute path. */
  killFile: string;
  maxRssMb: number;
  httpPort: number | null;
  /** Webhook URLs notified of fills, exits, trading state changes, breaker trips, fatal stops, session end. */
  webhooks: string[];
  seed: number;
  dryRun: boolean;
  /** Lift HALTED(kill_switch) at start. */
  resume: boolean;
  logLevel: LogLevel;
  pretty: boolean;
}

export const INTERVAL_MS: Record<Interval, number> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
};
