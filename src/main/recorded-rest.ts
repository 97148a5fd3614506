// REST answered from a frame log: the replay asks what the recorded session asked, and gets what it got.
// A request recorded verbatim is answered with its latest recording not after the replay's position (or the
// first one). A kline page the recording does not hold verbatim (the replay asks on market time, the live
// session may have asked on the wall clock) is cut from every kline page recorded for that symbol and
// interval; the client keeps only candles closed at the replay's market time, so no future candle gets in.
import { decodeRestKlines, encodeRestKlines, KLINE_PATH, parseKlineQuery } from '../shared/bitunix/index.js';
import type { Candle } from '../shared/types.js';

export interface RecordedResponse {
  t: number;
  path: string;
  body: string;
}

function klineKey(params: URLSearchParams): string {
  const q = parseKlineQuery(params);
  return `${q.symbol}|${q.interval}`;
}

export class RecordedRest {
  private readonly byPath = new Map<string, RecordedResponse[]>();
  /** symbol|interval → candles by open time, later recordings over earlier ones (a forming candle grows up). */
  private klines: Map<string, Map<number, Candle>> | null = null;
  private readonly recorded: RecordedResponse[];
  /** Requests answered, so the replay can let their answers land before its next frame. */
  answered = 0;

  constructor(responses: readonly RecordedResponse[]) {
    this.recorded = [...responses].sort((a, b) => a.t - b.t);
    for (const r of this.recorded) {
      const list = this.byPath.get(r.path);
      if (list) list.push(r);
      else this.byPath.set(r.path, [r]);
    }
  }

  /** The body for `pathAndQuery` with the replay at receive time `at`; rejects when the recording has none. */
  answer(pathAndQuery: string, at: number): Promise<string> {
    this.answered++;
    const list = this.byPath.get(pathAndQuery);
    if (list) {
      let pick = list[0]!;
      for (const r of list) if (r.t <= at) pick = r;
      return Promise.resolve(pick.body);
    }
    const url = new URL(pathAndQuery, 'http://recording');
    if (url.pathname === KLINE_PATH) {
      const candles = this.klineIndex().get(klineKey(url.searchParams));
      if (candles) return Promise.resolve(this.klinePage(candles, url.searchParams));
    }
    return Promise.reject(new Error(`not in the recording: GET ${pathAndQuery}`));
  }

  private klinePage(byTs: Map<number, Candle>, params: URLSearchParams): string {
    const q = parseKlineQuery(params);
    const end = q.endTime ?? Infinity;
    const limit = q.limit ?? 200;
    const page = [...byTs.values()]
      .filter((c) => c.ts < end)
      .sort((a, b) => a.ts - b.ts)
      .slice(-limit);
    return encodeRestKlines(page);
  }

  private klineIndex(): Map<string, Map<number, Candle>> {
    if (this.klines) return this.klines;
    const index = new Map<string, Map<number, Candle>>();
    for (const r of this.recorded) {
      const url = new URL(r.path, 'http://recording');
      if (url.pathname !== KLINE_PATH) continue;
      let candles: Candle[];
      try {
        candles = decodeRestKlines(r.body);
      } catch {
        continue; // an error reply the session got: it answers nothing here
      }
      const key = klineKey(url.searchParams);
      let byTs = index.get(key);
      if (!byTs) index.set(key, (byTs = new Map()));
      for (const c of candles) byTs.set(c.ts, c);
    }
    this.klines = index;
    return index;
  }
}
