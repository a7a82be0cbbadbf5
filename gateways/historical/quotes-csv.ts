import { quoteId } from '../../streams/messages/quote.js';
import type { Quote } from '../../streams/messages/quote.js';
import { columnsFor } from './csv-format.js';
import { checkInstrument, checkWindow, readRows } from './read-rows.js';
import type { Instrument, ParserFactory, ReadWindow } from './read-rows.js';
import { RowProblem } from './row-scanner.js';

export type QuoteReadOptions = Instrument & ReadWindow;

/**
 * `BTC/USDT`, `BTCUSDT`, `btc-usdt` all compare equal; a derivative's settle currency
 * (`BTC/USDT:USDT`) is not part of the venue's own name for it (`BTCUSDT`).
 */
const bareSymbol = (s: string): string => (s.split(':', 1)[0] ?? '').replace(/[^A-Za-z0-9]/g, '').toUpperCase();

/**
 * bookTicker rows (`timestamp,symbol,ask_size,ask,bid_size,bid`) → {@link Quote}. Several
 * quotes can share a millisecond; `seq` (their index within it, in file order) keeps the ids
 * apart and is the same on every read, since a window boundary never splits a millisecond.
 * When the file has a `symbol` column every row must name the caller's symbol: a mixed file
 * read under one symbol would publish wrong ids.
 */
export function quoteParser(opts: Instrument): ParserFactory<Quote> {
  const { venue, symbol } = opts;
  const bare = bareSymbol(symbol);
  return (header, file) => {
    const c = columnsFor(header, file, 'bookticker');
    const symbolColumn = header.indexOf('symbol');
    let checkedSymbol: string | undefined;
    let lastTs = -1;
    let seq = 0;
    return {
      width: header.length,
      tsColumn: c.timestamp,
      strictOrder: false,
      build(row, ts): Quote {
        if (symbolColumn >= 0) {
          const raw = row.raw(symbolColumn) ?? '';
          if (raw !== checkedSymbol) {
            if (bareSymbol(raw) !== bare) throw new RowProblem(`symbol ${JSON.stringify(raw)} is not ${symbol}`);
            checkedSymbol = raw;
          }
        }
        const bid = row.positive(c.bid, 'bid');
        const bidSize = row.nonNegative(c.bid_size, 'bid_size');
        const ask = row.positive(c.ask, 'ask');
        const askSize = row.nonNegative(c.ask_size, 'ask_size');
        if (ts === lastTs) seq++;
        else {
          lastTs = ts;
          seq = 0;
        }
        return { type: 'md.quote', v: 1, id: quoteId(venue, symbol, ts, seq), venue, symbol, bid, bidSize, ask, askSize, ts };
      },
    };
  };
}

/** Streams the best bid/ask quotes of a bookTicker CSV. */
export function readQuotes(path: string, opts: QuoteReadOptions): AsyncIterableIterator<Quote> {
  checkInstrument(opts);
  checkWindow(opts);
  return readRows(path, quoteParser(opts), opts);
}
