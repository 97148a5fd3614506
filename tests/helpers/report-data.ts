// report.html's embedded data as its page's script reads it: the long series come as columns
// (src/main/report-chart-data.ts), and the page's own reading of them turns them into the chart's objects.
import assert from 'node:assert/strict';
import { READ_COLUMNS_SCRIPT } from '../../src/main/report-chart-data.js';

export interface ReportData {
  symbol: string;
  candles: { time: number; open: number; high: number; low: number; close: number }[];
  equity: { time: number; value: number }[];
  markers: { time: number; position: string; shape: string; color: string; text: string }[];
  labels: Record<string, string[]>;
  legendHint: string;
}

const read = new Function(`${READ_COLUMNS_SCRIPT}\nreturn { readCandles: readCandles, readPoints: readPoints };`)() as {
  readCandles(c: unknown): ReportData['candles'];
  readPoints(p: unknown): ReportData['equity'];
};

/** The data block of a report page, its candles and equity points as the charts get them. */
export function reportData(html: string): ReportData {
  const m = /<script id="report-data" type="application\/json">([^<]*)<\/script>/.exec(html);
  assert.ok(m, 'report data block');
  const raw = JSON.parse(m[1]!) as ReportData & { candles: unknown; equity: unknown };
  return { ...raw, candles: read.readCandles(raw.candles), equity: read.readPoints(raw.equity) };
}
