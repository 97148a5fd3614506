// What a session leaves behind once it stopped: final_report.json, metrics.csv (1 Hz samples, bounded),
// candles.csv and the offline report.html, all on the market's clock where the market decides.
import type { EquityPoint } from '../../shared/equity-curve.js';
import type { JournalEntry } from '../../shared/events.js';
import type { BrokerState, Candle, ContractKind } from '../../shared/types.js';
import type { Logger } from '../logger.js';
import { loadChartLib, renderReport } from '../report-html.js';
import { buildFinalReport, candlesCsv, marketRecord, type FinalReport } from '../reports.js';
import type { StateStore } from '../state-store.js';
import type { MetricsLog } from './metrics-log.js';

export { MetricsLog } from './metrics-log.js';

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

/** The files, written side by side; one that fails does not keep the others from being written. */
export async function writeEndOfSessionFiles(
  store: StateStore,
  log: Logger,
  end: EndOfSession,
  a: { symbol: string; metrics: MetricsLog; candles: Candle[]; entries: JournalEntry[] },
): Promise<void> {
  const html = async (): Promise<void> => {
    const page = renderReport({ symbol: a.symbol, candles: a.candles, entries: a.entries, equity: end.curve, report: end.report, chartLib: await loadChartLib() });
    await store.writeFile('report.html', page);
  };
  await Promise.allSettled([
    store.writeFile('final_report.json', `${JSON.stringify(end.report, null, 2)}\n`),
    store.writeFile('metrics.csv', a.metrics.csv()),
    store.writeFile('candles.csv', candlesCsv(a.candles)),
    html().catch((err: unknown) => log.error({ err: (err as Error).message }, 'report.html could not be written')),
  ]);
}
