import { TIMEFRAMES } from '../../streams/messages/bar.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { freqtradeFormatOf } from '../freqtrade-files.js';
import { readFreqtradeBarBatches } from './bars-freqtrade.js';
import { barParser } from './bar-parser.js';
import { flattenBatches } from './flatten-batches.js';
import { checkInstrument, checkWindow, readRowBatches } from './read-rows.js';
import type { Instrument, ReadWindow } from './read-rows.js';

export type BarReadOptions = Instrument & ReadWindow & Readonly<{ tf: string }>;

/** `'5m'` → `'5m'`; anything not in {@link TIMEFRAMES} is a RangeError naming the valid ones. */
export function parseTimeframe(tf: string): Timeframe {
  const found = TIMEFRAMES.find((t) => t === tf);
  if (found === undefined) throw new RangeError(`unknown timeframe ${JSON.stringify(tf)}: expected one of ${TIMEFRAMES.join(', ')}`);
  return found;
}

/**
 * Streams the bars of an OHLCV CSV (`timestamp,datetime,open,high,low,close,volume,…`), `ts` =
 * the candle's open time, or of a freqtrade file (`.feather`, `.json`, `.json.gz`, `.parquet`:
 * `readFreqtradeBarBatches`), told apart by the extension. Throws at once on a bad venue, symbol, timeframe or window; file
 * problems surface as {@link SourceError} while iterating.
 *
 * @example
 * for await (const bar of readBars(path, { venue: 'binance', symbol: 'BTC/USDT', tf: '5m', from, to })) …
 */
export function readBars(path: string, opts: BarReadOptions): AsyncIterableIterator<Bar> {
  return flattenBatches(readBarBatches(path, opts));
}

/** {@link readBars} a chunk of rows at a time, for `mergeBatchesByTime` (a replay of millions of bars). */
export function readBarBatches(path: string, opts: BarReadOptions): AsyncGenerator<Bar[]> {
  checkInstrument(opts);
  checkWindow(opts);
  const tf = parseTimeframe(opts.tf);
  if (freqtradeFormatOf(path) !== undefined) return readFreqtradeBarBatches(path, { ...opts, tf });
  return readRowBatches(path, barParser({ venue: opts.venue, symbol: opts.symbol, tf }), opts);
}
