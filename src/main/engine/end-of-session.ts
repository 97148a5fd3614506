// What a session leaves behind once it stopped: final_report.json, metrics.csv (1 Hz samples, bounded),
// candles.csv and the offline report.html, all on the market's clock where the market decides.
import type { EquityPoint } from '../../shared/equity-curve.js';
import type { JournalEntry } from '../../shared/events.js';
import type { BrokerState, Candle, ContractKind } from '../../shared/types.js';
import type { Logger } from '../logger.js';
import { loadChartLib, renderReportParts } from '../report-html.js';
import { buildFinalReport, candlesCsvParts, marketRecord, metricsCsv, type FinalReport, type MetricsSample } from '../reports.js';
import type { StateStore } from '../state-store.js';

/** metrics.csv keeps the last two days of 1 Hz samples (memory stays flat on long runs). */
const MAX_METRIC_SAMPLES = 172_800;

export class MetricsLog {
  private readonly samples: MetricsSample[] = [];

  push(sample: MetricsSample): void {
    if (this.samples.length >= MAX_METRIC_SAMPLES) this.samples.splice(0, MAX_METRIC_SAMPLES / 10);
    this.samples.push(sample);
  }

  csv(): string {
    return metricsCsv(this.samples);
  }
}

export interface SessionOutcome {
  reason: string;
  exitCode: number;
  symbol: string;
  intervalMs: number;
  kind: ContractKind;
  start: BrokerState;
  end: BrokerState;
  entries: readonly JournalEntry[];
  candles: readonly Candle[];
  lastMarketTs: number;
  /** Wall ms. */
  generatedAt: number;
  durationSec: number;
  errors: number;
  ticks: number;
  badFrames: number;
  reconnects: number;
  lastError: string | null;
  tradingState: { state: string; reason: string | null };
}

export interface EndOfSession {
  report: FinalReport;
  /** Mark-to-market equity at every candle close, for report.html. */
  curve: EquityPoint[];
}

export function endOfSession(o: SessionOutcome): EndOfSession {
  const market = marketRecord({ start: o.start, entries: o.entries, candles: o.candles, intervalMs: o.intervalMs, kind: o.kind, lastMarketTs: o.lastMarketTs });
  const report = buildFinalReport({
    figures: market.figures,
    generatedAt: o.generatedAt,
    exitCode: o.exitCode,
    reason: o.reason,
    symbol: o.symbol,
    start: o.start,
    end: o.end,
    errors: o.errors,
    durationSec: o.durationSec,
    ticks: o.ticks,
    badFrames: o.badFrames,
    reconnects: o.reconnects,
    lastError: o.lastError,
    tradingState: o.tradingState,
  });
  return { report, curve: market.curve };
}

/** Bytes of one chunk of utf8Chunks (a piece longer than that gets a chunk of its own). */
const CHUNK_BYTES = 1 << 20;

/**
 * Strings as UTF-8 byte chunks, each piece encoded into the current chunk as soon as it is made: no piece is
 * kept as a string, and the whole is never copied into one buffer.
 */
export function utf8Chunks(parts: Iterable<string>): Uint8Array[] {
  const out: Uint8Array[] = [];
  let chunk = Buffer.allocUnsafeSlow(0);
  let at = 0;
  for (const p of parts) {
    const need = Buffer.byteLength(p, 'utf8');
    if (at + need > chunk.length) {
      if (at > 0) out.push(chunk.subarray(0, at));
      chunk = Buffer.allocUnsafeSlow(Math.max(CHUNK_BYTES, need));
      at = 0;
    }
    at += chunk.write(p, at, 'utf8');
  }
  if (at > 0) out.push(chunk.subarray(0, at));
  return out;
}

/**
 * The files, one after the other: each is built just before it is written and handed to the worker, so a
 * month's candles.csv and report.html are never in this thread's memory together (peak RSS). One that fails
 * does not keep the others from being written.
 */
export async function writeEndOfSessionFiles(
  store: StateStore,
  log: Logger,
  end: EndOfSession,
  a: { symbol: string; metrics: MetricsLog; candles: Candle[]; entries: JournalEntry[] },
): Promise<void> {
  const files: [string, () => Promise<string | Uint8Array[]>][] = [
    ['final_report.json', async () => `${JSON.stringify(end.report, null, 2)}\n`],
    ['metrics.csv', async () => utf8Chunks([a.metrics.csv()])],
    ['candles.csv', async () => utf8Chunks(candlesCsvParts(a.candles))],
    [
      'report.html',
      async () => utf8Chunks(renderReportParts({ symbol: a.symbol, candles: a.candles, entries: a.entries, equity: end.curve, report: end.report, chartLib: await loadChartLib() })),
    ],
  ];
  // The next file is built while the worker writes the previous one (its bytes have moved there already).
  let writing: Promise<void> = Promise.resolve();
  for (const [name, content] of files) {
    const failed = (err: unknown): void => log.error({ err: (err as Error).message }, `${name} could not be written`);
    try {
      const bytes = await content();
      await writing;
      writing = store.writeFile(name, bytes).catch(failed);
    } catch (err) {
      failed(err);
    }
  }
  await writing;
}
