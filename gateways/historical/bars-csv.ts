import { barId, TIMEFRAMES } from '../../streams/messages/bar.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { columnsFor } from './csv-format.js';
import { flattenBatches } from './flatten-batches.js';
import { checkInstrument, checkWindow, readRowBatches } from './read-rows.js';
import type { Instrument, ParserFactory, ReadWindow } from './read-rows.js';
import { RowProblem } from './row-scanner.js';

export type BarReadOptions = Instrument & ReadWindow & Readonly<{ tf: string }>;

/** `'5m'` → `'5m'`; anything not in {@link TIMEFRAMES} is a RangeError naming the valid ones. */
export function parseTimeframe(tf: string): Timeframe {
  const found = TIMEFRAMES.find((t) => t === tf);
  if (found === undefined) throw new RangeError(`unknown timeframe ${JSON.stringify(tf)}: expected one of ${TIMEFRAMES.join(', ')}`);
  return found;
}

/**
 * OHLCV rows → {@link Bar}. The venue, symbol and timeframe come from the caller (file names
 * are not a contract; `findBarFiles` parses them when asked). Each row is checked the way
 * `BarSchema` would (positive prices, non-negative volume, high/low bounding open/close) but
 * without zod, which would cost more than the whole read.
 */
export function barParser(opts: Instrument & Readonly<{ tf: Timeframe }>): ParserFactory<Bar> {
  const { venue, symbol, tf } = opts;
  return (header, file) => {
    const c = columnsFor(header, file, 'ohlcv');
    return {
      width: header.length,
      tsColumn: c.timestamp,
      strictOrder: true,
      build(row, ts): Bar {
        const open = row.positive(c.open, 'open');
        const high = row.positive(c.high, 'high');
        const low = row.positive(c.low, 'low');
        const close = row.positive(c.close, 'close');
        const volume = row.nonNegative(c.volume, 'volume');
        if (!(high >= low && high >= open && high >= close && low <= open && low <= close)) {
          throw new RowProblem(`high ${high} / low ${low} do not bound open ${open} and close ${close}`);
        }
        return { type: 'md.bar', v: 1, id: barId(venue, symbol, tf, ts), venue, symbol, tf, open, high, low, close, volume, ts };
      },
    };
  };
}

/**
 * Streams the bars of an OHLCV CSV (`timestamp,datetime,open,high,low,close,volume,…`), `ts` =
 * the candle's open time. Throws at once on a bad venue, symbol, timeframe or window; file
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
  return readRowBatches(path, barParser({ venue: opts.venue, symbol: opts.symbol, tf }), opts);
}
