// What a session leaves behind once it stopped: final_report.json, metrics.csv (1 Hz samples, bounded),
// candles.csv and the offline report.html, all on the market's clock where the market decides.
import type { SessionMarket } from '../../shared/session-record.js';
import type { BrokerState } from '../../shared/types.js';
import type { Logger } from '../logger.js';
import { loadChartLib, renderReportParts } from '../report-html.js';
import { encodeUtf8Pieces } from '../../shared/utf8-pieces.js';
import { buildFinalReport, type FinalReport } from '../reports.js';
import type { StateStore } from '../state-store.js';
import type { MetricsLog } from './metrics-log.js';

export { MetricsLog } from './metrics-log.js';

export interface SessionOutcome {
  reason: string;
  exitCode: number;
  symbol: string;
  start: BrokerState;
  end: BrokerState;
  /** The session's market record, ended (SessionRecord.end). */
  market: SessionMarket;
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
  /** The market record: report.html's bars and curve (market.chart), candles.csv's rows, the trade table. */
  market: SessionMarket;
}

export function endOfSession(o: SessionOutcome): EndOfSession {
  const market = o.market;
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
  return { report, market };
}

/** Room for the largest end-of-session file (a month's report.html is about 6 MB, candles.csv at its bound 9 MB). */
const SIDE_FILE_ROOM = 32 << 20;

/**
 * Where a large end-of-session file is encoded: UTF-8 in shared memory, which the persistence worker reads in
 * place. Nothing is copied into a message, and no buffer is left behind in either heap for its
 * garbage collector to find (a month's report.html is megabytes). Its pages are the system's zero pages until
 * written, so the room to spare costs no memory; a larger file than that grows it.
 */
export class SideFileBytes {
  private bytes: Buffer = Buffer.from(new SharedArrayBuffer(SIDE_FILE_ROOM));

  /** The pieces' UTF-8, each encoded as soon as it is made (none is kept as a string); valid until the next call. */
  encode(parts: Iterable<string>): Uint8Array {
    const { bytes, length } = encodeUtf8Pieces(parts, this.bytes, (size) => Buffer.from(new SharedArrayBuffer(size)));
    this.bytes = bytes;
    return bytes.subarray(0, length);
  }
}

/**
 * The files, in this order: each is handed to the persistence worker as soon as its content is made, and the
 * worker writes them one after the other. candles.csv is formatted there from packed rows while this thread
 * renders report.html into shared bytes of its own. One that fails is logged and does not keep the others from
 * being written.
 */
export async function writeEndOfSessionFiles(store: StateStore, log: Logger, end: EndOfSession, a: { symbol: string; metrics: MetricsLog }): Promise<void> {
  const failed = (name: string) => (err: unknown) => log.error({ err: (err as Error).message }, `${name} could not be written`);
  const write = (name: string, content: () => string | Uint8Array): Promise<void> => {
    try {
      return store.writeFile(name, content()).catch(failed(name));
    } catch (err) {
      failed(name)(err);
      return Promise.resolve();
    }
  };
  const chartLib = loadChartLib();
  const page = async (): Promise<Uint8Array> =>
    new SideFileBytes().encode(
      renderReportParts({
        symbol: a.symbol,
        candles: end.market.chart.bars,
        candleCount: end.market.candleCount,
        trades: end.market.trades,
        tradesNotListed: end.market.tradesNotListed,
        entries: end.market.fillsAndExits,
        equity: end.market.chart.curve,
        report: end.report,
        chartLib: await chartLib,
      }),
    );
  await Promise.all([
    write('final_report.json', () => `${JSON.stringify(end.report, null, 2)}\n`),
    write('metrics.csv', () => new SideFileBytes().encode([a.metrics.csv()])),
    store.writeCandlesCsv('candles.csv', end.market.candleRows).catch(failed('candles.csv')),
    // rendered once the others are on their way (the worker writes them meanwhile)
    page()
      .then((bytes) => store.writeFile('report.html', bytes))
      .catch(failed('report.html')),
  ]);
}
