import type { MarketData } from '../../streams/messages/market-data.js';
import type { Quote } from '../../streams/messages/quote.js';
import type { Trade } from '../../streams/messages/trade.js';
import { freqtradeFormatOf } from '../freqtrade-files.js';
import { barParser } from './bar-parser.js';
import { parseTimeframe } from './bars-csv.js';
import { readFreqtradeBarBatches } from './bars-freqtrade.js';
import { flattenBatches } from './flatten-batches.js';
import { detectFormat, REQUIRED_COLUMNS } from './csv-format.js';
import { quoteParser } from './quotes-csv.js';
import { checkInstrument, checkWindow, readRowBatches, readRows } from './read-rows.js';
import type { Instrument, ParserFactory, ReadWindow } from './read-rows.js';
import { SourceError } from './source-error.js';
import { tradeParser } from './trades-csv.js';

/** What a market-data CSV holds, as its header says. */
export type MarketDataKind = 'bar' | 'trade' | 'quote';

export type MarketDataReadOptions = Instrument &
  Omit<ReadWindow, 'onBadRow'> &
  Readonly<{
    tf?: string;
    /** As `ReadWindow.onBadRow`, with what the file holds (a bad trade row is not a bar's). */
    onBadRow?: (error: SourceError, kind: MarketDataKind) => void;
  }>;

/**
 * Streams any supported CSV (bars, either trades layout, bookTicker quotes), choosing the reader
 * from the header. For a replay command that takes whatever file it is given; code that knows
 * what it reads should call `readBars`/`readTrades`/`readQuotes` and get the narrower type.
 * An OHLCV file needs `tf`.
 */
export function readMarketData(path: string, opts: MarketDataReadOptions): AsyncIterableIterator<MarketData> {
  const { onBadRow, ...window } = opts;
  checkInstrument(opts);
  checkWindow(window);
  const tf = opts.tf === undefined ? undefined : parseTimeframe(opts.tf);
  if (freqtradeFormatOf(path) !== undefined) {
    // A freqtrade file holds bars only (its name says the timeframe; the caller passes it).
    if (tf === undefined) throw new RangeError(`${path}: a freqtrade OHLCV file needs a timeframe (tf) from the caller`);
    return flattenBatches(readFreqtradeBarBatches(path, { ...window, venue: opts.venue, symbol: opts.symbol, tf, ...(onBadRow === undefined ? {} : { onBadRow: (e: SourceError) => onBadRow(e, 'bar') }) }));
  }
  /** Set from the header, which is read before any row. */
  let kind: MarketDataKind = 'bar';
  const factory: ParserFactory<MarketData> = (header, file) => {
    switch (detectFormat(header)) {
      case 'ohlcv':
        if (tf === undefined) throw new SourceError(file, 1, 'an OHLCV file needs a timeframe (tf) from the caller');
        return barParser({ venue: opts.venue, symbol: opts.symbol, tf })(header, file);
      case 'freqtrade-trades':
      case 'nautilus-trades':
        kind = 'trade';
        return tradeParser(opts)(header, file);
      case 'bookticker':
        kind = 'quote';
        return quoteParser(opts)(header, file);
      case undefined: {
        const known = Object.entries(REQUIRED_COLUMNS).map(([f, cols]) => `${f} (${cols.join(',')})`);
        throw new SourceError(file, 1, `unknown CSV layout ${JSON.stringify(header.join(','))}; known: ${known.join('; ')}`);
      }
    }
  };
  return readRows(path, factory, onBadRow === undefined ? window : { ...window, onBadRow: (e) => onBadRow(e, kind) });
}

/**
 * A trades or bookTicker CSV (either trades layout; the reader chosen from the header) a chunk of
 * rows at a time, for `mergeBatchesByTime`: the ticks a backtest replays beside its bars. An
 * OHLCV file or an unknown layout is a {@link SourceError} at line 1.
 */
export function readTickBatches(path: string, opts: Instrument & ReadWindow): AsyncGenerator<Array<Trade | Quote>> {
  checkInstrument(opts);
  checkWindow(opts);
  const factory: ParserFactory<Trade | Quote> = (header, file) => {
    const format = detectFormat(header);
    if (format === 'freqtrade-trades' || format === 'nautilus-trades') return tradeParser(opts)(header, file);
    if (format === 'bookticker') return quoteParser(opts)(header, file);
    const known = (['freqtrade-trades', 'nautilus-trades', 'bookticker'] as const).map((f) => `${f} (${REQUIRED_COLUMNS[f].join(',')})`);
    throw new SourceError(file, 1, `not a trades or quotes file${format === undefined ? '' : ` (it is ${format})`}: header ${JSON.stringify(header.join(','))}; ticks come in ${known.join('; ')}`);
  };
  return readRowBatches(path, factory, opts);
}
