import { barId } from '../../streams/messages/bar.js';
import type { Bar, Timeframe } from '../../streams/messages/bar.js';
import { columnsFor } from './csv-format.js';
import type { Instrument, ParserFactory } from './read-rows.js';
import { RowProblem } from './row-scanner.js';

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
